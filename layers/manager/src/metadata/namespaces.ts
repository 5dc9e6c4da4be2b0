// Namespaces: containerd's multi-tenancy. Every name (image, container, snapshot key, lease) lives
// in one namespace; Kubernetes uses "k8s.io", docker "moby", ctr "default".
import { alreadyExists, invalid, notFound, precondition } from '../errors';
import { ensureNamespace, fromJson, now, toJson, type DB } from './db';
import { validateIdentifier } from './names';

export interface Namespace {
  name: string;
  labels: Record<string, string>;
}

/** Tables whose rows keep a namespace from being deleted (containerd refuses non-empty ones). */
const OWNED = ['images', 'containers', 'snapshots', 'leases', 'content'] as const;

export class NamespaceStore {
  constructor(private readonly db: DB) {}

  /** containerd answers Get of a namespace that has no record with empty labels (not NotFound). */
  get(name: string): Namespace {
    validateIdentifier('name', name);
    const row = this.db.prepare('SELECT labels FROM namespaces WHERE name = ?').get(name) as { labels: string } | undefined;
    return { name, labels: fromJson(row?.labels) };
  }

  list(): Namespace[] {
    return (this.db.prepare('SELECT name, labels FROM namespaces ORDER BY name').all() as { name: string; labels: string }[]).map((r) => ({ name: r.name, labels: fromJson(r.labels) }));
  }

  create(ns: Namespace): Namespace {
    validateIdentifier('namespace.name', ns.name);
    const r = this.db.prepare('INSERT OR IGNORE INTO namespaces (name, labels, created_at) VALUES (?, ?, ?)').run(ns.name, toJson(ns.labels), now());
    if (r.changes === 0) throw alreadyExists(`namespace ${ns.name}`);
    return this.get(ns.name);
  }

  /** Update labels: fieldpaths "labels" (replace all) or "labels.<key>" (one key). */
  update(ns: Namespace, fieldpaths: string[]): Namespace {
    validateIdentifier('namespace.name', ns.name);
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT labels FROM namespaces WHERE name = ?').get(ns.name) as { labels: string } | undefined;
      if (!row) throw notFound(`namespace ${ns.name}`);
      const labels = applyLabelPaths(fromJson(row.labels), ns.labels, fieldpaths);
      this.db.prepare('UPDATE namespaces SET labels = ? WHERE name = ?').run(toJson(labels), ns.name);
      return { name: ns.name, labels };
    })();
  }

  delete(name: string): void {
    validateIdentifier('name', name);
    this.db.transaction(() => {
      for (const t of OWNED) {
        const n = (this.db.prepare(`SELECT count(*) AS n FROM ${t} WHERE namespace = ?`).get(name) as { n: number }).n;
        if (n > 0) throw precondition(`namespace ${name} must be empty, but it still has ${t}`);
      }
      const r = this.db.prepare('DELETE FROM namespaces WHERE name = ?').run(name);
      if (r.changes === 0) throw notFound(`namespace ${name}`);
    })();
  }

  ensure(name: string): void {
    ensureNamespace(this.db, name);
  }
}

/**
 * containerd's update semantics for labels: no fieldpaths = replace labels; "labels" = replace
 * all; "labels.k" = set (or delete when absent/empty) one key.
 */
export function applyLabelPaths(current: Record<string, string>, update: Record<string, string>, fieldpaths: string[], allowed: string[] = []): Record<string, string> {
  if (fieldpaths.length === 0) return { ...update };
  const out = { ...current };
  for (const p of fieldpaths) {
    if (p === 'labels') return { ...update };
    if (p.startsWith('labels.')) {
      const k = p.slice('labels.'.length);
      if (update[k] !== undefined && update[k] !== '') out[k] = update[k];
      else delete out[k];
    } else if (!allowed.includes(p)) throw invalid("fieldpaths", `cannot update ${JSON.stringify(p)} field`);
  }
  return out;
}
