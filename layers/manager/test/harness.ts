// The manager's integration harness: a strata-manager daemon with private root, state and
// socket; the real ctr and strata-ctr pointed at it; leak checks. Real containerd for the
// "strata-ctr against containerd" direction comes from the shim's harness (PrivateContainerd).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cgroup } from '@strata/linux';
import { sleep } from '@strata/shim/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const managerBin = path.join(repo, 'layers/manager/dist/strata-manager.mjs');
export const ctrBin = path.join(repo, 'layers/manager/dist/strata-ctr.mjs');
export const IMAGE = 'strata.local/busybox:latest';

export class ManagerDaemon {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-manager-'));
  readonly sock = path.join(this.dir, 'strata-manager.sock');
  readonly ns = `strata-mgr-${process.pid}`;
  daemon?: ChildProcess;

  constructor(private readonly extraConfig = '') {
    fs.writeFileSync(
      path.join(this.dir, 'config.toml'),
      ['version = 2', `root = "${this.dir}/root"`, `state = "${this.dir}/state"`, '[grpc]', `  address = "${this.sock}"`, extraConfig].join('\n'),
    );
  }

  start(): void {
    this.daemon = spawn(process.execPath, [managerBin, '--config', path.join(this.dir, 'config.toml'), '--log-level', 'debug'], {
      stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, 'manager.log'), 'a')],
    });
    const end = Date.now() + 20_000;
    while (Date.now() < end && this.ctr(['version'], 5_000).status !== 0) sleep(100);
    if (this.ctr(['version']).status !== 0) throw new Error(`strata-manager did not start:\n${this.log()}`);
  }

  /** SIGKILL the daemon (shims and containers must survive; the database must stay intact). */
  crash(): void {
    this.daemon?.kill('SIGKILL');
    const end = Date.now() + 5_000;
    while (Date.now() < end && this.daemon?.exitCode === null && this.daemon.signalCode === null) sleep(50);
  }

  /** SIGTERM and wait for the exit. */
  terminate(): number | null {
    this.daemon?.kill('SIGTERM');
    const end = Date.now() + 10_000;
    while (Date.now() < end && this.daemon?.exitCode === null && this.daemon.signalCode === null) sleep(50);
    return this.daemon?.exitCode ?? null;
  }

  ctr(args: string[], timeout = 30_000, input?: string) {
    return spawnSync('ctr', ['-a', this.sock, '-n', this.ns, ...args], { encoding: 'utf8', timeout, killSignal: 'SIGKILL', input });
  }

  strataCtr(args: string[], o: { timeout?: number; input?: string; address?: string; namespace?: string } = {}) {
    return spawnSync(process.execPath, [ctrBin, '-a', o.address ?? this.sock, '-n', o.namespace ?? this.ns, ...args], { encoding: 'utf8', timeout: o.timeout ?? 30_000, killSignal: 'SIGKILL', input: o.input });
  }

  /**
   * strata-ctr without blocking this process: needed when the test itself serves something the
   * command talks to (e.g. an in-process proxy in front of the registry).
   */
  strataCtrAsync(args: string[], o: { timeout?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [ctrBin, '-a', this.sock, '-n', this.ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), o.timeout ?? 30_000);
      child.on('close', (status) => {
        clearTimeout(t);
        resolve({ status, stdout, stderr });
      });
    });
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'manager.log'), 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '';
    }
  }

  bundles(): string[] {
    const d = path.join(this.dir, 'state', 'io.containerd.runtime.v2.task', this.ns);
    return fs.existsSync(d) ? fs.readdirSync(d) : [];
  }

  /** Remove every task and container of the test namespace, stop the daemon, remove the dirs. */
  stop(): void {
    if (this.daemon && this.daemon.exitCode === null && this.daemon.signalCode === null) {
      for (const id of (this.ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['t', 'kill', '-s', '9', id]);
      sleep(300);
      for (const id of (this.ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['t', 'rm', '-f', id]);
      for (const id of (this.ctr(['c', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['c', 'rm', id]);
      this.terminate();
    }
    // Snapshot mounts made by a test (views) must be gone before the dirs go.
    for (const m of mountsBelow(this.dir).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    // Containers get the cgroup /<namespace>/<id> (as with containerd); the runtime removes <id>
    // on delete, the namespace's own cgroup stays. Remove ours once it is empty: another daemon
    // of this test process (same namespace) may still use it, and then its stop() does it.
    // (On a hybrid host runc makes it in the unified hierarchy too.)
    const cg = Cgroup.open(`/${this.ns}`);
    for (const d of new Set([...Object.values(cg.dirs()), ...(cg.layout.unified ? [path.join(cg.layout.unified, this.ns)] : [])])) {
      try {
        fs.rmdirSync(d);
      } catch {
        // gone already, or still in use
      }
    }
  }
}

export function mountsBelow(dir: string): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
}
