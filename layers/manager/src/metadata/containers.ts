// Containers: metadata only (containerd's containers.Container). A container names an image, a
// runtime, an OCI spec and a snapshot; it has no process. The process is a *task* (tasks/), made
// from a container by Tasks.Create. This split is what `ctr c ls` vs `ctr t ls` shows.
import type { Any } from '@strata/shim/proto';
import { alreadyExists, invalid, notFound } from '../errors';
import { parseFilters, recordAdaptor } from '../filters';
import { ensureNamespace, fromJson, now, toJson, type DB } from './db';
import { applyLabelPaths } from './namespaces';
import { validateIdentifier } from './names';

export interface Container {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime: { name: string; options?: Any };
  spec?: Any;
  snapshotter: string;
  snapshotKey: string;
  createdAt: Date;
  updatedAt: Date;
  extensions: Record<string, Any>;
  /** containerd 1.7+ field; kept for CRI sandboxes. */
  sandbox?: string;
}

interface Row {
  id: string;
  labels: string;
  image: string;
  runtime_name: string;
  runtime_options: Buffer | null;
  spec: Buffer | null;
  snapshotter: string;
  snapshot_key: string;
  extensions: string;
  sandbox: string;
  created_at: number;
  updated_at: number;
}

const anyToBlob = (a: Any | undefined) => (a ? Buffer.from(JSON.stringify({ t: a.typeUrl, v: Buffer.from(a.value).toString('base64') })) : null);
const blobToAny = (b: Buffer | null): Any | undefined => {
  if (!b) return undefined;
  const o = JSON.parse(b.toString()) as { t: string; v: string };
  return { typeUrl: o.t, value: new Uint8Array(Buffer.from(o.v, 'base64')) };
};

function fromRow(r: Row): Container {
  const ext = fromJson(r.extensions);
  return {
    id: r.id,
    labels: fromJson(r.labels),
    image: r.image,
    runtime: { name: r.runtime_name, options: blobToAny(r.runtime_options) },
    spec: blobToAny(r.spec),
    snapshotter: r.snapshotter,
    snapshotKey: r.snapshot_key,
    extensions: Object.fromEntries(Object.entries(ext).map(([k, v]) => [k, blobToAny(Buffer.from(v))!])),
    sandbox: r.sandbox || undefined,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

const extToJson = (e: Record<string, Any>) => toJson(Object.fromEntries(Object.entries(e ?? {}).map(([k, v]) => [k, anyToBlob(v)!.toString()])));

export class ContainerStore {
  constructor(private readonly db: DB) {}

  get(ns: string, id: string): Container {
    const r = this.db.prepare('SELECT * FROM containers WHERE namespace = ? AND id = ?').get(ns, id) as Row | undefined;
    if (!r) throw notFound(`container "${id}"`);
    return fromRow(r);
  }

  /** Filters on id, image, runtime.name, snapshotter, snapshotkey? and labels (containerd's adaptor). */
  list(ns: string, filters: string[] = []): Container[] {
    const f = parseFilters(filters);
    return (this.db.prepare('SELECT * FROM containers WHERE namespace = ? ORDER BY created_at, id').all(ns) as Row[])
      .map(fromRow)
      .filter((c) => {
        const base = recordAdaptor({ id: c.id, image: c.image, snapshotter: c.snapshotter }, c.labels);
        return f((p) => (p[0] === 'runtime' && p[1] === 'name' ? c.runtime.name : base(p)));
      });
  }

  create(ns: string, c: Container): Container {
    validateIdentifier('container.id', c.id);
    if (!c.runtime?.name) throw invalid('container.runtime.name', 'must be set (e.g. io.containerd.runc.v2)');
    if (!c.spec) throw invalid('container.spec', 'must be set (an OCI runtime spec)');
    if (c.snapshotKey && !c.snapshotter) throw invalid('container.snapshotter', `must be set when snapshot_key is set`);
    return this.db.transaction(() => {
      ensureNamespace(this.db, ns);
      const t = now();
      const r = this.db
        .prepare(
          `INSERT OR IGNORE INTO containers (namespace, id, labels, image, runtime_name, runtime_options, spec, snapshotter, snapshot_key, extensions, sandbox, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(ns, c.id, toJson(c.labels), c.image ?? '', c.runtime.name, anyToBlob(c.runtime.options), anyToBlob(c.spec), c.snapshotter ?? '', c.snapshotKey ?? '', extToJson(c.extensions), c.sandbox ?? '', t, t);
      if (r.changes === 0) throw alreadyExists(`container "${c.id}"`);
      return this.get(ns, c.id);
    })();
  }

  /**
   * containerd's update rules: labels, spec, extensions, image and snapshot_key may change (by
   * fieldpath: labels, labels.<k>, spec, extensions, extensions.<k>, image, snapshotkey);
   * runtime and snapshotter may not. No fieldpaths = labels, spec, extensions, image, snapshotkey.
   */
  update(ns: string, c: Container, fieldpaths: string[]): Container {
    return this.db.transaction(() => {
      const cur = this.get(ns, c.id);
      const paths = fieldpaths.length ? fieldpaths : ['labels', 'spec', 'extensions', 'image', 'snapshotkey'];
      let labels = cur.labels;
      const next = { ...cur };
      for (const p of paths) {
        if (p === 'labels' || p.startsWith('labels.')) labels = applyLabelPaths(labels, c.labels ?? {}, [p]);
        else if (p === 'spec') {
          if (!c.spec) throw invalid('container.spec', 'must be set');
          next.spec = c.spec;
        } else if (p === 'extensions') next.extensions = c.extensions ?? {};
        else if (p.startsWith('extensions.')) {
          const k = p.slice('extensions.'.length);
          if (c.extensions?.[k]) next.extensions = { ...next.extensions, [k]: c.extensions[k] };
          else throw invalid('container.extensions', `extension ${JSON.stringify(k)} not set in the update`);
        } else if (p === 'image') next.image = c.image;
        else if (p === 'snapshotkey') next.snapshotKey = c.snapshotKey;
        else if (p === 'runtime' || p === 'snapshotter') {
          if (p === 'runtime' && c.runtime?.name !== cur.runtime.name) throw invalid('container.runtime', 'cannot be changed');
          if (p === 'snapshotter' && c.snapshotter !== cur.snapshotter) throw invalid('container.snapshotter', 'cannot be changed');
        } else throw invalid('fieldpaths', `cannot update ${JSON.stringify(p)} field on container "${c.id}"`);
      }
      this.db
        .prepare('UPDATE containers SET labels = ?, image = ?, spec = ?, snapshot_key = ?, extensions = ?, updated_at = ? WHERE namespace = ? AND id = ?')
        .run(toJson(labels), next.image, anyToBlob(next.spec), next.snapshotKey, extToJson(next.extensions), now(), ns, c.id);
      return this.get(ns, c.id);
    })();
  }

  delete(ns: string, id: string): void {
    const r = this.db.prepare('DELETE FROM containers WHERE namespace = ? AND id = ?').run(ns, id);
    if (r.changes === 0) throw notFound(`container "${id}"`);
  }
}
