// The container's root filesystem as containerd hands it over: CreateTaskRequest.rootfs is a list
// of mounts (containerd.types.Mount) for <bundle>/rootfs, typically one overlay mount made from a
// snapshot (lowerdir=...,upperdir=...,workdir=...). The shim mounts them before `runtime create`
// and unmounts them on Delete (and in the `delete` subcommand after a crash).
import fs from 'node:fs';
import path from 'node:path';
import { mount, umount2, MNT_DETACH } from '@strata/linux';
import { ShimError } from './errors';

export interface MountSpec {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

// mount(8) option names -> mount(2) flags. Anything else is filesystem data (e.g. lowerdir=).
const FLAGS: Record<string, [set: boolean, flag: number]> = {
  ro: [true, 0x1],
  rw: [false, 0x1],
  nosuid: [true, 0x2],
  suid: [false, 0x2],
  nodev: [true, 0x4],
  dev: [false, 0x4],
  noexec: [true, 0x8],
  exec: [false, 0x8],
  sync: [true, 0x10],
  remount: [true, 0x20],
  mand: [true, 0x40],
  dirsync: [true, 0x80],
  noatime: [true, 0x400],
  nodiratime: [true, 0x800],
  bind: [true, 0x1000],
  rbind: [true, 0x1000 | 0x4000],
  relatime: [true, 0x200000],
  strictatime: [true, 0x1000000],
};

export function mountFlags(options: string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    if (!f) data.push(o);
    else if (f[0]) flags |= f[1];
    else flags &= ~f[1];
  }
  return { flags, data: data.join(',') };
}

/** Mount every rootfs mount onto <bundle>/rootfs (in order); undo all of them on failure. */
export function mountRootfs(bundle: string, mounts: MountSpec[]): void {
  if (mounts.length === 0) return;
  const target = path.join(bundle, 'rootfs');
  fs.mkdirSync(target, { recursive: true, mode: 0o711 });
  const done: string[] = [];
  try {
    mounts.forEach((m, i) => {
      if (!m.type) throw new ShimError('INVALID_ARGUMENT', `rootfs[${i}].type: empty mount type`);
      const at = m.target ? resolveInside(target, m.target, i) : target;
      const { flags, data } = mountFlags(m.options);
      // A bind mount's read-only bit needs a remount (mount(2): MS_RDONLY is ignored on the first call).
      mount(m.source, at, m.type, flags & ~0x1, data || undefined);
      done.push(at);
      if (flags & 0x1000 && flags & 0x1) mount(null, at, null, flags | 0x20, undefined);
    });
  } catch (e) {
    for (const at of done.reverse()) tryUnmount(at);
    if (e instanceof ShimError) throw e;
    throw new ShimError('INVALID_ARGUMENT', `mounting the rootfs: ${(e as Error).message}`);
  }
}

function resolveInside(root: string, target: string, i: number): string {
  const p = path.resolve(root, `./${target}`);
  if (p !== root && !p.startsWith(root + path.sep)) throw new ShimError('INVALID_ARGUMENT', `rootfs[${i}].target ${JSON.stringify(target)} escapes the rootfs`);
  return p;
}

/** Unmount everything mounted at or below <bundle>/rootfs (deepest first), as containerd's UnmountAll. */
export function unmountRootfs(bundle: string): void {
  const target = path.join(bundle, 'rootfs');
  for (let i = 0; i < 32; i++) {
    const below = mountPointsUnder(target);
    if (below.length === 0) return;
    for (const m of below) tryUnmount(m);
  }
}

function tryUnmount(at: string): void {
  try {
    umount2(at, MNT_DETACH);
  } catch {
    // not mounted (any more)
  }
}

/** Mount points at or under `dir`, deepest first (from /proc/self/mountinfo). */
function mountPointsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === dir || p.startsWith(dir + '/')) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}
