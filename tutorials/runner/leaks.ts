// After each lesson (cleanup section included) nothing the lesson made may remain on the host.
// Lessons name everything they create `tut-...` (containers, cgroups, mount sources) and work
// under $SCRATCH, so a leak is:
//   - a container state directory tut-* under /run/strata-runtime, /run/runc or /run/crun,
//   - a cgroup directory tut-* in any cgroup hierarchy,
//   - a mount under a tutorial directory, or whose source or mount point is named tut-*,
//   - a live process whose root or cwd is in a tutorial directory, or whose cgroup is tut-*.
// The runner reports leaks as failures, then removes them (so the next lesson starts clean).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { unescapeMountPath, type HostFacts } from './host';

export const NAME_PREFIX = 'tut-';

/** Where runc-compatible runtimes keep container state by default (`--root`). */
export const STATE_ROOTS: Record<string, string> = {
  'strata-runtime': '/run/strata-runtime',
  runc: '/run/runc',
  crun: '/run/crun',
};

export interface Leak {
  kind: 'container' | 'cgroup' | 'mount' | 'process';
  /** For the report: "strata-runtime container tut-life (/run/strata-runtime/tut-life)". */
  what: string;
  /** Container: runtime + id; cgroup/mount: path; process: pid. */
  runtime?: string;
  id?: string;
  path?: string;
  pid?: number;
}

export interface LeakScope {
  /** Directories the lessons work in (their scratch roots); a prefix such as /tmp/strata-tutorial-. */
  dirPrefix: string;
  host: HostFacts;
}

const isUnder = (p: string, prefix: string) => p.startsWith(prefix);

export function findLeaks(scope: LeakScope): Leak[] {
  const leaks: Leak[] = [];
  for (const [runtime, root] of Object.entries(STATE_ROOTS)) {
    for (const id of listDir(root).filter((n) => n.startsWith(NAME_PREFIX))) {
      leaks.push({ kind: 'container', what: `${runtime} container ${id} (${root}/${id})`, runtime, id, path: path.join(root, id) });
    }
  }
  for (const dir of findCgroups(scope.host.cgroupMounts)) {
    leaks.push({ kind: 'cgroup', what: `cgroup ${dir}`, path: dir });
  }
  for (const m of mounts()) {
    if (isUnder(m.point, scope.dirPrefix) || path.basename(m.point).startsWith(NAME_PREFIX) || m.source.startsWith(NAME_PREFIX)) {
      leaks.push({ kind: 'mount', what: `mount ${m.source} on ${m.point} (${m.type})`, path: m.point });
    }
  }
  for (const p of processes()) {
    const where = isUnder(p.root, scope.dirPrefix) ? `root ${p.root}`
      : isUnder(p.cwd, scope.dirPrefix) ? `working directory ${p.cwd}`
      : new RegExp(`/${NAME_PREFIX}[^/\\n]*`).test(p.cgroup) ? 'in a tut-* cgroup' : undefined;
    if (where) leaks.push({ kind: 'process', what: `process ${p.pid} (${p.comm}), ${where}`, pid: p.pid });
  }
  return leaks;
}

function listDir(dir: string): string[] {
  try { return fs.readdirSync(dir); } catch { return []; }
}

/** tut-* directories in the cgroup hierarchies (the top-most one of a subtree). */
function findCgroups(mountPoints: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name.startsWith(NAME_PREFIX)) found.push(p);
      else walk(p, depth + 1);
    }
  };
  for (const m of mountPoints) walk(m, 0);
  return found;
}

interface MountEntry { point: string; source: string; type: string }

function mounts(): MountEntry[] {
  let text = '';
  try { text = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return []; }
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const [type, source] = right.split(' ');
    out.push({ point: unescapeMountPath(left.split(' ')[4]), source: unescapeMountPath(source ?? ''), type });
  }
  return out;
}

interface ProcessEntry { pid: number; comm: string; root: string; cwd: string; cgroup: string }

function processes(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of listDir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const read = (f: string) => { try { return fs.readFileSync(`/proc/${pid}/${f}`, 'utf8'); } catch { return ''; } };
    const link = (f: string) => { try { return fs.readlinkSync(`/proc/${pid}/${f}`); } catch { return ''; } };
    const status = read('status');
    if (!status || /^State:\s+Z/m.test(status)) continue; // gone, or a zombie (holds nothing)
    out.push({ pid, comm: read('comm').trim(), root: link('root'), cwd: link('cwd'), cgroup: read('cgroup') });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Removes leaks, most dependent first: containers (through their runtime's delete --force),
 * stray processes, mounts (lazily, deepest first), cgroups (thawed, emptied, deepest first).
 * Returns what could not be removed.
 */
export async function reapLeaks(leaks: Leak[], host: HostFacts, env: NodeJS.ProcessEnv): Promise<string[]> {
  const failures: string[] = [];
  const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { env, stdio: 'ignore', timeout: 20_000 });
  for (const l of leaks.filter((x) => x.kind === 'container')) {
    if (l.runtime === 'crun' && host.tags.includes('cgroup-hybrid')) {
      // crun refuses hybrid hosts: hide the cgroup2 mount in a private mount namespace.
      run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"', 'crun', 'delete', '--force', l.id!]);
    } else {
      run(l.runtime!, ['delete', '--force', l.id!]);
    }
    if (fs.existsSync(l.path!)) fs.rmSync(l.path!, { recursive: true, force: true });
  }
  const pids = leaks.filter((x) => x.kind === 'process').map((x) => x.pid!);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  for (const m of leaks.filter((x) => x.kind === 'mount').map((x) => x.path!).sort((a, b) => b.length - a.length)) {
    if (run('umount', ['-l', m]).status !== 0) failures.push(`umount -l ${m} failed`);
  }
  for (const top of leaks.filter((x) => x.kind === 'cgroup').map((x) => x.path!)) {
    const dirs = subtree(top).sort((a, b) => b.length - a.length); // children first
    for (const d of dirs) thawAndKill(d);
    for (const d of dirs) {
      let removed = false;
      for (let i = 0; i < 30 && !removed; i++) {
        try { fs.rmdirSync(d); removed = true; } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') removed = true;
          else { thawAndKill(d); await sleep(100); }
        }
      }
      if (!removed) failures.push(`cannot remove cgroup ${d}`);
    }
  }
  return failures;
}

function subtree(dir: string): string[] {
  const out = [dir];
  try {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...subtree(path.join(dir, e.name)));
  } catch { /* gone */ }
  return out;
}

function thawAndKill(dir: string): void {
  const write = (f: string, v: string) => { try { fs.writeFileSync(path.join(dir, f), v); } catch { /* not this version */ } };
  write('freezer.state', 'THAWED'); // cgroup v1 freezer
  write('cgroup.freeze', '0'); // cgroup v2
  let procs = '';
  try { procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8'); } catch { return; }
  for (const pid of procs.split('\n').filter(Boolean)) { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ } }
}

/** Lazily unmounts anything left under dir, then removes it without crossing into other file systems. */
export function removeTree(dir: string, env: NodeJS.ProcessEnv): string | undefined {
  const left = mounts().filter((m) => isUnder(m.point, dir + '/') || m.point === dir).sort((a, b) => b.point.length - a.point.length);
  for (const m of left) spawnSync('umount', ['-l', m.point], { env, stdio: 'ignore' });
  if (mounts().some((m) => isUnder(m.point, dir + '/') || m.point === dir)) return `${dir} still has mounts: not removed`;
  const r = spawnSync('rm', ['-rf', '--one-file-system', dir], { env, stdio: 'ignore' });
  return r.status === 0 ? undefined : `rm -rf ${dir} failed`;
}
