// Shared helpers of the runtime's integration tests: a busybox rootfs built once, bundles with a
// config per test, the real strata-runtime binary (the bundled dist/ file, as callers run it),
// and a leak check of the host after every test.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { readMountInfo } from '@strata/linux';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const runtimeBin = path.join(repo, 'layers/runtime/dist/strata-runtime.mjs');

export const isRoot = process.getuid?.() === 0;
export const built = fs.existsSync(runtimeBin) && fs.existsSync(path.join(repo, 'layers/runtime/dist/strata-init'));

let sharedRootfs: string | undefined;

// The shared rootfs goes when the test file is done (registered here, at import time, so every
// file that uses it cleans up). Not while something is mounted below it: a leaked mount is
// reported by the leak checks, and a recursive delete would reach into it.
afterAll(() => {
  if (!sharedRootfs) return;
  const dir = path.dirname(sharedRootfs);
  const mounted = readMountInfo().some((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
  if (!mounted) fs.rmSync(dir, { recursive: true, force: true });
  sharedRootfs = undefined;
});

/** A busybox rootfs shared by the tests of one file (read-only use: tests copy when they write). */
export function busyboxRootfs(): string {
  if (sharedRootfs) return sharedRootfs;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-test-rootfs-'));
  // Reachable by a container root mapped to another host uid (user namespace tests).
  fs.chmodSync(dir, 0o755);
  const r = spawnSync('bash', [path.join(repo, 'scripts/busybox-rootfs.sh'), path.join(dir, 'rootfs')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`busybox-rootfs.sh failed: ${r.stderr}`);
  sharedRootfs = path.join(dir, 'rootfs');
  return sharedRootfs;
}

/** The config `runc spec` writes, with terminal off and the given args. */
export function baseConfig(args: string[]): any {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args,
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

export interface Sandbox {
  dir: string;
  root: string;
  /** Make a bundle dir whose rootfs is the shared busybox rootfs (a symlink-free absolute path). */
  bundle(config: any, name?: string): string;
  rt(args: string[], opts?: { input?: string; timeout?: number; env?: Record<string, string> }): SpawnSyncReturns<string>;
  cleanup(): void;
}

let counter = 0;

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

export function uniqueId(prefix = 'c'): string {
  return `strata-test-${process.pid}-${prefix}-${++counter}`;
}

export function sandbox(): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-test-'));
  const root = path.join(dir, 'state');
  const sb: Sandbox = {
    dir,
    root,
    bundle(config, name = `b${++counter}`) {
      const b = path.join(dir, name);
      fs.mkdirSync(b, { recursive: true });
      const cfg = { ...config, root: { ...config.root, path: config.root?.path === 'rootfs' ? busyboxRootfs() : config.root?.path } };
      fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(cfg, null, 2));
      return b;
    },
    rt(args, opts = {}) {
      // Output goes to files, not pipes: a detached container inherits the runtime's stdout and
      // stderr (runc semantics), and a pipe would keep spawnSync waiting until it exits.
      const out = path.join(dir, `out-${++counter}`);
      const err = path.join(dir, `err-${counter}`);
      const fo = fs.openSync(out, 'w');
      const fe = fs.openSync(err, 'w');
      try {
        const r = spawnSync('node', [runtimeBin, '--root', root, ...args], {
          encoding: 'utf8',
          input: opts.input ?? '',
          stdio: ['pipe', fo, fe],
          timeout: opts.timeout ?? 30_000,
          env: cleanEnv(opts.env),
        });
        r.stdout = fs.readFileSync(out, 'utf8');
        r.stderr = fs.readFileSync(err, 'utf8');
        return r;
      } finally {
        fs.closeSync(fo);
        fs.closeSync(fe);
        fs.rmSync(out, { force: true });
        fs.rmSync(err, { force: true });
      }
    },
    cleanup() {
      // delete --force everything that is left, then remove the dirs.
      for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) {
        spawnSync('node', [runtimeBin, '--root', root, 'delete', '--force', id], { encoding: 'utf8', timeout: 20_000 });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return sb;
}

/** Things a container may leave on the host: mounts, cgroups, processes, state dirs. */
export function leaks(id: string, dirs: string[] = []): string[] {
  const found: string[] = [];
  const mountinfo = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    if (dirs.some((d) => line.includes(d)) || line.includes(id)) found.push(`mount: ${line}`);
  }
  // A container without cgroupsPath gets a cgroup below the runtime's own (like runc): search
  // every hierarchy a few levels deep for a directory named after the container.
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name === id) found.push(`cgroup: ${p}`);
      else if (depth > 0) walk(p, depth - 1);
    }
  };
  for (const top of fs.readdirSync('/sys/fs/cgroup')) walk(path.join('/sys/fs/cgroup', top), 4);
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(id)) found.push(`process ${pid}: ${cmd.replace(/\0/g, ' ')}`);
      const root = fs.readlinkSync(`/proc/${pid}/root`);
      if (dirs.some((d) => root.startsWith(d))) found.push(`process ${pid} rooted at ${root}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Run a busybox command line in a fresh container and return its output (foreground run). */
export function runIn(sb: Sandbox, script: string, mutate: (c: any) => void = () => {}): { code: number | null; out: string; err: string; id: string } {
  const cfg = baseConfig(['sh', '-c', script]);
  mutate(cfg);
  const id = uniqueId('run');
  const b = sb.bundle(cfg);
  const r = sb.rt(['run', '--bundle', b, id]);
  return { code: r.status, out: r.stdout, err: r.stderr, id };
}
