// config.md#mounts, as init ops. Every target is resolved *inside* the rootfs by the init
// (openat2 RESOLVE_IN_ROOT), so a symlink in an image cannot redirect a mount onto the host.
import fs from 'node:fs';
import path from 'node:path';
import type { Mount, Spec } from '@strata/oci';
import type { InitOp } from '@strata/linux';
import { RuntimeError } from '../errors';
import { MS, parseMountOptions } from './mountOptions';

export interface MountContext {
  spec: Spec;
  bundle: string;
  /** Is there a new network namespace (a user namespace can mount sysfs only then)? */
  newNet: boolean;
  /** Is there a new cgroup namespace (then cgroupfs can be mounted fresh)? */
  newCgroupNs: boolean;
  /** In a user namespace mknod is impossible and some mounts need other handling. */
  userNs: boolean;
  /** cgroup layout of the host and the container's cgroup dirs (controller -> host dir). */
  cgroup: { version: 1 | 2; mounts: Record<string, string>; unified?: string; dirs: Record<string, string> };
}

function inRoot(op: string, args: InitOp['args'], why?: string): InitOp {
  return { op: op as InitOp['op'], args, why };
}

/** Bind mounts: is the source a directory (mkdir the target) or a file (create an empty file)? */
function bindTargetKind(source: string, pointer: string): 'dir' | 'file' {
  try {
    return fs.statSync(source).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    throw new RuntimeError('INVALID_CONFIG', `config.json ${pointer}: bind mount source ${source} does not exist (${(e as NodeJS.ErrnoException).code})`, { pointer });
  }
}

function propagationOps(target: string, propagation: number[]): InitOp[] {
  return propagation.map((p) => inRoot('mount-in-root', ['', target, '', p, '', 'none'], 'mount propagation'));
}

/** The /sys/fs/cgroup mount: fresh cgroupfs inside a cgroup namespace, else binds of our dirs. */
function cgroupMountOps(m: Mount, ctx: MountContext, flags: number): InitOp[] {
  const target = m.destination;
  const ops: InitOp[] = [];
  const ro = flags & MS.RDONLY;
  const common = MS.NOSUID | MS.NODEV | MS.NOEXEC;
  if (ctx.cgroup.version === 2) {
    if (ctx.newCgroupNs) {
      ops.push(inRoot('mount-in-root', ['cgroup2', target, 'cgroup2', common | flags, '', 'dir'], 'cgroup v2 (the cgroup namespace makes our cgroup its root)'));
    } else {
      const dir = ctx.cgroup.dirs[''];
      ops.push(inRoot('mount-in-root', [dir, target, '', MS.BIND | MS.REC, '', 'dir'], 'bind our own cgroup dir (no cgroup namespace)'));
      if (ro) ops.push(inRoot('mount-in-root', ['', target, '', MS.BIND | MS.REMOUNT | MS.RDONLY | common, '', 'none']));
    }
    return ops;
  }
  // cgroup v1 (and hybrid): a tmpfs with one directory per hierarchy, like the host's layout.
  ops.push(inRoot('mount-in-root', ['tmpfs', target, 'tmpfs', common, 'mode=755', 'dir'], 'cgroup v1: a tmpfs holding one dir per hierarchy'));
  const seen = new Set<string>();
  for (const [controller, mountDir] of Object.entries(ctx.cgroup.mounts)) {
    const name = path.basename(mountDir); // e.g. "cpu,cpuacct" or "cpu" or "systemd"
    if (seen.has(name)) continue;
    seen.add(name);
    const sub = path.posix.join(target, name);
    if (ctx.newCgroupNs) {
      const opts = controller.startsWith('name=') ? `none,${controller}` : name;
      ops.push(inRoot('mount-in-root', ['cgroup', sub, 'cgroup', common | (ro ? MS.RDONLY : 0), opts, 'dir'], `cgroup v1 ${name}`));
    } else {
      const dir = ctx.cgroup.dirs[controller];
      if (!dir) continue;
      ops.push(inRoot('mount-in-root', [dir, sub, '', MS.BIND | MS.REC, '', 'dir'], `bind our ${name} cgroup dir`));
      ops.push(inRoot('mount-in-root', ['', sub, '', MS.BIND | MS.REMOUNT | common | (ro ? MS.RDONLY : 0), '', 'none']));
    }
  }
  if (ctx.cgroup.unified && ctx.newCgroupNs) {
    ops.push(inRoot('mount-in-root', ['cgroup2', path.posix.join(target, 'unified'), 'cgroup2', common | (ro ? MS.RDONLY : 0), '', 'dir'], 'hybrid host: the unified hierarchy'));
  }
  // Controllers mounted together (cpu,cpuacct) are also reachable by each name, as on the host.
  for (const name of seen) {
    if (!name.includes(',')) continue;
    for (const part of name.split(',')) {
      ops.push(inRoot('symlink-in-root', [name, path.posix.join(target, part)], 'alias of a co-mounted hierarchy'));
    }
  }
  if (ro) ops.push(inRoot('mount-in-root', ['', target, '', MS.BIND | MS.REMOUNT | MS.RDONLY | common, '', 'none'], 'read-only cgroup tree'));
  return ops;
}

export function mountOps(ctx: MountContext): InitOp[] {
  const ops: InitOp[] = [];
  (ctx.spec.mounts ?? []).forEach((m, i) => {
    const pointer = `/mounts/${i}`;
    if (!m.destination) {
      throw new RuntimeError('INVALID_CONFIG', `config.json ${pointer}/destination: must not be empty`, { pointer: `${pointer}/destination` });
    }
    // config.md#mounts: a relative destination is interpreted as relative to "/".
    const target = path.posix.normalize(path.posix.join('/', m.destination));
    const opt = parseMountOptions(m.options);
    const type = m.type ?? '';
    if (type === 'cgroup' || type === 'cgroup2') {
      ops.push(...cgroupMountOps(m, ctx, opt.flags));
      return;
    }
    if (opt.bind || type === 'bind') {
      const source = path.resolve(ctx.bundle, m.source ?? '');
      const kind = bindTargetKind(source, `${pointer}/source`);
      ops.push(inRoot('mount-in-root', [source, target, '', MS.BIND | (opt.recursive ? MS.REC : 0), '', kind], `bind ${source}`));
      // Flags other than MS_BIND/MS_REC are ignored by a bind mount: they need a remount (mount(8)).
      const extra = opt.flags & ~MS.REMOUNT;
      if (extra) ops.push(inRoot('mount-in-root', ['', target, '', MS.BIND | MS.REMOUNT | extra, '', 'none'], 'apply options to the bind mount'));
      ops.push(...propagationOps(target, opt.propagation));
      return;
    }
    if (type === 'sysfs' && !ctx.newNet && ctx.userNs) {
      // The kernel lets a process mount sysfs only if it has CAP_SYS_ADMIN over the user
      // namespace that owns its network namespace. Root of the host always has: a container that
      // joins a pod's or the engine's netns, or shares the host's, gets a fresh sysfs (as with
      // runc), whose /sys/class/net is that namespace's. Root of a new user namespace in a network
      // namespace it did not make has not: then, as crun does, bind the host's /sys (read-only if
      // asked). A bind drags the host's submounts of /sys along (configfs, debugfs, ...), which
      // CRIU refuses to dump ("unreachable sharing"), so it is only the last resort.
      ops.push(inRoot('mount-in-root', ['/sys', target, '', MS.BIND | MS.REC, '', 'dir'], 'user ns without its own net ns: bind /sys'));
      if (opt.flags) ops.push(inRoot('mount-in-root', ['', target, '', MS.BIND | MS.REMOUNT | opt.flags, '', 'none']));
      return;
    }
    ops.push(inRoot('mount-in-root', [m.source ?? type, target, type, opt.flags, opt.data, 'dir'], `${type} on ${target}`));
    ops.push(...propagationOps(target, opt.propagation));
  });
  return ops;
}

/** Does the config mount a devpts at /dev/pts, and a tmpfs (or anything) at /dev? */
export function devMounts(spec: Spec): { devpts: boolean; devBound: boolean; procMounted: boolean } {
  const ms = spec.mounts ?? [];
  const norm = (d: string) => path.posix.normalize(d.startsWith('/') ? d : `/${d}`);
  return {
    devpts: ms.some((m) => m.type === 'devpts' && norm(`/${m.destination}`) === '/dev/pts'),
    devBound: ms.some((m) => norm(m.destination) === '/dev' && (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind'))),
    procMounted: ms.some((m) => m.type === 'proc' && norm(m.destination) === '/proc'),
  };
}
