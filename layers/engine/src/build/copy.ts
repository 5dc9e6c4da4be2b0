// COPY and ADD of local files: context -> the step's mounted rootfs, with docker's rules.
//
//   sources    paths relative to the context; Go filepath.Match wildcards (* ? [..]) are
//              expanded against it; "." is the whole context; a symlink given as a source is
//              followed, inside the context only (symlinks found inside directories are
//              copied as symlinks)
//   dest       relative paths are relative to WORKDIR; several sources need a dest ending in
//              "/"; a file goes to dest/<name> when dest ends in "/" or is a directory, else it
//              becomes dest; a directory's *contents* are copied into dest
//   owner      0:0, or --chown (names looked up in the image's /etc/passwd and /etc/group);
//              directories the copy creates get the same owner
//   mode       the source's, or --chmod (octal); mtimes are kept
//   ADD        a local tar archive (plain or gzip) is extracted into dest instead of copied,
//              with the same extractor as image layers (no ".." or symlink escapes)
// Writes never follow a symlink of the image: an existing file or link in the way is replaced.
import crypto from 'node:crypto';
import { constants as fsc } from 'node:fs';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { archive } from '@strata/manager';
import { resolveInRoot } from './rootfs';

export class CopyError extends Error {}

export interface Source {
  /** Host path of the source (inside the context dir). */
  abs: string;
  /** As written in the Dockerfile (after expansion), for messages and basenames. */
  name: string;
  st: fs.Stats;
}

const hasWildcard = (p: string) => /[*?[]/.test(p);

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) throw new CopyError(`syntax error in pattern ${glob}`);
      re += `[${glob.slice(i + 1, end).replace(/^\^|^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The files a COPY/ADD names, checked to exist in the context. */
export function resolveSources(ctx: string, patterns: string[], cmd: string): Source[] {
  const out: Source[] = [];
  for (const raw of patterns) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
      throw new CopyError(`${cmd} ${raw}: sources from URLs are not supported by strata's builder (download the file into the context instead)`);
    }
    const clean = path.posix.normalize(`/${raw}`).slice(1); // "../x" stays inside the context
    if (!hasWildcard(clean)) {
      const abs = resolveInRoot(ctx, clean);
      let st: fs.Stats;
      try {
        st = fs.lstatSync(abs);
      } catch {
        throw new CopyError(`${cmd} failed: file not found in build context or excluded by .dockerignore: stat ${raw}: file does not exist`);
      }
      out.push({ abs, name: clean || '.', st });
      continue;
    }
    // wildcard: match each context path (without following symlinks) component by component
    const re = globToRegExp(clean);
    const depth = clean.split('/').length;
    const found: Source[] = [];
    const walk = (rel: string, d: number) => {
      for (const n of fs.readdirSync(path.join(ctx, rel)).sort()) {
        const r = rel ? `${rel}/${n}` : n;
        const abs = path.join(ctx, r);
        const st = fs.lstatSync(abs);
        if (d === depth) {
          if (re.test(r)) found.push({ abs, name: r, st });
        } else if (st.isDirectory()) walk(r, d + 1);
      }
    };
    walk('', 1);
    if (!found.length) throw new CopyError(`${cmd} failed: no source files were specified (${raw} matches nothing in the build context)`);
    out.push(...found);
  }
  return out;
}

/** A digest of what the sources contain (names, types, modes, bytes; not times): the cache key. */
export function sourcesChecksum(sources: Source[]): string {
  const h = crypto.createHash('sha256');
  const add = (abs: string, rel: string) => {
    const st = fs.lstatSync(abs);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) h.update(`link:${fs.readlinkSync(abs)}\0`);
    else if (st.isFile()) h.update(fs.readFileSync(abs));
    else if (st.isDirectory()) for (const n of fs.readdirSync(abs).sort()) add(path.join(abs, n), `${rel}/${n}`);
    h.update('\0');
  };
  for (const s of sources) add(s.abs, s.name);
  return h.digest('hex');
}

export interface CopyOptions {
  /** Absolute path in the image (WORKDIR applied). */
  dest: string;
  owner: { uid: number; gid: number };
  chmod?: number;
  /** ADD: extract local tar archives. */
  extract: boolean;
}

async function lstatOrUndefined(p: string) {
  return fsp.lstat(p).catch(() => undefined);
}

/** mkdir -p inside root, parents resolved in scope; new directories get owner. Returns the host path. */
async function mkdirInRoot(root: string, dir: string, owner: { uid: number; gid: number }): Promise<string> {
  let cur = root;
  let rel = '';
  for (const c of dir.split('/').filter(Boolean)) {
    rel = `${rel}/${c}`;
    const abs = resolveInRoot(root, rel);
    const st = await lstatOrUndefined(abs);
    if (!st) {
      await fsp.mkdir(abs, 0o755);
      await fsp.chmod(abs, 0o755);
      await fsp.lchown(abs, owner.uid, owner.gid);
    } else if (!st.isDirectory()) throw new CopyError(`cannot copy to ${dir}: ${rel} is not a directory in the image`);
    cur = abs;
  }
  return cur;
}

/** Put one context entry (file, symlink or directory tree) at host path `to`, which is inside root. */
async function copyEntry(from: string, to: string, o: CopyOptions, dirTimes: [string, Date][]): Promise<void> {
  const st = await fsp.lstat(from);
  const existing = await lstatOrUndefined(to);
  if (existing && !(existing.isDirectory() && st.isDirectory())) await fsp.rm(to, { recursive: true, force: true });
  const mode = o.chmod ?? st.mode & 0o7777;
  if (st.isDirectory()) {
    if (!existing?.isDirectory()) await fsp.mkdir(to, 0o700);
    await fsp.lchown(to, o.owner.uid, o.owner.gid);
    await fsp.chmod(to, mode);
    for (const n of await fsp.readdir(from)) await copyEntry(path.join(from, n), path.join(to, n), o, dirTimes);
    dirTimes.push([to, st.mtime]);
  } else if (st.isSymbolicLink()) {
    await fsp.symlink(await fsp.readlink(from), to);
    await fsp.lchown(to, o.owner.uid, o.owner.gid);
    await fsp.lutimes(to, st.atime, st.mtime);
  } else if (st.isFile()) {
    await fsp.copyFile(from, to, fsc.COPYFILE_EXCL);
    // copyFile follows nothing at `to` (COPYFILE_EXCL fails on anything there, links included)
    const fh = await fsp.open(to, fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      await fh.chown(o.owner.uid, o.owner.gid);
      await fh.chmod(mode); // after chown, which clears setuid bits
      await fh.utimes(st.atime, st.mtime);
    } finally {
      await fh.close();
    }
  }
  // sockets, fifos and devices in a context are skipped, as docker skips sockets
}

/** Is this a tar archive ADD should extract (plain or gzip)? docker tries to read a tar header. */
function isTarArchive(abs: string): boolean {
  const fd = fs.openSync(abs, 'r');
  let head = Buffer.alloc(0);
  try {
    const buf = Buffer.alloc(64 * 1024);
    head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0));
  } finally {
    fs.closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = zlib.gunzipSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  if (head.length < 512) return false;
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  // old (v7) tar: no magic, but the header checksum must match
  const stored = parseInt(head.subarray(148, 156).toString('latin1').replace(/\0.*$/, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : head[i];
  return Number.isFinite(stored) && stored === sum && head[0] !== 0;
}

/** Copy the sources into the mounted rootfs at root. */
export async function copyInto(root: string, sources: Source[], o: CopyOptions, cmd: string): Promise<void> {
  const destIsDir = o.dest.endsWith('/') || o.dest.endsWith('/.');
  if (sources.length > 1 && !destIsDir) throw new CopyError(`When using ${cmd} with more than one source file, the destination must be a directory and end with a /`);
  const dirTimes: [string, Date][] = [];
  for (const s of sources) {
    if (s.st.isDirectory()) {
      const target = await mkdirInRoot(root, o.dest, o.owner);
      for (const n of await fsp.readdir(s.abs)) await copyEntry(path.join(s.abs, n), path.join(target, n), o, dirTimes);
      continue;
    }
    if (o.extract && s.st.isFile() && isTarArchive(s.abs)) {
      const target = await mkdirInRoot(root, o.dest, o.owner);
      await archive.applyLayer(target, fs.createReadStream(s.abs), { whiteouts: 'delete', name: `${cmd} ${s.name}` });
      continue;
    }
    // a file (or a symlink found by a wildcard)
    const resolved = resolveInRoot(root, o.dest);
    const st = await lstatOrUndefined(resolved);
    let to: string;
    if (destIsDir || st?.isDirectory()) to = path.join(await mkdirInRoot(root, o.dest, o.owner), path.basename(s.name));
    else to = path.join(await mkdirInRoot(root, path.posix.dirname(o.dest), o.owner), path.posix.basename(o.dest));
    await copyEntry(s.abs, to, o, dirTimes);
  }
  for (const [d, t] of dirTimes) await fsp.utimes(d, t, t).catch(() => {});
}
