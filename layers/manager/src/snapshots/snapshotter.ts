// The Snapshotter interface (containerd's snapshots.Snapshotter, snapshots/snapshotter.go).
//
// A snapshot is a directory tree a container can mount. Three kinds:
//   committed  read-only, immutable, may be a parent (an unpacked image layer chain: name = chain ID)
//   active     read-write, made by prepare(key, parent); commit(name, key) turns it into committed
//   view       read-only, made by view(key, parent); never committed, never a parent
// Keys and names share one namespace per (containerd namespace, snapshotter). The lifecycle is
// the data table below; `assertKind` enforces it with containerd's error kinds and wording.
import { ManagerError } from '../errors';
import type { Labels, Mount } from '../types';
import type { Usage } from './diskUsage';

export type { Usage } from './diskUsage';

/** containerd.snapshots.v1.Kind numbers (also the `kind` column of the snapshots table). */
export const KIND_NUMBER = { view: 1, active: 2, committed: 3 } as const;
export type SnapshotKind = keyof typeof KIND_NUMBER;
export const kindOf = (n: number): SnapshotKind => {
  const k = (Object.keys(KIND_NUMBER) as SnapshotKind[]).find((x) => KIND_NUMBER[x] === n);
  if (!k) throw new ManagerError('INTERNAL', `snapshot kind ${n} is not 1 (view), 2 (active) or 3 (committed)`);
  return k;
};

/**
 * The snapshot lifecycle as data: which kinds each operation accepts (`from`), what it creates
 * or turns the snapshot into, and what the parent must be. One table for the guards here, the
 * tests and the diagram.
 */
export const snapshotLifecycle = {
  kinds: ['view', 'active', 'committed'] as const,
  operations: {
    prepare: { creates: 'active', parent: ['committed'] },
    view: { creates: 'view', parent: ['committed'] },
    commit: { from: ['active'], to: 'committed' },
    mounts: { from: ['active', 'view'] },
    stat: { from: ['view', 'active', 'committed'] },
    update: { from: ['view', 'active', 'committed'] },
    usage: { from: ['view', 'active', 'committed'] },
    remove: { from: ['view', 'active', 'committed'], guard: 'no children' },
  },
} as const;

export type SnapshotOperation = keyof typeof snapshotLifecycle.operations;

/** Refuse an operation on a snapshot of the wrong kind (containerd: ErrFailedPrecondition). */
export function assertKind(op: SnapshotOperation, key: string, kind: SnapshotKind): void {
  const rule = snapshotLifecycle.operations[op];
  if ('from' in rule && !(rule.from as readonly string[]).includes(kind)) {
    const wanted = (rule.from as readonly string[]).join(' or ');
    throw new ManagerError('FAILED_PRECONDITION', `snapshot ${key} is ${kind}; ${op} needs a snapshot that is ${wanted}`);
  }
}

/** Refuse a parent that is not committed (containerd: ErrInvalidArgument "parent is not committed snapshot"). */
export function assertParent(op: 'prepare' | 'view', parent: string, kind: SnapshotKind): void {
  const allowed = snapshotLifecycle.operations[op].parent as readonly string[];
  if (!allowed.includes(kind)) throw new ManagerError('INVALID_ARGUMENT', `parent ${parent} is ${kind}, not a committed snapshot; ${op} needs a committed parent`);
}

/** containerd's snapshots.Info. */
export interface SnapshotInfo {
  kind: SnapshotKind;
  /** The key (active, view) or the committed name. */
  name: string;
  /** The committed parent's name, "" for none. */
  parent: string;
  labels: Labels;
  created: Date;
  updated: Date;
}

export interface Snapshotter {
  /** "overlayfs" or "native", the name containerd's API and ctr's --snapshotter use. */
  readonly name: string;
  /** The snapshotter's own directory (<root>/snapshots/<id> below it). */
  readonly root: string;

  stat(ns: string, key: string): Promise<SnapshotInfo>;
  /** Labels only: fieldpaths "labels" (replace all) or "labels.<key>"; none means replace all. */
  update(ns: string, info: { name: string; labels?: Labels }, fieldpaths?: string[]): Promise<SnapshotInfo>;
  /** Bytes and inodes the snapshot itself takes (its own directory; a view takes none). */
  usage(ns: string, key: string): Promise<Usage>;
  /** The mounts of an active snapshot or a view (again: the same as prepare/view returned). */
  mounts(ns: string, key: string): Promise<Mount[]>;
  /** A new active snapshot on top of the committed parent ("" for an empty one). */
  prepare(ns: string, key: string, parent?: string, labels?: Labels): Promise<Mount[]>;
  /** A new read-only view of the committed parent. */
  view(ns: string, key: string, parent?: string, labels?: Labels): Promise<Mount[]>;
  /** Turn the active snapshot `key` into the committed snapshot `name` (labels replace the old ones). */
  commit(ns: string, name: string, key: string, labels?: Labels): Promise<void>;
  /** Remove a snapshot that no other snapshot has as parent. */
  remove(ns: string, key: string): Promise<void>;
  /** Every snapshot of the namespace (ordered by name), optionally filtered. */
  walk(ns: string, filter?: (info: SnapshotInfo) => boolean): Promise<SnapshotInfo[]>;
  /** Delete directories no snapshot owns (left by a crash); returns what it removed. */
  cleanup(): Promise<string[]>;
}

/** containerd's labels.Validate: a label's key and value together fit in 4096 bytes. */
export function validateLabels(labels: Labels | undefined): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (Buffer.byteLength(k) + Buffer.byteLength(v) > 4096) {
      throw new ManagerError('INVALID_ARGUMENT', `label ${k.slice(0, 10)}...: key and value greater than maximum size (4096 bytes)`);
    }
  }
}

/** Labels as stored: empty values are dropped (containerd's boltutil.WriteLabels). */
export function cleanLabels(labels: Labels | undefined): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (v !== '') out[k] = v;
  return out;
}
