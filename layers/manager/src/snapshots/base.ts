// What the overlay and native snapshotters share: the bookkeeping in the `snapshots` table
// (containerd keeps it in snapshots/storage's bolt MetaStore, plus the namespaced view of
// metadata/snapshot.go; we keep both in one SQLite table) and the directory life cycle:
//
//   <root>/snapshots/new-XXXXXX   built here first (mkdir, or a copy of the parent's tree)
//   <root>/snapshots/<id>         renamed into place in the same transaction that inserts the row
//
// SQLite transactions are synchronous, so the slow part (building the directory) happens before
// the transaction; the transaction then re-checks everything, inserts the row and renames the
// directory. Either both happen or neither: a failure removes the temp directory, and a crash
// between rename and commit leaves a directory no row owns, which cleanup() deletes.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { alreadyExists, invalid, ManagerError, notFound, precondition } from '../errors';
import { ensureNamespace, fromJson, now, toJson, type DB } from '../metadata/db';
import type { Labels, Mount } from '../types';
import { diskUsage, type Usage } from './diskUsage';
import { mountsUnder } from './mount';
import {
  assertKind,
  assertParent,
  cleanLabels,
  KIND_NUMBER,
  kindOf,
  validateLabels,
  type SnapshotInfo,
  type SnapshotKind,
  type Snapshotter,
} from './snapshotter';

interface Row {
  id: number;
  namespace: string;
  snapshotter: string;
  key: string;
  kind: number;
  parent: string;
  labels: string;
  created_at: number;
  updated_at: number;
}

/** A snapshot as the directory code sees it: its id and its parents' ids, nearest first. */
export interface SnapshotDirs {
  id: number;
  kind: SnapshotKind;
  parentIds: number[];
}

export interface SnapshotterOptions {
  /** The snapshotter's directory, e.g. <manager root>/io.containerd.snapshotter.v1.overlayfs. */
  root: string;
  db: DB;
}

const TEMP_PREFIX = 'new-';

export abstract class DirSnapshotter implements Snapshotter {
  abstract readonly name: string;
  readonly root: string;
  protected readonly db: DB;
  protected readonly snapshotsDir: string;
  /** Temp directories being built right now: cleanup() must not take them for leftovers. */
  private readonly building = new Set<string>();

  constructor(opts: SnapshotterOptions) {
    this.root = path.resolve(opts.root);
    this.db = opts.db;
    this.snapshotsDir = path.join(this.root, 'snapshots');
    fs.mkdirSync(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }

  /** <root>/snapshots/<id> */
  dirOf(id: number): string {
    return path.join(this.snapshotsDir, String(id));
  }

  // ---- what each snapshotter decides ----
  /** Whether a snapshot of this kind on these parents gets a directory of its own. */
  protected abstract needsDir(kind: SnapshotKind, parentIds: number[]): boolean;
  /** Fill the new snapshot's temp directory (mode 0700, empty) before it is renamed into place. */
  protected abstract fillDir(tmp: string, kind: SnapshotKind, parentIds: number[]): Promise<void>;
  /** The mounts that present the snapshot. */
  protected abstract mountsOf(s: SnapshotDirs): Mount[];
  /** The directory whose usage is the snapshot's own. */
  protected abstract usageDir(id: number): string;

  // ---- rows ----
  private row(ns: string, key: string): Row | undefined {
    return this.db.prepare('SELECT * FROM snapshots WHERE namespace = ? AND snapshotter = ? AND key = ?').get(ns, this.name, key) as Row | undefined;
  }

  private mustRow(ns: string, key: string): Row {
    const r = this.row(ns, key);
    if (!r) throw notFound(`snapshot ${key}`);
    return r;
  }

  /** Ids of the row's parent chain, nearest first. */
  private parentIds(ns: string, r: Row): number[] {
    const ids: number[] = [];
    let parent = r.parent;
    while (parent) {
      const p = this.row(ns, parent);
      if (!p) throw new ManagerError('INTERNAL', `snapshot ${r.key}: parent ${parent} is missing from the database`);
      ids.push(p.id);
      if (ids.length > 10_000) throw new ManagerError('INTERNAL', `snapshot ${r.key}: parent chain loops`);
      parent = p.parent;
    }
    return ids;
  }

  private hasChildren(ns: string, key: string): boolean {
    return this.db.prepare('SELECT 1 FROM snapshots WHERE namespace = ? AND snapshotter = ? AND parent = ? LIMIT 1').get(ns, this.name, key) !== undefined;
  }

  private info(r: Row): SnapshotInfo {
    return { kind: kindOf(r.kind), name: r.key, parent: r.parent, labels: fromJson(r.labels), created: new Date(r.created_at), updated: new Date(r.updated_at) };
  }

  // ---- the Snapshotter interface ----
  async stat(ns: string, key: string): Promise<SnapshotInfo> {
    return this.info(this.mustRow(ns, key));
  }

  async update(ns: string, info: { name: string; labels?: Labels }, fieldpaths: string[] = []): Promise<SnapshotInfo> {
    if (!info.name) throw invalid('name', 'must not be empty');
    return this.db.transaction(() => {
      const r = this.mustRow(ns, info.name);
      let labels = fromJson(r.labels);
      if (fieldpaths.length === 0) labels = { ...(info.labels ?? {}) };
      for (const fp of fieldpaths) {
        if (fp === 'labels') labels = { ...(info.labels ?? {}) };
        else if (fp.startsWith('labels.')) {
          const k = fp.slice('labels.'.length);
          labels[k] = info.labels?.[k] ?? '';
        } else throw invalid('fieldpaths', `cannot update ${JSON.stringify(fp)} field on snapshot ${info.name} (only labels and labels.<key>)`);
      }
      validateLabels(labels);
      labels = cleanLabels(labels);
      const t = now();
      this.db.prepare('UPDATE snapshots SET labels = ?, updated_at = ? WHERE id = ?').run(toJson(labels), t, r.id);
      return this.info({ ...r, labels: toJson(labels), updated_at: t });
    })();
  }

  async usage(ns: string, key: string): Promise<Usage> {
    const r = this.mustRow(ns, key);
    assertKind('usage', key, kindOf(r.kind));
    if (kindOf(r.kind) === 'view') return { size: 0, inodes: 0 }; // a view owns no data
    return diskUsage(this.usageDir(r.id));
  }

  async mounts(ns: string, key: string): Promise<Mount[]> {
    const r = this.mustRow(ns, key);
    const kind = kindOf(r.kind);
    assertKind('mounts', key, kind);
    return this.mountsOf({ id: r.id, kind, parentIds: this.parentIds(ns, r) });
  }

  prepare(ns: string, key: string, parent = '', labels?: Labels): Promise<Mount[]> {
    return this.create('active', ns, key, parent, labels);
  }

  view(ns: string, key: string, parent = '', labels?: Labels): Promise<Mount[]> {
    return this.create('view', ns, key, parent, labels);
  }

  private async create(kind: 'active' | 'view', ns: string, key: string, parent: string, labels?: Labels): Promise<Mount[]> {
    if (!ns) throw invalid('namespace', 'must not be empty');
    if (!key) throw invalid('key', 'must not be empty');
    validateLabels(labels);
    const op = kind === 'active' ? 'prepare' : 'view';
    const check = (): number[] => {
      if (this.row(ns, key)) throw alreadyExists(`snapshot ${key}`);
      if (!parent) return [];
      const p = this.row(ns, parent);
      if (!p) throw notFound(`parent snapshot ${parent}`);
      assertParent(op, parent, kindOf(p.kind));
      return [p.id, ...this.parentIds(ns, p)];
    };
    const parentIds = check();

    let tmp: string | undefined;
    if (this.needsDir(kind, parentIds)) {
      tmp = await fsp.mkdtemp(path.join(this.snapshotsDir, TEMP_PREFIX));
      this.building.add(tmp);
    }
    try {
      if (tmp) await this.fillDir(tmp, kind, parentIds);
      const id = this.db.transaction(() => {
        // everything may have changed while the directory was being built
        const again = check();
        if (again.join(',') !== parentIds.join(',')) throw precondition(`parent ${parent} changed while snapshot ${key} was being created`);
        ensureNamespace(this.db, ns);
        const t = now();
        const res = this.db
          .prepare('INSERT INTO snapshots (namespace, snapshotter, key, kind, parent, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(ns, this.name, key, KIND_NUMBER[kind], parent, toJson(cleanLabels(labels)), t, t);
        const newId = Number(res.lastInsertRowid);
        if (tmp) fs.renameSync(tmp, this.dirOf(newId)); // a failure here rolls the insert back
        return newId;
      })();
      if (tmp) this.building.delete(tmp);
      tmp = undefined;
      return this.mountsOf({ id, kind, parentIds });
    } finally {
      if (tmp) {
        await fsp.rm(tmp, { recursive: true, force: true });
        this.building.delete(tmp);
      }
    }
  }

  async commit(ns: string, name: string, key: string, labels?: Labels): Promise<void> {
    if (!name) throw invalid('name', 'must not be empty');
    validateLabels(labels);
    this.db.transaction(() => {
      // containerd checks the name first: a concurrent unpack that lost the race sees AlreadyExists
      if (this.row(ns, name)) throw alreadyExists(`snapshot ${name}`);
      const r = this.mustRow(ns, key);
      assertKind('commit', key, kindOf(r.kind));
      const t = now();
      // the directory (named by id) stays where it is; labels are replaced, not inherited
      this.db
        .prepare('UPDATE snapshots SET key = ?, kind = ?, labels = ?, created_at = ?, updated_at = ? WHERE id = ?')
        .run(name, KIND_NUMBER.committed, toJson(cleanLabels(labels)), t, t, r.id);
    })();
  }

  async remove(ns: string, key: string): Promise<void> {
    const id = this.db.transaction(() => {
      const r = this.mustRow(ns, key);
      if (this.hasChildren(ns, key)) throw precondition(`cannot remove snapshot ${key} with child (remove the snapshots made from it first)`);
      this.db.prepare('DELETE FROM snapshots WHERE id = ?').run(r.id);
      return r.id;
    })();
    // after the transaction: the key is free now; a directory we fail to delete is a leftover
    // for cleanup(), as in containerd
    await this.removeDir(this.dirOf(id)).catch(() => undefined);
  }

  async walk(ns: string, filter?: (info: SnapshotInfo) => boolean): Promise<SnapshotInfo[]> {
    const rows = this.db.prepare('SELECT * FROM snapshots WHERE namespace = ? AND snapshotter = ? ORDER BY key').all(ns, this.name) as Row[];
    const infos = rows.map((r) => this.info(r));
    return filter ? infos.filter(filter) : infos;
  }

  async cleanup(): Promise<string[]> {
    const ids = new Set((this.db.prepare('SELECT id FROM snapshots WHERE snapshotter = ?').all(this.name) as { id: number }[]).map((r) => String(r.id)));
    const removed: string[] = [];
    for (const entry of await fsp.readdir(this.snapshotsDir)) {
      const dir = path.join(this.snapshotsDir, entry);
      if (ids.has(entry) || this.building.has(dir)) continue;
      await this.removeDir(dir);
      removed.push(dir);
    }
    return removed;
  }

  /** rm -rf, unless something is mounted inside (deleting through a mount would destroy its files). */
  private async removeDir(dir: string): Promise<void> {
    const mounted = mountsUnder(dir);
    if (mounted.length > 0) throw new ManagerError('FAILED_PRECONDITION', `not removing ${dir}: ${mounted.join(', ')} is mounted inside it`);
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
