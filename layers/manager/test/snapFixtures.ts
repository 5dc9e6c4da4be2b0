// Shared setup for the snapshot and diff integration tests: a private database and snapshotter
// roots in a temp dir, a private temp-mount location, and the leak checks every test ends with.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { apply } from '../src/diff';
import { openDatabase, type DB } from '../src/metadata/db';
import { mountsUnder, NativeSnapshotter, OverlaySnapshotter, setTempMountLocation, withTempMount, type Snapshotter } from '../src/snapshots';
import type { Mount } from '../src/types';
import { sha256 } from './archiveFixtures';

export const isRoot = process.getuid?.() === 0;

export interface SnapEnv {
  dir: string;
  db: DB;
  tmpMounts: string;
  overlay: OverlaySnapshotter;
  native: NativeSnapshotter;
  close(): void;
}

export function makeEnv(prefix: string): SnapEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const db = openDatabase(path.join(dir, 'meta.db'));
  const tmpMounts = path.join(dir, 'tmpmounts');
  setTempMountLocation(tmpMounts);
  return {
    dir,
    db,
    tmpMounts,
    overlay: new OverlaySnapshotter({ root: path.join(dir, 'io.containerd.snapshotter.v1.overlayfs'), db }),
    native: new NativeSnapshotter({ root: path.join(dir, 'io.containerd.snapshotter.v1.native'), db }),
    close() {
      db.close();
      if (mountsUnder(dir).length === 0) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a test must leave behind: no mounts below dir, no temp mount dirs, no half-built snapshot dirs. */
export function leftovers(env: SnapEnv): string[] {
  const out = [...mountsUnder(env.dir).map((m) => `mount ${m}`)];
  for (const f of fs.existsSync(env.tmpMounts) ? fs.readdirSync(env.tmpMounts) : []) out.push(`temp mount dir ${f}`);
  for (const s of [env.overlay, env.native]) {
    const d = path.join(s.root, 'snapshots');
    for (const f of fs.readdirSync(d)) if (f.startsWith('new-')) out.push(`temp snapshot dir ${s.name}/${f}`);
  }
  return out;
}

/** Snapshot directories on disk that no row owns. */
export function orphanDirs(env: SnapEnv): string[] {
  const out: string[] = [];
  for (const s of [env.overlay, env.native]) {
    const ids = new Set((env.db.prepare('SELECT id FROM snapshots WHERE snapshotter = ?').all(s.name) as { id: number }[]).map((r) => String(r.id)));
    for (const f of fs.readdirSync(path.join(s.root, 'snapshots'))) if (!ids.has(f)) out.push(`${s.name}/${f}`);
  }
  return out;
}

/** Mount, run f on the mounted tree, unmount. */
export function withMounted<T>(mounts: Mount[], f: (root: string) => T | Promise<T>): Promise<T> {
  return withTempMount(mounts, async (root) => f(root));
}

/** Apply an in-memory layer blob through Diff.Apply; returns the diff descriptor. */
export function applyBlob(mounts: Mount[], blob: Buffer) {
  return apply({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(blob), size: blob.length }, mounts, Readable.from([blob]));
}

/** prepare -> apply -> commit, as an unpack does; returns the committed name. */
export async function commitLayer(sn: Snapshotter, ns: string, name: string, parent: string, blob: Buffer): Promise<string> {
  const key = `extract ${name}`;
  const mounts = await sn.prepare(ns, key, parent);
  await applyBlob(mounts, blob);
  await sn.commit(ns, name, key);
  return name;
}
