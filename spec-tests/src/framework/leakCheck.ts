// After every test the suite looks for what the runtime left behind once `delete` returned:
// runtime.md#delete "Deleting a container MUST delete the resources that were created during the
// create step". A leak is reported as a failure of the runtime under test, then the suite removes
// it itself so the next test starts from a clean host.
import fs from 'node:fs';
import path from 'node:path';
import { readMountInfo, parseMountInfo } from './mountInfo';
import type { HostCapabilities } from './hostCapabilities';
import { spawnBounded } from './spawnBounded';
import { sleep } from './runtimeDriver';

export interface LeakScope {
  /** Directories that belong to the test (bundle, rootfs copies) plus the shared rootfs. */
  dirs: string[];
  /** Container ids the test created. */
  containerIds: string[];
  /** cgroupsPath values the test's configs used. */
  cgroupPaths: string[];
  /** Container pids seen during the test, with their start time (to tell pid reuse apart). */
  pids: { pid: number; startTime: string }[];
  /** The runtime's private --root directory. */
  stateRoot: string;
  host: HostCapabilities;
}

export type LeakKind = 'mount' | 'process' | 'cgroup' | 'state';

export interface Leak {
  kind: LeakKind;
  /** A mount point, a pid or a cgroup directory. */
  target: string;
  description: string;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the comm field may hold spaces, so split after its closing paren.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z') return undefined; // a zombie holds nothing
    return rest[19];
  } catch {
    return undefined;
  }
}

function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

function mountLeaks(scope: LeakScope): Leak[] {
  return readMountInfo()
    .filter((m) => scope.dirs.some((d) => under(m.mountPoint, d)))
    .map((m) => ({ kind: 'mount' as const, target: m.mountPoint, description: `mount left on the host: ${m.mountPoint} (${m.fstype})` }));
}

/**
 * Processes still alive that belong to the test: pids the runtime reported, processes whose
 * root or cwd is in the test's directories, and processes in another mount namespace whose root
 * mount comes from those directories (a container's /proc/PID/root reads as "/" from outside).
 */
function processLeaks(scope: LeakScope): Leak[] {
  const leaks = new Map<number, Leak>();
  const self = process.pid;
  for (const { pid, startTime } of scope.pids) {
    if (processStartTime(pid) === startTime) {
      leaks.set(pid, { kind: 'process', target: String(pid), description: `container process ${pid} (${comm(pid)}) still alive after delete` });
    }
  }
  let ourMnt = '';
  try {
    ourMnt = fs.readlinkSync('/proc/self/ns/mnt');
  } catch {
    /* keep empty */
  }
  const rootByNs = new Map<string, string | undefined>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    entries = [];
  }
  for (const e of entries.slice(0, 100_000)) {
    const pid = Number(e);
    if (pid === self || leaks.has(pid) || processStartTime(pid) === undefined) continue;
    try {
      for (const link of ['root', 'cwd']) {
        const target = fs.readlinkSync(`/proc/${pid}/${link}`);
        if (scope.dirs.some((d) => under(target, d))) {
          leaks.set(pid, { kind: 'process', target: String(pid), description: `process ${pid} (${comm(pid)}) has its ${link} in ${target}` });
        }
      }
      const mnt = fs.readlinkSync(`/proc/${pid}/ns/mnt`);
      if (mnt === ourMnt || leaks.has(pid)) continue;
      if (!rootByNs.has(mnt)) {
        const root = parseMountInfo(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).find((m) => m.mountPoint === '/');
        rootByNs.set(mnt, root?.root);
      }
      const root = rootByNs.get(mnt);
      if (root && scope.dirs.some((d) => under(root, d))) {
        leaks.set(pid, { kind: 'process', target: String(pid), description: `process ${pid} (${comm(pid)}) still runs in a container rooted at ${root}` });
      }
    } catch {
      /* the process went away or is a kernel thread */
    }
  }
  return [...leaks.values()];
}

/** Every cgroup hierarchy mount point on the host (v1 controllers and cgroup2). */
function cgroupMounts(): string[] {
  const seen = new Set<string>();
  for (const m of readMountInfo()) if (m.fstype === 'cgroup' || m.fstype === 'cgroup2') seen.add(m.mountPoint);
  return [...seen];
}

/** Our own cgroup path in the hierarchy mounted at `mp` (runc resolves relative paths from it). */
function ownCgroup(mp: string): string | undefined {
  try {
    const mine = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    const base = path.basename(mp);
    for (const line of mine) {
      const [, ctrls, p] = line.split(':');
      if (p === undefined) continue;
      const list = ctrls.split(',');
      if ((ctrls === '' && base === 'unified') || list.includes(base) || list.includes(`name=${base}`) || (base === 'cgroup' && ctrls === '')) return p;
    }
  } catch {
    /* no /proc/self/cgroup */
  }
  return undefined;
}

function cgroupLeaks(scope: LeakScope): Leak[] {
  const found = new Set<string>();
  const ids = scope.containerIds;
  const explicit = scope.cgroupPaths.map((p) => p.replace(/^\/+/, '')).filter(Boolean);
  for (const mp of cgroupMounts()) {
    const own = ownCgroup(mp);
    const bases = [mp, ...(own && own !== '/' ? [path.join(mp, own)] : [])];
    for (const base of bases) {
      for (const rel of explicit) {
        const p = path.join(base, rel);
        if (fs.existsSync(p)) found.add(p);
      }
      // A bounded walk for directories named after a container id (runtimes differ in where
      // they put a container without cgroupsPath: /<id>, /<runtime>/<id>, <id>.scope...).
      let budget = 5000;
      const walk = (dir: string, depth: number) => {
        if (depth > 3 || budget <= 0) return;
        let kids: fs.Dirent[];
        try {
          kids = fs.readdirSync(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const k of kids) {
          if (!k.isDirectory() || --budget <= 0) continue;
          const p = path.join(dir, k.name);
          if (ids.some((id) => k.name.includes(id))) found.add(p);
          else walk(p, depth + 1);
        }
      };
      walk(base, 0);
    }
  }
  return [...found].map((p) => ({ kind: 'cgroup' as const, target: p, description: `cgroup left on the host: ${p}` }));
}

function stateLeaks(scope: LeakScope): Leak[] {
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(scope.stateRoot);
  } catch {
    return [];
  }
  return entries
    .filter((e) => scope.containerIds.some((id) => e.includes(id)))
    .map((e) => ({ kind: 'state' as const, target: path.join(scope.stateRoot, e), description: `state left in --root: ${path.join(scope.stateRoot, e)}` }));
}

export function findLeaksOnce(scope: LeakScope): Leak[] {
  return [...mountLeaks(scope), ...processLeaks(scope), ...cgroupLeaks(scope), ...stateLeaks(scope)];
}

/** Leaks that stay for `settleMs` (processes take a moment to die after SIGKILL). */
export async function findLeaks(scope: LeakScope, settleMs = 1500): Promise<Leak[]> {
  const deadline = Date.now() + settleMs;
  let leaks = findLeaksOnce(scope);
  for (let i = 0; i < 30 && leaks.length > 0 && Date.now() < deadline; i++) {
    await sleep(100);
    leaks = findLeaksOnce(scope);
  }
  return leaks;
}

/** Remove what the runtime left: thaw and kill processes, unmount, remove cgroups. */
export async function removeLeaks(leaks: Leak[]): Promise<string[]> {
  const problems: string[] = [];
  const cgroups = leaks.filter((l) => l.kind === 'cgroup').map((l) => l.target);
  // A frozen cgroup's processes cannot die: thaw first (v1 freezer.state, v2 cgroup.freeze).
  for (const cg of cgroups) {
    for (const dir of subdirsDeepestFirst(cg)) {
      tryWrite(path.join(dir, 'freezer.state'), 'THAWED');
      tryWrite(path.join(dir, 'cgroup.freeze'), '0');
      for (const pid of readPids(path.join(dir, 'cgroup.procs'))) tryKill(pid);
    }
  }
  for (const l of leaks) if (l.kind === 'process') tryKill(Number(l.target));
  const mounts = leaks.filter((l) => l.kind === 'mount').map((l) => l.target);
  for (const mp of mounts.sort((a, b) => b.length - a.length)) {
    const r = await spawnBounded('umount', ['-l', mp], { timeoutMs: 5000 });
    if (r.code !== 0 && fs.existsSync(mp)) problems.push(`umount ${mp}: ${r.stderr.trim()}`);
  }
  for (const cg of cgroups) {
    for (const dir of subdirsDeepestFirst(cg)) {
      let ok = false;
      for (let i = 0; i < 20 && !ok; i++) {
        try {
          fs.rmdirSync(dir);
          ok = true;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') ok = true;
          else await sleep(50);
        }
      }
      if (!ok) problems.push(`rmdir ${dir} failed`);
    }
  }
  for (const l of leaks) if (l.kind === 'state') fs.rmSync(l.target, { recursive: true, force: true });
  return problems;
}

function subdirsDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 8) return;
    try {
      for (const k of fs.readdirSync(d, { withFileTypes: true })) if (k.isDirectory()) walk(path.join(d, k.name), depth + 1);
    } catch {
      return;
    }
    out.push(d);
  };
  walk(dir, 0);
  return out;
}

function readPids(file: string): number[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function tryWrite(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch {
    /* not this kind of cgroup */
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
