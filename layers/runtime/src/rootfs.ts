// Reading files of the container's rootfs from the host, safely: every symlink is resolved as if
// the rootfs were "/" (the same rule the init applies with openat2 RESOLVE_IN_ROOT), so an image
// whose /etc/passwd is a symlink to the host's /etc/shadow gets nothing from the host.
import fs from 'node:fs';
import path from 'node:path';
import { readMountInfo } from '@strata/linux';

export function resolveInRoot(root: string, p: string, maxLinks = 40): string {
  const parts = p.split('/').filter(Boolean);
  let cur = '';
  let links = 0;
  while (parts.length) {
    const part = parts.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      cur = path.posix.dirname(cur === '' ? '/' : cur);
      if (cur === '/') cur = '';
      continue;
    }
    const next = `${cur}/${part}`;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(root + next);
    } catch {
      cur = next; // does not exist (yet): the rest is taken literally
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > maxLinks) throw Object.assign(new Error(`too many symlinks resolving ${p}`), { code: 'ELOOP' });
      const target = fs.readlinkSync(root + next);
      parts.unshift(...target.split('/').filter(Boolean));
      if (target.startsWith('/')) cur = '';
      continue;
    }
    cur = next;
  }
  return root + (cur || '/');
}

/** The home directory of a uid from the image's /etc/passwd (for HOME, as runc sets it). */
export function homeOf(rootfs: string, uid: number): string | undefined {
  try {
    const text = fs.readFileSync(resolveInRoot(rootfs, '/etc/passwd'), 'utf8');
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f.length >= 6 && Number(f[2]) === uid) return f[5] || '/';
    }
  } catch {
    // no passwd file: runc falls back to "/"
  }
  return undefined;
}

/** The mount point of the mount containing `dir` (longest matching mount point in mountinfo). */
export function mountPointOf(dir: string): string {
  let best = '/';
  for (const m of readMountInfo()) {
    const mp = m.mountPoint;
    if ((dir === mp || dir.startsWith(mp.endsWith('/') ? mp : `${mp}/`)) && mp.length > best.length) best = mp;
  }
  return best;
}
