// A snapshot's file tree, seen from the builder. The manager hands out mounts (overlay, or a
// bind of the first layer's directory); the builder mounts them on a private temp dir when it
// has to read or write files itself (COPY, ADD, WORKDIR, user lookup) — as dockerd mounts
// containerd snapshots for `docker cp` and the classic builder's COPY. Paths *inside* the image
// are resolved like docker's FollowSymlinkInScope: a symlink is followed, but "/" and ".." are
// those of the image, never the host's.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { mount, umount2, type SyscallError } from '@strata/linux';
import type { Mount } from '@strata/manager';

const MS_RDONLY = 0x1;
const MS_REMOUNT = 0x20;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;

/** The fstab words the manager's snapshotters use; everything else is filesystem data. */
function flagsOf(options: readonly string[]): { flags: number; data: string } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o === 'ro') flags |= MS_RDONLY;
    else if (o === 'rw') flags &= ~MS_RDONLY;
    else if (o === 'bind') flags |= MS_BIND;
    else if (o === 'rbind') flags |= MS_BIND | MS_REC;
    else data.push(o);
  }
  return { flags, data: data.join(',') };
}

/** The same mounts, read-only: an overlay's upperdir becomes its top lowerdir (containerd's readonlyMounts). */
export function readonlyMounts(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m) => {
    if (m.type !== 'overlay') return { ...m, options: [...m.options.filter((o) => o !== 'rw' && o !== 'ro'), 'ro'] };
    const upper = m.options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
    const rest = m.options.filter((o) => !o.startsWith('upperdir=') && !o.startsWith('workdir='));
    if (!upper) return { ...m, options: rest };
    const hasLower = rest.some((o) => o.startsWith('lowerdir='));
    // an overlay needs two lowers without an upper; a single one is mounted as a bind instead
    if (!hasLower) return { type: 'bind', source: upper, target: m.target, options: ['rbind', 'ro'] } as Mount;
    return { ...m, options: rest.map((o) => (o.startsWith('lowerdir=') ? `lowerdir=${upper}:${o.slice('lowerdir='.length)}` : o)) };
  });
}

function mountAll(mounts: readonly Mount[], target: string): void {
  for (const m of mounts) {
    const { flags, data } = flagsOf(m.options);
    mount(m.source, target, m.type === 'bind' ? null : m.type, flags, data || undefined);
    // a bind mount ignores MS_RDONLY until it is remounted
    if ((flags & (MS_BIND | MS_RDONLY)) === (MS_BIND | MS_RDONLY)) mount(null, target, null, flags | MS_REMOUNT, undefined);
  }
}

async function unmountAll(target: string): Promise<void> {
  for (let busy = 0; ; ) {
    try {
      umount2(target, 0);
    } catch (e) {
      const code = (e as SyscallError).code;
      if (code === 'EINVAL' || code === 'ENOENT') return; // nothing (more) mounted there
      if (code === 'EBUSY' && busy++ < 50) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      throw e;
    }
  }
}

/**
 * Mount on a fresh dir below mountRoot, run f, unmount and remove the dir whatever happens.
 * The dir is removed with rmdir, never recursively: after a failed unmount a recursive delete
 * would go through into the snapshot.
 */
export async function withMounted<T>(mounts: readonly Mount[], mountRoot: string, f: (root: string) => Promise<T>, o: { readonly?: boolean } = {}): Promise<T> {
  fs.mkdirSync(mountRoot, { recursive: true, mode: 0o700 });
  const dir = path.join(mountRoot, crypto.randomBytes(6).toString('hex'));
  fs.mkdirSync(dir, { mode: 0o700 });
  try {
    try {
      if (mounts.length) mountAll(o.readonly ? readonlyMounts(mounts) : mounts, dir);
      return await f(dir);
    } finally {
      await unmountAll(dir);
    }
  } finally {
    fs.rmdirSync(dir);
  }
}

export class ScopeError extends Error {}

/**
 * A path inside `root` (absolute in the image's view, or relative to it), with every symlink
 * resolved inside root: "/a/../../etc" is "<root>/etc"; a link to "/x" means "<root>/x".
 * With follow=false the last component is not followed (it may itself be a symlink).
 */
export function resolveInRoot(root: string, p: string, follow = true): string {
  let todo = p.split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let hops = 0;
  while (todo.length) {
    const c = todo.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    const abs = path.join(root, ...done, c);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(abs);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && (todo.length > 0 || follow)) {
      if (++hops > 40) throw new ScopeError(`${p}: too many levels of symbolic links`);
      const target = fs.readlinkSync(abs);
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/').filter((x) => x !== '' && x !== '.'), ...todo];
      continue;
    }
    done.push(c);
  }
  return path.join(root, ...done);
}

/** /etc/passwd and /etc/group of an image, for USER and --chown names (docker reads them the same way). */
export function lookupUser(root: string, spec: string): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const read = (f: string) => {
    try {
      return fs.readFileSync(resolveInRoot(root, f), 'utf8').split('\n').map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    const entry = read('/etc/passwd').find((e) => e[2] === user);
    gid = entry ? Number(entry[3]) : 0;
  } else {
    const entry = read('/etc/passwd').find((e) => e[0] === user);
    if (!entry) throw new ScopeError(`unable to find user ${user}: no matching entries in passwd file`);
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (group !== undefined && group !== '') {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const entry = read('/etc/group').find((e) => e[0] === group);
      if (!entry) throw new ScopeError(`unable to find group ${group}: no matching entries in group file`);
      gid = Number(entry[2]);
    }
  }
  return { uid, gid };
}
