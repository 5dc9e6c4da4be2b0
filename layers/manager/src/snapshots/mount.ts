// Mounting the mounts a snapshotter returns (containerd's mount package: mount.All,
// UnmountAll, WithTempMount, WithReadonlyTempMount). A Mount is {type, source, options}: the
// options are fstab words; the ones mount(2) knows as flags become flags, the rest is the
// filesystem's data string (for overlay: lowerdir=...,upperdir=...,workdir=...).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MNT_DETACH, mount, readMountInfo, umount2, SyscallError } from '@strata/linux';
import type { Mount } from '../types';

// <sys/mount.h>
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;

/** fstab option -> [clear?, flag], the table containerd's parseMountOptions uses. */
const FLAGS: Record<string, [boolean, number]> = {
  async: [true, MS_SYNCHRONOUS],
  atime: [true, MS_NOATIME],
  bind: [false, MS_BIND],
  defaults: [false, 0],
  dev: [true, MS_NODEV],
  diratime: [true, MS_NODIRATIME],
  dirsync: [false, MS_DIRSYNC],
  exec: [true, MS_NOEXEC],
  mand: [false, MS_MANDLOCK],
  noatime: [false, MS_NOATIME],
  nodev: [false, MS_NODEV],
  nodiratime: [false, MS_NODIRATIME],
  noexec: [false, MS_NOEXEC],
  nomand: [true, MS_MANDLOCK],
  norelatime: [true, MS_RELATIME],
  nostrictatime: [true, MS_STRICTATIME],
  nosuid: [false, MS_NOSUID],
  rbind: [false, MS_BIND | MS_REC],
  relatime: [false, MS_RELATIME],
  remount: [false, MS_REMOUNT],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  strictatime: [false, MS_STRICTATIME],
  suid: [true, MS_NOSUID],
  sync: [false, MS_SYNCHRONOUS],
  private: [false, MS_PRIVATE],
  rprivate: [false, MS_PRIVATE | MS_REC],
  slave: [false, MS_SLAVE],
  rslave: [false, MS_SLAVE | MS_REC],
  shared: [false, MS_SHARED],
  rshared: [false, MS_SHARED | MS_REC],
  unbindable: [false, MS_UNBINDABLE],
  runbindable: [false, MS_UNBINDABLE | MS_REC],
};

export function parseMountOptions(options: readonly string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    const f = FLAGS[o];
    if (f && f[1] !== 0) flags = f[0] ? flags & ~f[1] : flags | f[1];
    else if (!f) data.push(o);
  }
  return { flags, data: data.join(',') };
}

const PAGE_SIZE = 4096;

/**
 * overlay's data must fit in one page. Like containerd (compactLowerdirOption), mount from the
 * snapshots directory with relative lowerdirs when the absolute ones are too long.
 */
function compactLowerdirs(options: readonly string[]): { chdir?: string; options: string[] } {
  const i = options.findIndex((o) => o.startsWith('lowerdir='));
  if (i === -1) return { options: [...options] };
  const dirs = options[i].slice('lowerdir='.length).split(':');
  if (dirs.length < 2) return { options: [...options] };
  // common parent of all lowerdirs: ".../snapshots/<id>/fs" -> ".../snapshots"
  let common = path.dirname(path.dirname(dirs[0]));
  while (!dirs.every((d) => d.startsWith(`${common}/`)) && common !== '/') common = path.dirname(common);
  if (common === '/') return { options: [...options] };
  const out = [...options];
  out[i] = `lowerdir=${dirs.map((d) => d.slice(common.length + 1)).join(':')}`;
  return { chdir: common, options: out };
}

/** Mount one Mount on target (containerd's Mount.Mount on Linux). */
export function mountOne(m: Mount, target: string): void {
  let chdir: string | undefined;
  let options = m.options;
  if (m.type === 'overlay' && options.join(',').length >= PAGE_SIZE - 512) ({ chdir, options } = compactLowerdirs(options));
  const { flags, data } = parseMountOptions(options);
  if (data.length > PAGE_SIZE) throw new Error(`mount ${target}: options are too long (${data.length} bytes, the limit is a page)`);
  const propagation = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;
  const oflags = flags & ~propagation;
  if ((flags & MS_REMOUNT) === 0 || data !== '') {
    const cwd = process.cwd();
    if (chdir) process.chdir(chdir); // synchronous call: nothing else runs before we change back
    try {
      mount(m.source, target, m.type === 'bind' ? null : m.type, oflags, data || undefined);
    } finally {
      if (chdir) process.chdir(cwd);
    }
  }
  if (flags & propagation) mount(null, target, null, flags & (propagation | MS_REC), undefined);
  // a bind mount ignores MS_RDONLY until it is remounted
  if ((oflags & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY)) mount(null, target, null, oflags | MS_REMOUNT, undefined);
}

/** Mount all, in order, on the same target (containerd's mount.All). */
export function mountAll(mounts: readonly Mount[], target: string): void {
  for (const m of mounts) mountOne(m, target);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Unmount everything stacked on target until it is no mount point any more (EINVAL). */
export async function unmountAll(target: string, flags = 0): Promise<void> {
  if (!target || !fs.existsSync(target)) return;
  for (;;) {
    let busy = 0;
    for (;;) {
      try {
        umount2(target, flags);
        break;
      } catch (e) {
        const code = (e as SyscallError).code;
        if (code === 'EINVAL') return; // not a mount point: done
        if (code === 'EBUSY' && busy++ < 50) {
          await sleep(50);
          continue;
        }
        throw e;
      }
    }
  }
}

/** Return read-only versions of mounts (containerd's readonlyMounts). */
export function readonlyMounts(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m) => {
    if (m.type === 'overlay') {
      // drop upperdir/workdir; the upperdir becomes the top lowerdir
      const upper = m.options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
      const out = m.options.filter((o) => !o.startsWith('upperdir=') && !o.startsWith('workdir='));
      return { ...m, options: upper ? out.map((o) => (o.startsWith('lowerdir=') ? `lowerdir=${upper}:${o.slice('lowerdir='.length)}` : o)) : out };
    }
    return { ...m, options: [...m.options.filter((o) => o !== 'rw' && o !== 'ro'), 'ro'] };
  });
}

let tempMountLocation = os.tmpdir();

/** Where temporary mounts go (containerd: <root>/tmpmounts, set at startup). */
export function setTempMountLocation(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  tempMountLocation = dir;
}
export const getTempMountLocation = (): string => tempMountLocation;

/**
 * Mount on a fresh temp dir, run f, then unmount and remove the dir whatever happens. The dir is
 * removed with rmdir, never recursively: if the unmount failed, deleting recursively would
 * delete the snapshot's files through the mount.
 */
export async function withTempMount<T>(mounts: readonly Mount[], f: (root: string) => Promise<T>, opts: { readonly?: boolean } = {}): Promise<T> {
  const root = await fsp.mkdtemp(path.join(tempMountLocation, 'strata-mount-'));
  try {
    try {
      mountAll(opts.readonly ? readonlyMounts(mounts) : mounts, root);
      return await f(root);
    } finally {
      await unmountAll(root);
    }
  } finally {
    await fsp.rmdir(root);
  }
}

/**
 * At startup: unmount whatever a crashed run left mounted in the temp mount location and remove
 * the empty dirs (containerd's mount.CleanupTempMounts). Returns the mount points it unmounted.
 */
export async function cleanupTempMounts(): Promise<string[]> {
  const root = tempMountLocation;
  const points = mountsUnder(root)
    .filter((p) => p !== root)
    .sort((a, b) => b.length - a.length); // deepest first
  for (const p of points) await unmountAll(p, MNT_DETACH);
  for (const d of fs.existsSync(root) ? await fsp.readdir(root) : []) {
    if (d.startsWith('strata-mount-')) await fsp.rmdir(path.join(root, d)).catch(() => undefined); // never recursive
  }
  return points;
}

/** Mount points at or below dir, from /proc/self/mountinfo (for leak checks and cleanup). */
export function mountsUnder(dir: string): string[] {
  return readMountInfo('self')
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}
