// Leases: a client's claim on content and snapshots it is still using, so garbage collection
// keeps them (a pull in progress holds a lease on the blobs it has fetched but not yet tied to
// an image). A lease with the label containerd.io/gc.expire=<RFC 3339> ends by itself.
import { alreadyExists, invalid, notFound } from '../errors';
import { parseFilters, recordAdaptor } from '../filters';
import { ensureNamespace, fromJson, now, toJson, type DB } from './db';

export interface Lease {
  id: string;
  createdAt: Date;
  labels: Record<string, string>;
}

export interface LeaseResource {
  /** "content", "ingests" or "snapshots/<snapshotter>" */
  type: string;
  /** a digest, an ingest ref, or a snapshot key */
  id: string;
}

export const EXPIRE_LABEL = 'containerd.io/gc.expire';

export class LeaseStore {
  constructor(private readonly db: DB) {}

  create(ns: string, id: string, labels: Record<string, string> = {}): Lease {
    // containerd only asks for a non-empty id (ctr's own ids look like "503172102-aiI-"): a lease
    // id never becomes a path, so any printable text without spaces will do.
    if (!id) throw invalid('lease.id', 'must not be empty');
    if (id.length > 256 || /[\s\x00-\x1f\x7f]/.test(id)) throw invalid('lease.id', `${JSON.stringify(id.slice(0, 40))}: must be at most 256 printable characters without spaces`);
    if (labels[EXPIRE_LABEL] && Number.isNaN(Date.parse(labels[EXPIRE_LABEL]))) throw invalid(`lease.labels["${EXPIRE_LABEL}"]`, `not an RFC 3339 time: ${labels[EXPIRE_LABEL]}`);
    return this.db.transaction(() => {
      ensureNamespace(this.db, ns);
      const t = now();
      const r = this.db.prepare('INSERT OR IGNORE INTO leases (namespace, id, labels, created_at) VALUES (?, ?, ?, ?)').run(ns, id, toJson(labels), t);
      if (r.changes === 0) throw alreadyExists(`lease ${id}`);
      return { id, labels, createdAt: new Date(t) };
    })();
  }

  delete(ns: string, id: string): void {
    const r = this.db.prepare('DELETE FROM leases WHERE namespace = ? AND id = ?').run(ns, id);
    if (r.changes === 0) throw notFound(`lease ${id}`);
  }

  list(ns: string, filters: string[] = []): Lease[] {
    const f = parseFilters(filters);
    return (this.db.prepare('SELECT id, labels, created_at FROM leases WHERE namespace = ? ORDER BY created_at').all(ns) as { id: string; labels: string; created_at: number }[])
      .map((r) => ({ id: r.id, labels: fromJson(r.labels), createdAt: new Date(r.created_at) }))
      .filter((l) => f(recordAdaptor({ id: l.id }, l.labels)));
  }

  private requireLease(ns: string, id: string): void {
    if (!this.db.prepare('SELECT 1 FROM leases WHERE namespace = ? AND id = ?').get(ns, id)) throw notFound(`lease ${id}`);
  }

  addResource(ns: string, lease: string, r: LeaseResource): void {
    if (!(r.type === 'content' || r.type === 'ingests' || r.type.startsWith('snapshots/'))) throw invalid('resource.type', `unsupported type ${JSON.stringify(r.type)} (content, ingests or snapshots/<snapshotter>)`);
    if (!r.id) throw invalid('resource.id', 'must not be empty');
    this.db.transaction(() => {
      this.requireLease(ns, lease);
      this.db.prepare('INSERT OR IGNORE INTO lease_resources (namespace, lease, type, id) VALUES (?, ?, ?, ?)').run(ns, lease, r.type, r.id);
    })();
  }

  deleteResource(ns: string, lease: string, r: LeaseResource): void {
    this.db.transaction(() => {
      this.requireLease(ns, lease);
      this.db.prepare('DELETE FROM lease_resources WHERE namespace = ? AND lease = ? AND type = ? AND id = ?').run(ns, lease, r.type, r.id);
    })();
  }

  listResources(ns: string, lease: string): LeaseResource[] {
    this.requireLease(ns, lease);
    return this.db.prepare('SELECT type, id FROM lease_resources WHERE namespace = ? AND lease = ? ORDER BY type, id').all(ns, lease) as LeaseResource[];
  }

  /** Expired leases (GC removes them first). */
  expired(at = new Date()): { namespace: string; id: string }[] {
    return (this.db.prepare('SELECT namespace, id, labels FROM leases').all() as { namespace: string; id: string; labels: string }[])
      .filter((r) => {
        const e = fromJson(r.labels)[EXPIRE_LABEL];
        return e !== undefined && Date.parse(e) <= at.getTime();
      })
      .map(({ namespace, id }) => ({ namespace, id }));
  }
}
