// Paths inside an extraction root, resolved without ever following a symlink.
//
// A layer is untrusted input. Its member names are checked lexically first (normalizeEntryName:
// no absolute paths, no ".." that climbs out), then every parent directory is checked on disk
// component by component with lstat (RootedTree): a symlink — from this archive or already in
// the tree — is never followed while walking to an entry's parent. containerd's extractor
// resolves such symlinks *inside* the root instead (continuity's fs.RootPath); we refuse the
// entry, which is stricter and simpler to explain: a layer made from a real directory tree
// never needs to write through a symlink, because its tar writer records the real path.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ManagerError } from '../errors';

/** An extraction problem with one entry, e.g. "layer sha256:ab..: entry ../x escapes the root". */
export const entryError = (layer: string, entry: string, why: string): ManagerError =>
  new ManagerError('INVALID_ARGUMENT', `${layer}: entry ${entry} ${why}`);

/**
 * The member name as a clean relative path ("" for the root itself), or an error naming it.
 * "./a//b/" -> "a/b"; "a/../b" -> "b"; "/etc/x", "../x", "a/../../x" are refused.
 */
export function normalizeEntryName(name: string, layer = 'layer', what = 'entry'): string {
  if (name.includes('\0')) throw entryError(layer, JSON.stringify(name), 'contains a NUL byte');
  if (name.startsWith('/')) throw new ManagerError('INVALID_ARGUMENT', `${layer}: ${what} ${name} is an absolute path (layer members are relative to the root)`);
  const norm = path.posix.normalize(name === '' ? '.' : name);
  if (norm === '..' || norm.startsWith('../')) throw new ManagerError('INVALID_ARGUMENT', `${layer}: ${what} ${name} escapes the root`);
  const clean = norm.replace(/\/+$/, '');
  return clean === '.' ? '' : clean;
}

export const parentOf = (rel: string): string => {
  const i = rel.lastIndexOf('/');
  return i === -1 ? '' : rel.slice(0, i);
};
export const baseOf = (rel: string): string => rel.slice(rel.lastIndexOf('/') + 1);

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** How a missing parent directory is created. */
export type MakeDir = (abs: string, rel: string) => Promise<void>;

/**
 * A directory tree being written. Remembers which relative directories it has verified to be
 * real directories, and forgets them when an entry replaces or deletes a path.
 */
export class RootedTree {
  readonly root: string;
  private readonly verified = new Set<string>(['']);

  constructor(
    root: string,
    private readonly layer: string,
  ) {
    this.root = path.resolve(root);
  }

  abs(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /** Forget what we know about rel and everything below it (it was replaced or removed). */
  forget(rel: string): void {
    if (rel === '') return;
    for (const d of this.verified) if (d === rel || d.startsWith(`${rel}/`)) this.verified.delete(d);
  }

  /**
   * Make sure every parent of rel is a real directory, creating the missing ones with mkdir.
   * A parent that is a symlink or not a directory refuses the entry.
   */
  async ensureParents(rel: string, entry: string, mkdir: MakeDir): Promise<void> {
    const parts = rel.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur ? `${cur}/${parts[i]}` : parts[i];
      if (this.verified.has(cur)) continue;
      const st = await lstatOrUndefined(this.abs(cur));
      if (!st) {
        await mkdir(this.abs(cur), cur);
      } else if (st.isSymbolicLink()) {
        throw entryError(this.layer, entry, `has a parent ${cur} that is a symlink; extraction never follows symlinks (it could lead outside the root)`);
      } else if (!st.isDirectory()) {
        throw entryError(this.layer, entry, `has a parent ${cur} that is not a directory`);
      }
      this.verified.add(cur);
    }
  }

  /** Check, without creating anything, that every parent of rel (e.g. a hardlink target) is a real directory. */
  async checkParents(rel: string, entry: string, what: string): Promise<void> {
    const refuse = (why: string) => new ManagerError('INVALID_ARGUMENT', `${this.layer}: entry ${entry}: ${what} ${rel} ${why}`);
    const parts = rel.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur ? `${cur}/${parts[i]}` : parts[i];
      if (this.verified.has(cur)) continue;
      const st = await lstatOrUndefined(this.abs(cur));
      if (!st) throw refuse(`does not exist (${cur} is missing)`);
      if (st.isSymbolicLink()) throw refuse(`goes through the symlink ${cur}; extraction never follows symlinks`);
      if (!st.isDirectory()) throw refuse(`does not exist (${cur} is not a directory)`);
      this.verified.add(cur);
    }
  }
}

/**
 * lstat a relative path inside another root (a lower layer) without following symlinks on the
 * way: "absent" when nothing is there, "blocked" when a parent component is not a real
 * directory (a file or symlink in that layer hides whatever deeper layers have below it).
 */
export async function lstatInside(root: string, rel: string): Promise<{ st: import('node:fs').Stats; abs: string } | 'absent' | 'blocked'> {
  const parts = rel.split('/');
  let cur = root;
  for (let i = 0; i < parts.length; i++) {
    cur = `${cur}/${parts[i]}`;
    const st = await lstatOrUndefined(cur);
    if (!st) return 'absent';
    if (i === parts.length - 1) return { st, abs: cur };
    if (!st.isDirectory()) return 'blocked';
  }
  return 'absent';
}
