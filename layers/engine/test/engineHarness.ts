// A private strata-engine on a private strata-manager, and the real docker CLI pointed at it
// (DOCKER_HOST=unix://..., HOME in a temp dir for the CLI's config). Everything lives below one
// temp dir; stop() removes every container, stops both daemons and the dir. leaks() lists what
// a test left behind: mounts, FIFOs, manager containers and tasks, container processes,
// network namespaces of the engine's sandboxes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagerDaemon, mountsBelow } from '@strata/manager/testing';
import { PrivateContainerd, sleep } from '@strata/shim/testing';
import { unisolateBridge } from '../src/network/isolation';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const engineBin = path.join(repo, 'layers/engine/dist/strata-engine.mjs');
export const strataBin = path.join(repo, 'layers/engine/dist/strata.mjs');
export const DOCKER = '/usr/local/bin/docker';
export const haveDocker = fs.existsSync(DOCKER);
/**
 * The CLI the harness drives the engine with: the real docker CLI, or where there is none (the
 * qemu guest of the checkpoint tests) strata itself, which prints the same for what the harness
 * asks (version, ps -aq, rm -f, network prune).
 */
const harnessCli = haveDocker ? [DOCKER] : [process.execPath, strataBin];

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class EngineDaemon {
  /** The manager below: a private strata-manager, or a private real containerd (the swap). */
  manager!: { sock: string; start(): void; stop(): void };
  /** Made in start(): a suite that is skipped (or never starts) leaves nothing in /tmp. */
  readonly dir = path.join(os.tmpdir(), `strata-engine-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  readonly sock = path.join(this.dir, 'engine.sock');
  readonly dataRoot = path.join(this.dir, 'data');
  readonly execRoot = path.join(this.dir, 'exec');
  readonly pidfile = path.join(this.dir, 'engine.pid');
  readonly home = path.join(this.dir, 'home');
  /** A bridge device name of our own (IFNAMSIZ: at most 15 characters). */
  readonly bridge = `se${process.pid % 100000}`;
  daemon?: ChildProcess;

  private managerStarted = false;

  constructor(
    readonly extraArgs: string[] = [],
    private readonly backend: 'strata-manager' | 'containerd' = 'strata-manager',
    /** How long start() waits for the API (an emulated guest needs minutes: the image preload). */
    private readonly startTimeoutMs = 30_000,
  ) {}

  start(): void {
    fs.mkdirSync(this.home, { recursive: true, mode: 0o700 });
    if (!this.managerStarted) {
      // made here, not in the constructor: their temp dirs too only exist for suites that run
      this.manager = this.backend === 'containerd' ? new PrivateContainerd() : new ManagerDaemon();
      this.manager.start();
    }
    this.managerStarted = true;
    this.daemon = spawn(
      process.execPath,
      [engineBin, '-H', `unix://${this.sock}`, '--data-root', this.dataRoot, '--exec-root', this.execRoot, '--pidfile', this.pidfile, '--containerd', this.manager.sock, '--bridge', this.bridge, '--log-level', 'debug', ...this.extraArgs],
      { stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, 'engine.log'), 'a')], env: { ...process.env } },
    );
    const t0 = Date.now();
    const end = t0 + this.startTimeoutMs;
    // (each probe is a CLI start: seconds of its own under emulation)
    const probe = Math.max(5_000, this.startTimeoutMs / 10);
    while (Date.now() < end && this.docker(['version', '--format', '{{.Server.APIVersion}}'], { timeout: probe }).status !== 0) {
      if (!this.alive()) break;
      sleep(100);
    }
    const last = this.docker(['version']);
    if (last.status !== 0) throw new Error(`strata-engine did not start (${Math.round((Date.now() - t0) / 1000)} s, ${this.alive() ? 'still running' : 'exited'}; ${last.stderr.trim()}):\n${this.log()}`);
  }

  /** SIGTERM (containers keep running: live restore) and wait for the exit; its exit code (null: still running after 15 s). */
  terminate(): Promise<number | null> {
    const d = this.daemon;
    if (!d || d.exitCode !== null || d.signalCode !== null) return Promise.resolve(d?.exitCode ?? null);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(null), 15_000);
      d.once('exit', (code) => {
        clearTimeout(t);
        resolve(code);
      });
      d.kill('SIGTERM');
    });
  }

  /** Whether the daemon process is still there (a zombie counts as gone: the test's event loop may not have reaped it yet). */
  alive(): boolean {
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${this.daemon?.pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  }

  env(): NodeJS.ProcessEnv {
    const { NODE_EXTRA_CA_CERTS: _x, ...rest } = process.env;
    return { ...rest, DOCKER_HOST: `unix://${this.sock}`, HOME: this.home, DOCKER_CLI_HINTS: 'false' };
  }

  docker(args: string[], o: { input?: string; timeout?: number } = {}): RunResult {
    const r = spawnSync(harnessCli[0], [...harnessCli.slice(1), ...args], { encoding: 'utf8', input: o.input ?? '', timeout: o.timeout ?? 60_000, killSignal: 'SIGKILL', env: { ...this.env(), STRATA_NO_AUTOSTART: '1' } });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** docker without blocking the test (for follow, events, attach). */
  dockerAsync(args: string[], o: { timeout?: number; input?: string } = {}): Promise<RunResult> & { child: ChildProcess } {
    const child = spawn(DOCKER, args, { stdio: ['pipe', 'pipe', 'pipe'], env: this.env() });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (o.input !== undefined) child.stdin!.end(o.input);
    const p = new Promise<RunResult>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), o.timeout ?? 60_000);
      child.on('close', (status) => {
        clearTimeout(t);
        resolve({ status, stdout, stderr });
      });
    }) as Promise<RunResult> & { child: ChildProcess };
    p.child = child;
    return p;
  }

  /** `ctr` on the engine's manager namespace. */
  ctr(args: string[]) {
    return spawnSync('ctr', ['-a', this.manager.sock, '-n', 'moby', ...args], { encoding: 'utf8', timeout: 30_000 });
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'engine.log'), 'utf8').split('\n').slice(-60).join('\n');
    } catch {
      return '';
    }
  }

  /** What is left of containers the engine has no record of any more (empty when clean). */
  leaks(): string[] {
    const out: string[] = [];
    const known = new Set(this.docker(['ps', '-aq', '--no-trunc']).stdout.split('\n').filter(Boolean));
    for (const m of mountsBelow(this.dir)) out.push(`mount ${m}`);
    const fifoDir = path.join(this.execRoot, 'containers');
    for (const id of fs.existsSync(fifoDir) ? fs.readdirSync(fifoDir) : []) {
      if (!known.has(id) && fs.readdirSync(path.join(fifoDir, id)).length) out.push(`fifos of ${id}`);
    }
    for (const id of this.ctr(['c', 'ls', '-q']).stdout.split('\n').filter(Boolean)) if (!known.has(id)) out.push(`manager container ${id}`);
    for (const id of this.ctr(['t', 'ls', '-q']).stdout.split('\n').filter(Boolean)) if (!known.has(id)) out.push(`manager task ${id}`);
    const snaps = this.ctr(['snapshots', 'ls']).stdout.split('\n').slice(1).map((l) => l.split(/\s+/)[0]).filter((k) => /^[0-9a-f]{64}$/.test(k ?? ''));
    for (const k of snaps) if (known.size === 0 && this.ctr(['snapshots', 'info', k]).stdout.includes('strata.engine/container')) out.push(`snapshot ${k}`);
    const dataDirs = path.join(this.dataRoot, 'containers');
    for (const id of fs.existsSync(dataDirs) ? fs.readdirSync(dataDirs) : []) if (!known.has(id)) out.push(`state dir ${id}`);
    return out;
  }

  /** What removed containers left on the host: their network namespace, iptables rules naming them. */
  hostLeaks(ids: string[]): string[] {
    const out: string[] = [];
    const rules = ['nat', 'filter'].map((t) => spawnSync('iptables', ['-t', t, '-S'], { encoding: 'utf8' }).stdout ?? '').join('\n');
    for (const id of ids) {
      if (fs.existsSync(`/run/netns/strata-${id}`)) out.push(`netns strata-${id}`);
      if (rules.includes(id)) out.push(`iptables rules of ${id}`);
      if (spawnSync('pgrep', ['-f', id]).status === 0) out.push(`processes naming ${id}`);
    }
    return out;
  }

  /** Remove every container, stop both daemons, remove the dirs. */
  async stop(): Promise<void> {
    if (!this.managerStarted) return void fs.rmSync(this.dir, { recursive: true, force: true });
    if (this.daemon && this.alive()) {
      const ids = this.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (ids.length) this.docker(['rm', '-f', ...ids]);
      this.docker(['network', 'prune', '-f']);
      if ((await this.terminate()) === null) this.daemon.kill('SIGKILL');
    }
    for (const id of this.ctr(['t', 'ls', '-q']).stdout.split('\n').filter(Boolean)) this.ctr(['t', 'kill', '-s', '9', id]);
    sleep(200);
    for (const id of this.ctr(['t', 'ls', '-q']).stdout.split('\n').filter(Boolean)) this.ctr(['t', 'rm', '-f', id]);
    for (const id of this.ctr(['c', 'ls', '-q']).stdout.split('\n').filter(Boolean)) this.ctr(['c', 'rm', id]);
    this.manager.stop();
    for (const m of mountsBelow(this.dir).reverse()) spawnSync('umount', ['-l', m]);
    // The default bridge outlives the engine, with its filter rules (as docker0 does dockerd):
    // the test takes down both.
    spawnSync('ip', ['link', 'del', this.bridge]);
    unisolateBridge(this.bridge);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
