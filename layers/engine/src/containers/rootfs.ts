// A container's root filesystem seen from the engine, for the things dockerd does on the host
// side: resolving Config.User through the image's /etc/passwd and /etc/group, and `docker cp`.
// While the task runs, /proc/<pid>/root is the container's view (with its bind mounts and
// volumes). Otherwise the snapshot's mounts are mounted on a private directory for the duration
// of the call: read-only as an overlay of its layers (upper first; no workdir, so it can never
// collide with a running mount of the same upperdir), or the real read-write overlay to write.
import fs from 'node:fs';
import path from 'node:path';
import { mount, umount2, MNT_DETACH } from '@strata/linux';
import type { Mount } from '@strata/manager';

const MS_RDONLY = 1;
const MS_BIND = 4096;

export async function withSnapshotRoot<T>(mounts: Mount[], scratch: string, o: { writable: boolean }, fn: (root: string) => Promise<T> | T): Promise<T> {
  fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
  const target = fs.mkdtempSync(path.join(scratch, 'root-'));
  const m = mounts[0];
  try {
    if (!m) throw new Error('the container has no rootfs mounts');
    if (m.type === 'bind' || m.options.includes('bind') || m.options.includes('rbind')) {
      mount(m.source, target, null, MS_BIND);
      if (!o.writable) mount(null, target, null, MS_BIND | 32 /* MS_REMOUNT */ | MS_RDONLY);
    } else if (m.type === 'overlay') {
      const opt = (k: string) => m.options.find((x) => x.startsWith(`${k}=`))?.slice(k.length + 1);
      if (o.writable) mount('overlay', target, 'overlay', 0, m.options.join(','));
      else {
        const layers = [opt('upperdir'), opt('lowerdir')].filter(Boolean).join(':');
        // a single lower layer is not a valid overlay: bind it read-only instead
        if (layers.includes(':')) mount('overlay', target, 'overlay', MS_RDONLY, `lowerdir=${layers}`);
        else {
          mount(layers, target, null, MS_BIND);
          mount(null, target, null, MS_BIND | 32 | MS_RDONLY);
        }
      }
    } else throw new Error(`cannot mount a rootfs of type ${m.type}`);
  } catch (e) {
    fs.rmdirSync(target);
    throw e;
  }
  try {
    return await fn(target);
  } finally {
    try {
      umount2(target, MNT_DETACH);
    } catch {
      /* not mounted */
    }
    fs.rmdirSync(target);
  }
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
}

/**
 * docker's user resolution (moby's user.GetExecUser): "name", "uid", "name:group", "uid:gid";
 * names come from the container's /etc/passwd and /etc/group; a numeric uid missing from passwd
 * is fine (gid 0). Supplementary groups: every group listing the user.
 */
export function resolveUser(spec: string, root: string): ResolvedUser {
  const read = (f: string) => {
    try {
      return fs.readFileSync(path.join(root, f), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
    } catch {
      return [];
    }
  };
  const passwd = read('etc/passwd');
  const groups = read('etc/group');
  const [u, g] = spec.split(':');
  let uid: number;
  let gid = 0;
  let userName: string | undefined;
  const byName = passwd.find((p) => p[0] === u);
  if (byName) {
    uid = Number(byName[2]);
    gid = Number(byName[3]);
    userName = byName[0];
  } else if (/^\d+$/.test(u)) {
    uid = Number(u);
    const byUid = passwd.find((p) => Number(p[2]) === uid);
    if (byUid) {
      gid = Number(byUid[3]);
      userName = byUid[0];
    }
  } else throw new Error(`unable to find user ${u}: no matching entries in passwd file`);
  if (g !== undefined && g !== '') {
    const grp = groups.find((x) => x[0] === g);
    if (grp) gid = Number(grp[2]);
    else if (/^\d+$/.test(g)) gid = Number(g);
    else throw new Error(`unable to find group ${g}: no matching entries in group file`);
  }
  const additionalGids = userName ? groups.filter((x) => (x[3] ?? '').split(',').includes(userName!)).map((x) => Number(x[2])).filter((x) => x !== gid) : [];
  return { uid, gid, additionalGids };
}
