// Which cgroup hierarchies does this host have? (cgroups(7)). Read from /proc/self/mountinfo,
// never assumed: our machines are v1 "hybrid" (v1 controllers + a cgroup2 mount at
// /sys/fs/cgroup/unified), classroom VMs are pure v2.
import fs from 'node:fs';
import path from 'node:path';
import { readMountInfo } from '../sys/procfs';

export interface CgroupLayout {
  version: 1 | 2;
  /** v1 and hybrid hosts have v1 controllers and a cgroup2 mount beside them. */
  hybrid: boolean;
  /** v1: controller (or "name=systemd") -> mount dir; v2: { '': mount dir }. */
  mounts: Record<string, string>;
  /** The cgroup2 mount (all of v2, or the unified mount of a hybrid host). */
  unified?: string;
  /** Controllers available (v1: mounted ones; v2: cgroup.controllers of the root). */
  controllers: string[];
}

let cached: CgroupLayout | undefined;

export function detectCgroupLayout(mountinfo = readMountInfo()): CgroupLayout {
  if (cached && arguments.length === 0) return cached;
  const mounts: Record<string, string> = {};
  let unified: string | undefined;
  for (const m of mountinfo) {
    if (m.fstype === 'cgroup2') unified ??= m.mountPoint;
    if (m.fstype !== 'cgroup') continue;
    for (const opt of m.superOptions.split(',')) {
      if (['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children'].includes(opt) || opt.startsWith('release_agent')) continue;
      mounts[opt] ??= m.mountPoint;
    }
  }
  let layout: CgroupLayout;
  if (Object.keys(mounts).some((k) => !k.startsWith('name='))) {
    layout = { version: 1, hybrid: unified !== undefined, mounts, unified, controllers: Object.keys(mounts).filter((k) => !k.startsWith('name=')) };
  } else {
    const root = unified ?? '/sys/fs/cgroup';
    let controllers: string[] = [];
    try {
      controllers = fs.readFileSync(`${root}/cgroup.controllers`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      // no cgroup2 mounted at all: leave empty, creating a cgroup will say so
    }
    layout = { version: 2, hybrid: false, mounts: { '': root }, unified: root, controllers };
  }
  if (arguments.length === 0) cached = layout;
  return layout;
}

/** Our own cgroup (from /proc/self/cgroup): relative cgroupsPath values are below it. */
export function ownCgroup(layout: CgroupLayout, controller = 'memory'): string {
  return processCgroup('self', layout, controller);
}

/**
 * The cgroup of a process (cgroups(7), /proc/[pid]/cgroup), on the hierarchy holding
 * `controller` for v1. The shim finds a container's cgroup this way, from its init's pid.
 */
export function processCgroup(pid: number | 'self', layout: CgroupLayout, controller = 'memory'): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
  for (const l of lines) {
    // "hierarchy-id:controller,list:path" (cgroups(7), /proc/[pid]/cgroup)
    const i = l.indexOf(':');
    const j = l.indexOf(':', i + 1);
    const ctrls = l.slice(i + 1, j);
    const p = l.slice(j + 1);
    if (layout.version === 2 && l.startsWith('0::')) return p || '/';
    if (layout.version === 1 && ctrls.split(',').includes(controller)) return p || '/';
  }
  return '/';
}

/**
 * linux.cgroupsPath with cgroupfs semantics (runc without --systemd-cgroup): an absolute path is
 * taken from the hierarchy root; a relative one is below the runtime's own cgroup; none means
 * "<own cgroup>/<container id>".
 *
 * On cgroup v2 "own cgroup" means its parent, as in runc (libcontainer/cgroups/fs2): the caller's
 * own cgroup has processes in it (the caller, at least), and a cgroup with processes cannot give
 * its children domain controllers ("no internal processes", cgroup-v2.rst); once a threaded one
 * like pids is enabled there, it even becomes a thread root and a new child refuses processes
 * (EOPNOTSUPP). Run from a systemd unit (cloud-init, an SSH session's scope) that is the normal
 * case; the parent (system.slice, user-0.slice) holds no processes. On v1 there is no such rule.
 */
export function resolveCgroupsPath(cgroupsPath: string | undefined, id: string, layout = detectCgroupLayout(), own?: string): string {
  const p = cgroupsPath && cgroupsPath.length ? cgroupsPath : id;
  if (p.includes(':')) throw Object.assign(new Error(`cgroupsPath ${JSON.stringify(p)} looks like a systemd slice:prefix:name path; strata-runtime drives cgroupfs`), { pointer: '/linux/cgroupsPath' });
  const parts = p.split('/').filter((s) => s && s !== '.');
  if (parts.includes('..')) throw Object.assign(new Error(`cgroupsPath ${JSON.stringify(p)} must not contain ".."`), { pointer: '/linux/cgroupsPath' });
  let base = '/';
  if (!p.startsWith('/')) {
    const mine = own ?? ownCgroup(layout);
    base = layout.version === 2 ? path.posix.dirname(mine) : mine;
  }
  return `/${[...base.split('/').filter(Boolean), ...parts].join('/')}`;
}
