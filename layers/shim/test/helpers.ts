// Shared by the shim's integration tests: a private containerd (own root, state and sockets),
// ctr against it, and leak checks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const shimBin = path.join(repo, 'layers/shim/dist/containerd-shim-strata-v2.mjs');
export const runtimeBin = path.join(repo, 'layers/runtime/dist/strata-runtime.mjs');
export const busyboxRootfs = '/var/lib/strata/bundles/busybox/rootfs';
/** The default image as an OCI layout tar (scripts/default-image.sh): strata.local/busybox:latest. */
export const defaultImage = '/var/lib/strata/images/busybox.oci.tar';
export const isRoot = process.getuid?.() === 0;
export const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
export const built = fs.existsSync(shimBin) && fs.existsSync(runtimeBin) && fs.existsSync(busyboxRootfs);
export const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
export const uniqueId = (p: string) => `${p}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

export class PrivateContainerd {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-shim-ctd-'));
  readonly sock = path.join(this.dir, 'containerd.sock');
  readonly ns = `strata-shim-${process.pid}`;
  private daemon?: ChildProcess;

  /**
   * `shimAs`: names such as containerd-shim-runc-v2 under which containerd finds our shim first
   * on its PATH (runtime io.containerd.runc.v2 then starts containerd-shim-strata-v2).
   */
  constructor(private readonly shimAs: string[] = []) {
    if (shimAs.length) fs.mkdirSync(path.join(this.dir, 'bin'));
    for (const name of shimAs) fs.symlinkSync(shimBin, path.join(this.dir, 'bin', name));
    fs.writeFileSync(
      path.join(this.dir, 'config.toml'),
      [
        'version = 2',
        `root = "${this.dir}/root"`,
        `state = "${this.dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
        '[grpc]',
        `  address = "${this.sock}"`,
        '[ttrpc]',
        `  address = "${this.sock}.ttrpc"`,
      ].join('\n'),
    );
  }

  start(): void {
    const env = this.shimAs.length ? { ...process.env, PATH: `${path.join(this.dir, 'bin')}:${process.env.PATH}` } : process.env;
    this.daemon = spawn('containerd', ['--config', path.join(this.dir, 'config.toml')], { env, stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, 'containerd.log'), 'a')] });
    const end = Date.now() + 20_000;
    while (Date.now() < end && this.ctr(['version'], 5_000).status !== 0) sleep(100);
    if (this.ctr(['version']).status !== 0) throw new Error(`containerd did not start: ${this.log()}`);
  }

  /** SIGKILL containerd (its shims and containers must survive). */
  crash(): void {
    this.daemon?.kill('SIGKILL');
    const end = Date.now() + 5_000;
    while (Date.now() < end && this.daemon?.exitCode === null && this.daemon.signalCode === null) sleep(50);
  }

  ctr(args: string[], timeout = 30_000) {
    return spawnSync('ctr', ['-a', this.sock, '-n', this.ns, ...args], { encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  }

  fullLog(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'containerd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'containerd.log'), 'utf8').split('\n').filter((l) => !l.includes('loading plugin')).slice(-30).join('\n');
    } catch {
      return '';
    }
  }

  /** The task's pid as `ctr t ls` shows it (0 when there is no such task). */
  taskPid(id: string): number {
    const line = (this.ctr(['t', 'ls']).stdout ?? '').split('\n').find((l) => l.split(/\s+/)[0] === id);
    return line ? Number(line.split(/\s+/)[1]) : 0;
  }

  /** The bundle dir containerd made for a task. */
  bundle(id: string): string {
    return path.join(this.dir, 'state', 'io.containerd.runtime.v2.task', this.ns, id);
  }

  stop(): void {
    for (const id of (this.ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['t', 'kill', '-s', '9', id]);
    sleep(300);
    for (const id of (this.ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['t', 'rm', '-f', id]);
    for (const id of (this.ctr(['c', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['c', 'rm', id]);
    this.daemon?.kill('SIGTERM');
    sleep(300);
    fs.rmSync(this.dir, { recursive: true, force: true });
    // ctr puts containers in cgroup /<namespace>/<id>; the runtimes remove <id>, the namespace
    // level is containerd's and stays. It must be empty now (else a container cgroup leaked).
    const left = removeEmptyCgroups(this.ns);
    if (left.length) throw new Error(`cgroups left behind: ${left.join(', ')}`);
  }
}

/** Processes whose command line mentions `needle` (other than ourselves). */
export function processesMatching(needle: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (cmd.includes(needle) && Number(p) !== process.pid && !isZombie(Number(p))) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

export function mountsUnder(dir: string): string[] {
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m && m.startsWith(dir));
}

export function waitFor(cond: () => boolean, timeoutMs = 10_000): boolean {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    sleep(50);
  }
  return cond();
}

/** waitFor that lets the event loop run (for conditions fed by sockets and streams). */
export async function eventually(cond: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** A process that has exited but not been reaped yet (or is gone). */
export function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch {
    return true;
  }
}

/** The cgroup roots: the v2 root (or v1's tmpfs) and every hierarchy mounted below it. */
export function cgroupRoots(): string[] {
  return ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((d) => path.join('/sys/fs/cgroup', d))].filter((d) => fs.statSync(d).isDirectory());
}

/** rmdir /sys/fs/cgroup/<hierarchy>/<name> (and empty dirs below) everywhere; returns what would not go. */
export function removeEmptyCgroups(name: string): string[] {
  const left: string[] = [];
  const rmTree = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const root of cgroupRoots()) {
    const dir = path.join(root, name);
    if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) rmTree(dir);
  }
  return left;
}
