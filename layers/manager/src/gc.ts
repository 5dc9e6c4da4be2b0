// Garbage collection (containerd's gc/ and metadata/gc.go): mark and sweep over the metadata.
//
// Roots, per namespace: images (their target), containers (their snapshot), live leases (the
// resources they hold), and anything labelled containerd.io/gc.root. References follow labels:
//   containerd.io/gc.ref.content[.<anything>]            = <digest>   -> a blob
//   containerd.io/gc.ref.snapshot.<snapshotter>[.<any>]  = <key>      -> a snapshot
// (a manifest's blob points at its config and layers this way; an image config points at its
// unpacked snapshot), and a snapshot keeps its parent. Whatever is not reached is deleted:
// blob records, then blob files no namespace records anymore, then snapshots (children first).
import type { DB } from './metadata/db';
import { fromJson } from './metadata/db';
import type { LeaseStore } from './metadata/leases';

export const GC_ROOT = 'containerd.io/gc.root';
const REF_CONTENT = 'containerd.io/gc.ref.content';
const REF_SNAPSHOT = 'containerd.io/gc.ref.snapshot.';

export interface GcSweeper {
  /** Blob files on disk (digests) and how to remove one. */
  blobsOnDisk(): string[];
  removeBlobFile(digest: string): void;
  /** Digests an unfinished ingest will still commit (never swept). */
  removeSnapshot(ns: string, snapshotter: string, key: string): Promise<void>;
}

export interface GcResult {
  content: number;
  blobs: number;
  snapshots: number;
  leases: number;
  ms: number;
}

type Node = string; // "c|ns|digest" or "s|ns|snapshotter|key"
const cnode = (ns: string, d: string) => `c|${ns}|${d}`;
const snode = (ns: string, sn: string, k: string) => `s|${ns}|${sn}|${k}`;

/** The nodes a set of labels points at. */
function labelRefs(ns: string, labels: Record<string, string>): Node[] {
  const out: Node[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (k === REF_CONTENT || k.startsWith(`${REF_CONTENT}.`)) out.push(cnode(ns, v));
    else if (k.startsWith(REF_SNAPSHOT)) {
      const sn = k.slice(REF_SNAPSHOT.length).split('.')[0] || k.slice(REF_SNAPSHOT.length).split('/')[0];
      out.push(snode(ns, sn, v));
    }
  }
  return out;
}

export class GarbageCollector {
  private running?: Promise<GcResult>;
  private pending = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly db: DB,
    private readonly leases: LeaseStore,
    private readonly sweeper: GcSweeper,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** Ask for a collection soon (after a deletion); several asks share one run. */
  schedule(delayMs = 200): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.collect().catch((e) => this.log(`gc failed: ${(e as Error).message}`));
    }, delayMs);
    this.timer.unref();
  }

  /** Run one collection now (waits for a running one first). */
  async collect(): Promise<GcResult> {
    if (this.running) {
      this.pending = true;
      await this.running.catch(() => {});
      if (this.running) return this.running;
    }
    this.running = this.run();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
      if (this.pending) {
        this.pending = false;
        this.schedule(0);
      }
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async run(): Promise<GcResult> {
    const t0 = Date.now();
    // 1. Expired leases go first: what only they held becomes garbage in this same run.
    const expired = this.leases.expired();
    for (const l of expired) this.leases.delete(l.namespace, l.id);

    // 2. Mark and sweep the records in one transaction (a consistent snapshot of the graph).
    const { contentRemoved, snapshots } = this.db.transaction(() => {
      const content = this.db.prepare('SELECT namespace, digest, labels FROM content').all() as { namespace: string; digest: string; labels: string }[];
      const snaps = this.db.prepare('SELECT namespace, snapshotter, key, parent, labels FROM snapshots').all() as { namespace: string; snapshotter: string; key: string; parent: string; labels: string }[];
      const edges = new Map<Node, Node[]>();
      const roots: Node[] = [];
      for (const c of content) {
        const labels = fromJson(c.labels);
        const n = cnode(c.namespace, c.digest);
        edges.set(n, labelRefs(c.namespace, labels));
        if (labels[GC_ROOT] !== undefined) roots.push(n);
      }
      for (const s of snaps) {
        const labels = fromJson(s.labels);
        const n = snode(s.namespace, s.snapshotter, s.key);
        const out = labelRefs(s.namespace, labels);
        if (s.parent) out.push(snode(s.namespace, s.snapshotter, s.parent));
        edges.set(n, out);
        if (labels[GC_ROOT] !== undefined) roots.push(n);
      }
      for (const i of this.db.prepare('SELECT namespace, digest, labels FROM images').all() as { namespace: string; digest: string; labels: string }[]) {
        roots.push(cnode(i.namespace, i.digest), ...labelRefs(i.namespace, fromJson(i.labels)));
      }
      for (const c of this.db.prepare('SELECT namespace, snapshotter, snapshot_key, labels FROM containers').all() as { namespace: string; snapshotter: string; snapshot_key: string; labels: string }[]) {
        if (c.snapshot_key) roots.push(snode(c.namespace, c.snapshotter, c.snapshot_key));
        roots.push(...labelRefs(c.namespace, fromJson(c.labels)));
      }
      for (const r of this.db.prepare('SELECT namespace, type, id FROM lease_resources').all() as { namespace: string; type: string; id: string }[]) {
        if (r.type === 'content') roots.push(cnode(r.namespace, r.id));
        else if (r.type.startsWith('snapshots/')) roots.push(snode(r.namespace, r.type.slice('snapshots/'.length), r.id));
      }
      // Mark: everything reachable from a root.
      const marked = new Set<Node>();
      const stack = [...roots];
      while (stack.length) {
        const n = stack.pop()!;
        if (marked.has(n)) continue;
        marked.add(n);
        for (const m of edges.get(n) ?? []) if (!marked.has(m)) stack.push(m);
      }
      // Sweep the content records now; snapshots need the snapshotter (file system work).
      let removed = 0;
      const del = this.db.prepare('DELETE FROM content WHERE namespace = ? AND digest = ?');
      for (const c of content) {
        if (!marked.has(cnode(c.namespace, c.digest))) removed += del.run(c.namespace, c.digest).changes;
      }
      const dead = snaps.filter((s) => !marked.has(snode(s.namespace, s.snapshotter, s.key)));
      return { contentRemoved: removed, snapshots: dead };
    })();

    // 3. Blob files that no namespace records any more.
    let blobs = 0;
    const recorded = new Set((this.db.prepare('SELECT DISTINCT digest FROM content').all() as { digest: string }[]).map((r) => r.digest));
    for (const d of this.sweeper.blobsOnDisk()) {
      if (!recorded.has(d)) {
        this.sweeper.removeBlobFile(d);
        blobs++;
      }
    }

    // 4. Snapshots, children before parents (a parent is never removed while a child exists).
    const depth = (s: { namespace: string; snapshotter: string; key: string; parent: string }): number => {
      let d = 0;
      let p = s.parent;
      const byKey = new Map(snapshots.map((x) => [`${x.namespace}|${x.snapshotter}|${x.key}`, x]));
      while (p && d < 1000) {
        d++;
        p = byKey.get(`${s.namespace}|${s.snapshotter}|${p}`)?.parent ?? '';
      }
      return d;
    };
    let snapCount = 0;
    for (const s of [...snapshots].sort((a, b) => depth(b) - depth(a))) {
      try {
        await this.sweeper.removeSnapshot(s.namespace, s.snapshotter, s.key);
        snapCount++;
      } catch (e) {
        this.log(`gc: snapshot ${s.namespace}/${s.key}: ${(e as Error).message}`);
      }
    }
    const result = { content: contentRemoved, blobs, snapshots: snapCount, leases: expired.length, ms: Date.now() - t0 };
    if (contentRemoved || blobs || snapCount || expired.length) this.log(`gc: removed ${contentRemoved} blob records, ${blobs} blob files, ${snapCount} snapshots, ${expired.length} expired leases in ${result.ms} ms`);
    return result;
  }
}
