// Copy a directory tree with everything a root filesystem needs preserved: owners, modes
// (setuid included), times to the nanosecond, xattrs, symlinks as symlinks, hardlinks as
// hardlinks, device nodes and fifos (containerd's native snapshotter uses continuity's
// fs.CopyDir the same way). Sockets are skipped, as continuity does. Regular files are
// reflinked when the filesystem can.
import { constants as fsc, type BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import { mknod } from '@strata/linux';
import { lsetxattr, lutimesNs, readXattrs } from '../archive/syscalls';

export async function copyTree(src: string, dst: string): Promise<void> {
  const links = new Map<string, string>(); // "dev:ino" of a multiply-linked file -> its first copy
  const dirTimes: { path: string; st: BigIntStats }[] = [];

  const copyMeta = async (from: string, to: string, st: BigIntStats) => {
    await fs.lchown(to, Number(st.uid), Number(st.gid));
    for (const [k, v] of Object.entries(readXattrs(from))) {
      try {
        lsetxattr(to, k, v);
      } catch {
        // security.* and similar may be refused (moby/buildkit#1189): containerd ignores these too
      }
    }
    if (!st.isSymbolicLink()) await fs.chmod(to, Number(st.mode & 0o7777n)); // after chown (it clears setuid)
  };

  const visit = async (from: string, to: string, isRoot: boolean): Promise<void> => {
    const st = await fs.lstat(from, { bigint: true });
    if (st.isDirectory()) {
      if (!isRoot) await fs.mkdir(to, 0o700);
      for (const name of await fs.readdir(from)) await visit(`${from}/${name}`, `${to}/${name}`, false);
      await copyMeta(from, to, st);
      dirTimes.push({ path: to, st }); // after all children: creating them changed the mtime
      return;
    }
    if (st.isSocket()) return;
    if (st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        await fs.link(first, to);
        return;
      }
      links.set(key, to);
    }
    if (st.isFile()) await fs.copyFile(from, to, fsc.COPYFILE_EXCL | fsc.COPYFILE_FICLONE);
    else if (st.isSymbolicLink()) await fs.symlink(await fs.readlink(from), to);
    else mknod(to, Number(st.mode), st.rdev); // devices (overlay whiteouts are 0/0 char devices), fifos
    await copyMeta(from, to, st);
    lutimesNs(to, st.atimeNs, st.mtimeNs);
  };

  await visit(src, dst, true);
  for (const d of dirTimes) lutimesNs(d.path, d.st.atimeNs, d.st.mtimeNs);
}
