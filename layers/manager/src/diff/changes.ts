// The changes from one tree to another, written as a layer (containerd's archive.WriteDiff:
// continuity's double-walk fs.Changes feeding archive.ChangeWriter).
//
// Both trees are walked together, directory by directory, names in byte order:
//   only in lower                  deleted   -> whiteout ".wh.<name>" (its contents are not visited)
//   only in upper                  added     -> the entry (and, for a directory, all it holds)
//   in both, different             modified  -> the entry; a directory replacing a file (or the
//                                               reverse) is written whole
//   in both, same                  nothing   (but see hardlinks)
//   directory made opaque in the   -> the directory, ".wh..wh..opq", then everything it holds:
//   upper's top overlay layer         shorter than one whiteout per hidden lower file
//
// "Same" is continuity's sameFile: type+mode, owner, device number, xattrs (we compare all but
// trusted.*, containerd only security.capability), and for non-directories size and mtime; when
// both mtimes have no sub-second part (they went through a tar) the content is compared too.
//
// Every changed entry is preceded by its parent directories (containerd's includeParents), so
// an applier creates them with the right owner and mode. Hardlinks: the first changed name of an
// inode carries the data, the others are written as links to it — including unchanged names,
// since replacing the inode breaks their link otherwise.
import type { BigIntStats } from 'node:fs';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { OVERLAY_OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX, major, minor } from '../archive/apply';
import { lgetxattr, readXattrs } from '../archive/syscalls';
import type { TarWriter, TarWriterHeader } from '../archive/tarWriter';

interface Node {
  rel: string;
  abs: string;
  st: BigIntStats;
}

const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const skipTrusted = (n: string) => n.startsWith('trusted.');
const NS = 1_000_000_000n;

async function lstat(p: string): Promise<BigIntStats> {
  return fsp.lstat(p, { bigint: true });
}

function sameXattrs(a: string, b: string): boolean {
  const xa = readXattrs(a, skipTrusted);
  const xb = readXattrs(b, skipTrusted);
  const ka = Object.keys(xa).sort();
  const kb = Object.keys(xb).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && xa[k].equals(xb[k]));
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [fa, fb] = await Promise.all([fsp.open(a, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW), fsp.open(b, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)]);
  try {
    const ba = Buffer.alloc(64 * 1024);
    const bb = Buffer.alloc(64 * 1024);
    for (;;) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, ba.length, null), fb.read(bb, 0, bb.length, null)]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (ra.bytesRead === 0) return true;
      if (!ba.subarray(0, ra.bytesRead).equals(bb.subarray(0, rb.bytesRead))) return false;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** A file's bytes, opened only when iterated and closed however the iteration ends. */
function fileContent(abs: string): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      const fh = await fsp.open(abs, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        for (;;) {
          const buf = Buffer.allocUnsafe(64 * 1024); // a fresh buffer each time: the writer keeps it
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) return;
          yield buf.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    },
  };
}

/** continuity's sameFile, with all non-trusted xattrs compared. contentCache: one comparison per inode pair (hardlinks). */
async function sameFile(l: Node, u: Node, contentCache: Map<string, boolean>): Promise<boolean> {
  if (l.st.mode !== u.st.mode || l.st.uid !== u.st.uid || l.st.gid !== u.st.gid || l.st.rdev !== u.st.rdev) return false;
  if (!sameXattrs(l.abs, u.abs)) return false;
  if (u.st.isDirectory()) return true;
  if (l.st.size !== u.st.size) return false;
  if (l.st.mtimeNs / NS !== u.st.mtimeNs / NS) return false;
  if (l.st.mtimeNs % NS === 0n && u.st.mtimeNs % NS === 0n) {
    // times truncated to the second (both went through a tar): look at the content
    if (u.st.isSymbolicLink()) return (await fsp.readlink(l.abs)) === (await fsp.readlink(u.abs));
    if (u.st.size === 0n || !u.st.isFile()) return true;
    const key = `${l.st.dev}:${l.st.ino}/${u.st.dev}:${u.st.ino}`;
    let same = contentCache.get(key);
    if (same === undefined) contentCache.set(key, (same = await sameContent(l.abs, u.abs)));
    return same;
  }
  return l.st.mtimeNs === u.st.mtimeNs;
}

export interface WriteChangesOptions {
  /**
   * The upper's topmost layer directory when the upper is an overlay mount (its upperdir, or
   * first lowerdir for a view): directories marked trusted.overlay.opaque=y there are written
   * as opaque directories.
   */
  topLayer?: string;
  /** mtime of whiteout entries (seconds). containerd uses the time of the diff. */
  whiteoutTime?: number;
}

/** Write the changes from lowerRoot to upperRoot into tw (which the caller finishes). */
export async function writeChanges(tw: TarWriter, lowerRoot: string, upperRoot: string, opts: WriteChangesOptions = {}): Promise<void> {
  const whiteoutTime = opts.whiteoutTime ?? Math.floor(Date.now() / 1000);
  const written = new Set<string>(['']); // directories whose header is in the archive ('' = root)
  const inodeSrc = new Map<bigint, string>(); // upper inode -> the name that carries its data
  const inodeRefs = new Map<bigint, string[]>(); // upper inode -> unchanged names seen before it changed
  const contentCache = new Map<string, boolean>();

  const upperNode = async (rel: string): Promise<Node> => {
    const abs = `${upperRoot}/${rel}`;
    return { rel, abs, st: await lstat(abs) };
  };

  const headerOf = async (n: Node): Promise<TarWriterHeader | undefined> => {
    const st = n.st;
    const base = {
      name: n.rel,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtime: Number(st.mtimeNs / NS), // truncated to seconds, as containerd does
      xattrs: readXattrs(n.abs, skipTrusted),
    };
    if (st.isDirectory()) return { ...base, type: 'dir' };
    if (st.isFile()) return { ...base, type: 'file', size: Number(st.size) };
    if (st.isSymbolicLink()) return { ...base, type: 'symlink', linkname: await fsp.readlink(n.abs) };
    if (st.isCharacterDevice() || st.isBlockDevice())
      return { ...base, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major(st.rdev), devminor: minor(st.rdev) };
    if (st.isFIFO()) return { ...base, type: 'fifo' };
    return undefined; // sockets are not part of a layer
  };

  /** Write the missing parent directories of rel, outermost first. */
  const includeParents = async (rel: string): Promise<void> => {
    const parts = rel.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = join(cur, parts[i]);
      if (written.has(cur)) continue;
      const h = await headerOf(await upperNode(cur));
      await tw.add(h!);
      written.add(cur);
    }
  };

  const emit = async (n: Node, kind: 'changed' | 'unchanged'): Promise<void> => {
    const h = await headerOf(n);
    if (!h) return;
    let extraLinks: string[] = [];
    if (!n.st.isDirectory() && n.st.nlink > 1n) {
      const src = inodeSrc.get(n.st.ino);
      if (src !== undefined) {
        await includeParents(n.rel);
        await tw.add({ ...h, type: 'hardlink', linkname: src, size: 0 });
        return;
      }
      if (kind === 'unchanged') {
        inodeRefs.set(n.st.ino, [...(inodeRefs.get(n.st.ino) ?? []), n.rel]);
        return;
      }
      inodeSrc.set(n.st.ino, n.rel);
      extraLinks = inodeRefs.get(n.st.ino) ?? [];
      inodeRefs.delete(n.st.ino);
    } else if (kind === 'unchanged') {
      return;
    }
    await includeParents(n.rel);
    await tw.add(h, h.type === 'file' && (h.size ?? 0) > 0 ? fileContent(n.abs) : undefined);
    if (h.type === 'dir') written.add(n.rel);
    for (const name of extraLinks) {
      await includeParents(name);
      await tw.add({ ...h, name, type: 'hardlink', linkname: n.rel, size: 0 });
    }
  };

  const whiteout = async (dirRel: string, name: string) => {
    const wh = join(dirRel, WHITEOUT_PREFIX + name);
    await includeParents(wh);
    await tw.add({ name: wh, type: 'file', size: 0, mode: 0, mtime: whiteoutTime });
  };

  const isOpaque = (rel: string): boolean => {
    if (!opts.topLayer) return false;
    try {
      return lgetxattr(`${opts.topLayer}/${rel}`, OVERLAY_OPAQUE_XATTR)?.toString() === 'y';
    } catch {
      return false; // not in the top layer at all
    }
  };

  /** Everything under an added directory is added. */
  const addTree = async (dirRel: string): Promise<void> => {
    for (const name of (await fsp.readdir(`${upperRoot}/${dirRel}`)).sort(byBytes)) {
      const n = await upperNode(join(dirRel, name));
      await emit(n, 'changed');
      if (n.st.isDirectory()) await addTree(n.rel);
    }
  };

  const walk = async (dirRel: string): Promise<void> => {
    const lowerNames = (await fsp.readdir(dirRel ? `${lowerRoot}/${dirRel}` : lowerRoot)).sort(byBytes);
    const upperNames = (await fsp.readdir(dirRel ? `${upperRoot}/${dirRel}` : upperRoot)).sort(byBytes);
    let i = 0;
    let j = 0;
    while (i < lowerNames.length || j < upperNames.length) {
      const c = i >= lowerNames.length ? 1 : j >= upperNames.length ? -1 : byBytes(lowerNames[i], upperNames[j]);
      if (c < 0) {
        const name = lowerNames[i++];
        await whiteout(dirRel, name);
        continue;
      }
      if (c > 0) {
        const n = await upperNode(join(dirRel, upperNames[j++]));
        await emit(n, 'changed');
        if (n.st.isDirectory()) await addTree(n.rel);
        continue;
      }
      const name = lowerNames[i++];
      j++;
      const rel = join(dirRel, name);
      const l: Node = { rel, abs: `${lowerRoot}/${rel}`, st: await lstat(`${lowerRoot}/${rel}`) };
      const u = await upperNode(rel);
      if (u.st.isDirectory() && l.st.isDirectory()) {
        if (isOpaque(rel)) {
          await emit(u, 'changed');
          await tw.add({ name: join(rel, WHITEOUT_OPAQUE), type: 'file', size: 0, mode: 0, mtime: whiteoutTime });
          await addTree(rel);
        } else {
          await emit(u, (await sameFile(l, u, contentCache)) ? 'unchanged' : 'changed');
          await walk(rel);
        }
      } else if (u.st.isDirectory()) {
        await emit(u, 'changed'); // a directory where a file was: the applier replaces it
        await addTree(rel);
      } else {
        await emit(u, !l.st.isDirectory() && (await sameFile(l, u, contentCache)) ? 'unchanged' : 'changed');
      }
    }
  };

  await walk('');
}
