// applyLayer: extract one image layer (a tar changeset, image-spec layer.md) into a directory.
// This is containerd's archive.Apply (archive/tar.go applyNaive) with its two whiteout
// conversions, written for untrusted input:
//
//   image-spec layer.md#changesets        entries are added or replace what is there; a directory
//                                         over an existing directory merges (its metadata wins)
//   image-spec layer.md#whiteouts         ".wh.<name>" deletes <name> of the lower layers;
//                                         ".wh..wh..opq" hides everything the lower layers have
//                                         in that directory (other ".wh..wh." names are reserved)
//
//   whiteouts: 'delete'   the directory is the whole tree (native snapshotter): delete for real
//   whiteouts: 'overlay'  the directory is an overlayfs upperdir: record the deletion the way
//                         overlayfs reads it — a 0/0 character device for ".wh.x", the xattr
//                         trusted.overlay.opaque=y for ".wh..wh..opq" (kernel overlayfs.rst)
//
// Safety (see rootPath.ts): names are normalised and refused if absolute or climbing out with
// ".."; no symlink is followed while walking to a parent; hardlink targets obey the same rules;
// files are created with O_EXCL|O_NOFOLLOW after removing what was there; metadata calls that
// would follow a symlink (chmod, utimes on a path) are only made on paths just checked not to be
// one. Device nodes are created (we run as root); trusted.* xattrs from an archive are ignored
// (an archive must not forge overlayfs' own attributes), as containerd does.
import { constants as fsc } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { mknod, SyscallError } from '@strata/linux';
import { ManagerError } from '../errors';
import { openLayerStream, type Compression } from './compression';
import { baseOf, entryError, lstatInside, normalizeEntryName, parentOf, RootedTree, type MakeDir } from './rootPath';
import { readTar } from './tarReader';
import type { TarHeader } from './tarHeader';
import { lsetxattr, lutimesNs, readXattrs } from './syscalls';

export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

export type WhiteoutMode = 'overlay' | 'delete';

export interface ApplyLayerOptions {
  whiteouts: WhiteoutMode;
  /**
   * Overlay mode: the lower directories, nearest first. A parent directory missing from the
   * upperdir is created with the owner, mode, times and xattrs it has in the nearest lower that
   * has it (containerd's archive.WithParents), so that e.g. /tmp keeps mode 1777 in the merged view.
   */
  parents?: string[];
  /** How errors name the layer, e.g. "layer sha256:4f..". */
  name?: string;
}

export interface ApplyLayerResult {
  /** sha256 of the uncompressed tar stream: the layer's diff_id (image-spec config.md#layer-diffid). */
  diffId: string;
  /** Bytes of the uncompressed tar stream. */
  size: number;
  /** sha256 and size of the bytes as read (equal to diffId/size for an uncompressed layer). */
  compressedDigest: string;
  compressedSize: number;
  compression: Compression;
  /** Things skipped on purpose (trusted.* xattrs, reserved whiteout names, unsupported xattrs). */
  warnings: string[];
}

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** makedev(3), glibc's encoding of a device number. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}
export const major = (dev: bigint): number => Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
export const minor = (dev: bigint): number => Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Times outside what the kernel stores are clamped to the epoch (containerd's boundTime). */
const boundTime = (t: number): number => (Number.isFinite(t) && t >= 0 ? t : 0);

/**
 * Extract a layer (gzip, or plain tar; detected by magic bytes) into dir. Returns its diff_id.
 * On error the directory holds a partial extraction: the caller discards the snapshot.
 */
export async function applyLayer(dir: string, layer: Readable | AsyncIterable<Buffer>, opts: ApplyLayerOptions): Promise<ApplyLayerResult> {
  const name = opts.name ?? 'layer';
  const root = path.resolve(dir);
  const st = await lstatOrUndefined(root);
  if (!st?.isDirectory()) throw new ManagerError('INVALID_ARGUMENT', `${name}: extraction root ${root} is not a directory`);
  const stream = await openLayerStream(layer, name);
  const warnings: string[] = [];
  try {
    await extract(root, stream.tar, opts, name, warnings);
    await stream.finish();
  } catch (e) {
    stream.destroy();
    throw e;
  }
  return {
    diffId: stream.uncompressed.digest(),
    size: stream.uncompressed.size,
    compressedDigest: stream.compressed.digest(),
    compressedSize: stream.compressed.size,
    compression: stream.compression,
    warnings,
  };
}

async function extract(root: string, tar: AsyncIterable<Buffer>, opts: ApplyLayerOptions, layer: string, warnings: string[]): Promise<void> {
  const tree = new RootedTree(root, layer);
  const overlay = opts.whiteouts === 'overlay';
  /** Paths this layer wrote: an opaque marker must not hide them (layer.md#opaque-whiteout). */
  const unpacked = new Set<string>();
  const dirs: { rel: string; mtime: number }[] = [];

  const makeParent: MakeDir = async (abs, rel) => {
    await fs.mkdir(abs, 0o755);
    await fs.chmod(abs, 0o755); // no umask
    if (overlay) await copyParentDirInfo(abs, rel, opts.parents ?? []);
  };

  const setXattrs = (abs: string, h: TarHeader, isRegOrDir: boolean) => {
    for (const [key, value] of Object.entries(h.xattrs)) {
      if (key.startsWith('trusted.')) {
        warnings.push(`${h.name}: xattr ${key} ignored (trusted.* attributes are not taken from archives)`);
        continue;
      }
      try {
        lsetxattr(abs, key, value);
      } catch (e) {
        const code = (e as SyscallError).code;
        // user.* xattrs exist only on regular files and directories (xattr(7))
        if (code === 'EOPNOTSUPP' || (code === 'EPERM' && key.startsWith('user.') && !isRegOrDir)) {
          warnings.push(`${h.name}: xattr ${key} ignored (${code})`);
          continue;
        }
        throw e;
      }
    }
  };

  for await (const { header: h, body } of readTar(tar)) {
    const rel = normalizeEntryName(h.name, layer);
    if (rel === '') continue; // the root itself ("./"): ignored, as containerd does
    const base = baseOf(rel);
    const dirRel = parentOf(rel);
    try {
      await tree.ensureParents(rel, h.name, makeParent);

      // ---- whiteouts (image-spec layer.md#whiteouts) ----
      if (base === WHITEOUT_OPAQUE) {
        const dirAbs = tree.abs(dirRel);
        if (overlay) lsetxattr(dirAbs, OVERLAY_OPAQUE_XATTR, 'y');
        else await removeAllBut(tree, dirRel, unpacked);
        continue;
      }
      if (base.startsWith(WHITEOUT_META_PREFIX)) {
        warnings.push(`${h.name}: reserved whiteout name ignored`);
        continue;
      }
      if (base.startsWith(WHITEOUT_PREFIX)) {
        const target = base.slice(WHITEOUT_PREFIX.length);
        if (target === '' || target === '.' || target === '..') throw entryError(layer, h.name, 'is not a valid whiteout (it names no file in its directory)');
        const targetRel = dirRel ? `${dirRel}/${target}` : target;
        const targetAbs = tree.abs(targetRel);
        await fs.rm(targetAbs, { recursive: true, force: true });
        tree.forget(targetRel);
        if (overlay) {
          // overlayfs whiteout: a character device with device number 0/0
          mknod(targetAbs, S_IFCHR, 0);
          await fs.lchown(targetAbs, h.uid, h.gid);
        }
        continue;
      }

      // ---- a real entry: replace what is there, unless directory over directory ----
      const abs = tree.abs(rel);
      const existing = await lstatOrUndefined(abs);
      if (existing && !(existing.isDirectory() && h.type === 'dir')) {
        await fs.rm(abs, { recursive: true, force: true });
        tree.forget(rel);
      }
      const mtime = boundTime(h.mtime);
      switch (h.type) {
        case 'file': {
          const fh = await fs.open(abs, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
          try {
            for await (const chunk of body) {
              let off = 0;
              while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
            }
            await fh.chown(h.uid, h.gid);
            setXattrs(abs, h, true);
            await fh.chmod(h.mode); // after chown, which clears setuid/setgid
            await fh.utimes(mtime, mtime);
          } finally {
            await fh.close();
          }
          break;
        }
        case 'dir':
          if (!existing?.isDirectory()) await fs.mkdir(abs, 0o700);
          await fs.lchown(abs, h.uid, h.gid);
          setXattrs(abs, h, true);
          await fs.chmod(abs, h.mode);
          dirs.push({ rel, mtime }); // directory times are set last: creating children changes them
          break;
        case 'symlink':
          // created as is, whatever it points to; it is never followed by this extractor
          await fs.symlink(h.linkname, abs);
          await fs.lchown(abs, h.uid, h.gid);
          setXattrs(abs, h, false);
          await fs.lutimes(abs, mtime, mtime);
          break;
        case 'hardlink': {
          const targetRel = normalizeEntryName(h.linkname, `${layer}: entry ${h.name}`, 'hardlink target');
          if (targetRel === '') throw entryError(layer, h.name, 'is a hardlink to the root directory');
          await tree.checkParents(targetRel, h.name, 'hardlink target');
          const target = await lstatOrUndefined(tree.abs(targetRel));
          if (!target) throw entryError(layer, h.name, `is a hardlink to ${targetRel}, which does not exist (hardlinks point to earlier entries of the same layer)`);
          if (target.isDirectory()) throw entryError(layer, h.name, `is a hardlink to the directory ${targetRel}`);
          // link(2) does not follow a symlink target: the new name is a second link to the symlink itself
          await fs.link(tree.abs(targetRel), abs);
          await fs.lchown(abs, h.uid, h.gid);
          setXattrs(abs, h, target.isFile());
          if (!target.isSymbolicLink()) await fs.chmod(abs, h.mode);
          await fs.lutimes(abs, mtime, mtime);
          break;
        }
        case 'char':
        case 'block':
        case 'fifo': {
          const kind = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
          mknod(abs, kind | h.mode, h.type === 'fifo' ? 0 : makedev(h.devmajor, h.devminor));
          await fs.lchown(abs, h.uid, h.gid);
          setXattrs(abs, h, false);
          await fs.chmod(abs, h.mode); // mknod's mode went through the umask
          await fs.lutimes(abs, mtime, mtime);
          break;
        }
      }
      unpacked.add(rel);
    } catch (e) {
      if (e instanceof ManagerError) throw e;
      const err = e as Error;
      throw Object.assign(new ManagerError('INTERNAL', `${layer}: entry ${h.name}: ${err.message}`), { cause: err });
    }
  }

  for (const d of dirs) {
    // re-check: a later entry may have replaced this directory or one of its parents
    const found = await lstatInside(root, d.rel);
    if (typeof found === 'object' && found.st.isDirectory()) await fs.lutimes(found.abs, d.mtime, d.mtime);
  }
}

/**
 * The 'delete' form of an opaque whiteout: remove everything in dirRel that this layer did not
 * write itself (containerd walks the directory the same way).
 */
async function removeAllBut(tree: RootedTree, dirRel: string, keep: Set<string>): Promise<void> {
  for (const name of await fs.readdir(tree.abs(dirRel))) {
    const rel = dirRel ? `${dirRel}/${name}` : name;
    if (keep.has(rel)) {
      const st = await fs.lstat(tree.abs(rel));
      if (st.isDirectory()) await removeAllBut(tree, rel, keep);
      continue;
    }
    await fs.rm(tree.abs(rel), { recursive: true, force: true });
    tree.forget(rel);
  }
}

/** Overlay mode: give a parent directory created in the upperdir the attributes it has below. */
async function copyParentDirInfo(abs: string, rel: string, parents: string[]): Promise<void> {
  for (const lower of parents) {
    const found = await lstatInside(lower, rel);
    if (found === 'absent') continue;
    if (found === 'blocked' || !found.st.isDirectory()) return; // replaced below: keep defaults
    const st = await fs.lstat(found.abs, { bigint: true });
    await fs.lchown(abs, Number(st.uid), Number(st.gid));
    await fs.chmod(abs, Number(st.mode & 0o7777n));
    lutimesNs(abs, st.atimeNs, st.mtimeNs);
    for (const [key, value] of Object.entries(readXattrs(found.abs, (n) => n.startsWith('trusted.')))) lsetxattr(abs, key, value);
    return;
  }
}
