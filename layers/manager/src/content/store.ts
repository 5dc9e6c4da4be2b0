// The content store: containerd's content.Store (content/content.go) with its metadata layer
// (metadata/content.go) folded in. Blobs are addressed by digest and stored once on disk, the
// way containerd's io.containerd.content.v1.content plugin lays them out:
//
//   <root>/blobs/sha256/<hex>            committed, read-only blobs (shared by all namespaces)
//   <root>/ingest/<sha256(ns\0ref)>/     a write in progress: `data` (the bytes so far) and
//                                        `status.json` (namespace, ref, total, expected, times)
//
// Which namespaces can see a blob (and its labels, e.g. the garbage collector's
// containerd.io/gc.ref.content.* references) is a row of the `content` table. A blob committed in
// namespace A is invisible in B until B commits it too; B's commit then just records the row.
//
// Writes are resumable like containerd's: a writer is identified by a ref; closing it (or a crash,
// or a dropped client) leaves `data` in place, and the next writer with the same ref starts at
// the stored offset, re-hashing what is there. While a writer is open its ref is locked: a second
// writer for the same ref gets UNAVAILABLE "ref X locked", as containerd answers.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ManagerError, alreadyExists, invalid, isManagerError, notFound, precondition } from '../errors';
import { ensureNamespace, fromJson, now, toJson, type DB } from '../metadata/db';
import type { Descriptor, Labels } from '../types';
import { Digester, parseDigest } from './digest';
import { parseFilters, recordAdaptor } from '../filters';
import { applyLabelUpdate, cleanLabels, validateLabels } from './labels';
import type { ContentAccess } from './access';

/** content.Info */
export interface ContentInfo {
  digest: string;
  size: number;
  createdAt: Date;
  updatedAt: Date;
  labels: Labels;
}

/** content.Status: a write in progress. */
export interface IngestStatus {
  ref: string;
  offset: number;
  total: number;
  expected: string;
  startedAt: Date;
  updatedAt: Date;
}

export interface WriterOptions {
  /** Names the write; the same ref resumes it. */
  ref: string;
  /** Expected size, if known (0 = unknown). */
  total?: number;
  /** Expected digest, if known: lets the store answer ALREADY_EXISTS (or reuse a blob another namespace has) before any byte moves. */
  expected?: string;
}

/** What a commit did: wrote a new blob, or recorded a blob already on disk in this namespace. */
export interface CommitResult {
  digest: string;
  size: number;
  created: boolean;
}

interface IngestFile {
  namespace: string;
  ref: string;
  total: number;
  expected: string;
  startedAt: number;
  updatedAt: number;
  /** No data: the blob `expected` already exists on disk (another namespace has it). */
  shared?: boolean;
}

/** Refs with a live writer, per ingest directory (so two store objects on one root agree). */
const liveWriters = new Map<string, ContentWriter>();

export class ContentStore implements ContentAccess {
  readonly root: string;
  /** Digests being committed right now (on disk, not yet recorded): the GC leaves them alone. */
  readonly committing = new Set<string>();
  private readonly db: DB;

  constructor(opts: { root: string; db: DB }) {
    this.root = opts.root;
    this.db = opts.db;
    fs.mkdirSync(path.join(this.root, 'blobs', 'sha256'), { recursive: true, mode: 0o755 });
    fs.mkdirSync(path.join(this.root, 'ingest'), { recursive: true, mode: 0o700 });
  }

  // ---- paths --------------------------------------------------------------------------------

  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return path.join(this.root, 'blobs', algorithm, hex);
  }

  ingestDir(ns: string, ref: string): string {
    const key = crypto.createHash('sha256').update(`${ns}\0${ref}`).digest('hex');
    return path.join(this.root, 'ingest', key);
  }

  // ---- Manager: Info, Update, Walk, Delete ---------------------------------------------------

  info(ns: string, digest: string): ContentInfo {
    parseDigest(digest);
    const row = this.db.prepare('SELECT * FROM content WHERE namespace = ? AND digest = ?').get(ns, digest) as ContentRow | undefined;
    if (!row) throw notFound(`content ${digest}`);
    return rowToInfo(row);
  }

  /** Whether this namespace can see the blob. */
  has(ns: string, digest: string): boolean {
    return this.db.prepare('SELECT 1 FROM content WHERE namespace = ? AND digest = ?').get(ns, digest) !== undefined;
  }

  /** Update labels ("labels" or "labels.<key>" fieldpaths; none = replace all labels). */
  update(ns: string, info: { digest: string; labels?: Labels }, fieldpaths?: readonly string[]): ContentInfo {
    return this.db.transaction(() => {
      const cur = this.info(ns, info.digest);
      const { labels, others } = applyLabelUpdate(cur.labels, info.labels, fieldpaths);
      if (others.length) throw invalid('update_mask', `cannot update ${others.join(', ')} on content ${info.digest}: only labels are mutable`);
      validateLabels(labels);
      this.db.prepare('UPDATE content SET labels = ?, updated_at = ? WHERE namespace = ? AND digest = ?').run(toJson(labels), now(), ns, info.digest);
      return this.info(ns, info.digest);
    })();
  }

  /** All blobs of the namespace that match the filters (fields: digest, size, labels.<key>). */
  walk(ns: string, filters: readonly string[] = []): ContentInfo[] {
    const match = parseFilters([...filters]);
    const rows = this.db.prepare('SELECT * FROM content WHERE namespace = ? ORDER BY digest').all(ns) as ContentRow[];
    return rows.map(rowToInfo).filter((i) => match(recordAdaptor({ digest: i.digest, size: String(i.size) }, i.labels)));
  }

  /**
   * Remove the blob from the namespace. The file stays until no namespace references it and the
   * garbage collector calls removeBlobFile (containerd's metadata Delete does the same: the
   * backend blob goes at the next GC).
   */
  delete(ns: string, digest: string): void {
    parseDigest(digest);
    const r = this.db.prepare('DELETE FROM content WHERE namespace = ? AND digest = ?').run(ns, digest);
    if (r.changes === 0) throw notFound(`content ${digest}`);
  }

  // ---- for the garbage collector -------------------------------------------------------------

  /** Every committed blob file, whatever namespace (if any) references it. */
  blobDigestsOnDisk(): string[] {
    const dir = path.join(this.root, 'blobs', 'sha256');
    return fs
      .readdirSync(dir)
      .filter((n) => /^[a-f0-9]{64}$/.test(n))
      .map((n) => `sha256:${n}`);
  }

  /** Namespaces whose content table references this blob. */
  namespacesReferencing(digest: string): string[] {
    return (this.db.prepare('SELECT namespace FROM content WHERE digest = ?').all(digest) as { namespace: string }[]).map((r) => r.namespace);
  }

  /** Delete the blob file (GC only: the caller has checked nothing references it). */
  removeBlobFile(digest: string): boolean {
    try {
      fs.unlinkSync(this.blobPath(digest));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Ingest directories on disk (GC may remove stale ones with abort). */
  ingestsOnDisk(): { namespace: string; ref: string; updatedAt: Date; locked: boolean }[] {
    const out: { namespace: string; ref: string; updatedAt: Date; locked: boolean }[] = [];
    for (const name of fs.readdirSync(path.join(this.root, 'ingest'))) {
      const dir = path.join(this.root, 'ingest', name);
      const st = readIngestFile(dir);
      if (st) out.push({ namespace: st.namespace, ref: st.ref, updatedAt: new Date(st.updatedAt), locked: liveWriters.has(dir) });
    }
    return out;
  }

  // ---- IngestManager: Status, ListStatuses, Abort --------------------------------------------

  status(ns: string, ref: string): IngestStatus {
    const dir = this.ingestDir(ns, ref);
    const live = liveWriters.get(dir);
    if (live) return live.status();
    const st = readIngestFile(dir);
    if (!st) throw notFound(`ingest ref ${JSON.stringify(ref)}`);
    return toStatus(st, ingestOffset(dir, st));
  }

  /** Writes in progress in the namespace; filters match the fields ref, expected. */
  listStatuses(ns: string, filters: readonly string[] = []): IngestStatus[] {
    const match = parseFilters([...filters]);
    const rows = this.db.prepare('SELECT ref FROM ingests WHERE namespace = ? ORDER BY ref').all(ns) as { ref: string }[];
    const out: IngestStatus[] = [];
    for (const { ref } of rows) {
      let st: IngestStatus;
      try {
        st = this.status(ns, ref);
      } catch (e) {
        if (isManagerError(e, 'NOT_FOUND')) continue; // the row outlived its directory (crash): ignore it
        throw e;
      }
      if (match(recordAdaptor({ ref: st.ref, expected: st.expected }))) out.push(st);
    }
    return out;
  }

  /** Cancel a write: its bytes are deleted. A live writer on that ref fails from now on. */
  async abort(ns: string, ref: string): Promise<void> {
    const dir = this.ingestDir(ns, ref);
    const live = liveWriters.get(dir);
    const existed = fs.existsSync(dir);
    const row = this.db.prepare('DELETE FROM ingests WHERE namespace = ? AND ref = ?').run(ns, ref);
    if (!existed && row.changes === 0 && !live) throw notFound(`ingest ref ${JSON.stringify(ref)}`);
    if (live) await live.markAborted();
    await fsp.rm(dir, { recursive: true, force: true });
  }

  // ---- Ingester: Writer ------------------------------------------------------------------------

  /**
   * Open (or resume) the write named by `ref`. Answers ALREADY_EXISTS when `expected` is already
   * in this namespace, UNAVAILABLE when another writer holds the ref.
   */
  async writer(ns: string, opts: WriterOptions): Promise<ContentWriter> {
    if (!opts.ref) throw invalid('ref', 'a writer needs a ref (it names the write so it can be resumed)');
    if (opts.expected) {
      parseDigest(opts.expected, 'expected');
      if (this.has(ns, opts.expected)) throw alreadyExists(`content ${opts.expected}`);
    }
    const total = opts.total ?? 0;
    if (!Number.isSafeInteger(total) || total < 0) throw invalid('total', `must be a size in bytes >= 0 (got ${total})`);
    const dir = this.ingestDir(ns, opts.ref);
    if (liveWriters.has(dir)) throw new ManagerError('UNAVAILABLE', `ref ${opts.ref} locked: another writer is using it`);

    const t = now();
    let st = readIngestFile(dir);
    if (st && (st.namespace !== ns || st.ref !== opts.ref)) throw new ManagerError('INTERNAL', `ingest directory ${dir} belongs to ${st.namespace}/${st.ref}`);
    if (!st) {
      // A new write. If the blob is already on disk (another namespace committed it) and the
      // caller told us its digest, no byte needs to move: commit just records it (containerd's
      // "shared" content policy).
      let shared = false;
      let expectedTotal = total;
      if (opts.expected) {
        const size = fileSize(this.blobPath(opts.expected));
        if (size !== undefined && (total === 0 || total === size)) {
          shared = true;
          expectedTotal = size;
        }
      }
      st = { namespace: ns, ref: opts.ref, total: expectedTotal, expected: opts.expected ?? '', startedAt: t, updatedAt: t, shared };
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      if (!shared) await fsp.writeFile(path.join(dir, 'data'), '', { mode: 0o600 });
      writeIngestFile(dir, st);
    } else {
      // Resuming: a later total or expected digest refines what the first writer knew.
      if (total && total !== st.total) st.total = total;
      if (opts.expected && opts.expected !== st.expected) st.expected = opts.expected;
      st.updatedAt = t;
      writeIngestFile(dir, st);
    }
    ensureNamespace(this.db, ns);
    this.db
      .prepare(
        `INSERT INTO ingests (namespace, ref, expected, total, started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace, ref) DO UPDATE SET expected = excluded.expected, total = excluded.total, updated_at = excluded.updated_at`,
      )
      .run(ns, opts.ref, st.expected, st.total, st.startedAt, st.updatedAt);

    const w = new ContentWriter(this, this.db, dir, st);
    liveWriters.set(dir, w);
    try {
      await w.open();
    } catch (e) {
      liveWriters.delete(dir);
      throw e;
    }
    return w;
  }

  // ---- Provider: reading -----------------------------------------------------------------------

  /**
   * Read `size` bytes at `offset` (size <= 0: to the end), like containerd's ReaderAt behind
   * the Content.Read API. Partial reads cannot be verified; use reader() to read a whole blob.
   */
  async read(ns: string, digest: string, offset = 0, size = 0): Promise<Buffer> {
    const info = this.info(ns, digest);
    if (offset < 0 || offset > info.size) throw invalid('offset', `${offset} is outside blob ${digest} of ${info.size} bytes`);
    const length = size > 0 ? Math.min(size, info.size - offset) : info.size - offset;
    const fh = await this.openBlob(digest);
    try {
      const buf = Buffer.alloc(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) throw dataLoss(digest, `the file ends at ${offset + got} bytes, the store recorded ${info.size}`);
        got += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  }

  /**
   * A stream of the blob. Read from offset 0 to the end, it verifies the digest and size and
   * fails with DATA_LOSS if the file on disk no longer matches (someone edited it).
   */
  reader(ns: string, descOrDigest: string | Pick<Descriptor, 'digest' | 'size'>, opts: { offset?: number; length?: number } = {}): Readable {
    const digest = typeof descOrDigest === 'string' ? descOrDigest : descOrDigest.digest;
    const info = this.info(ns, digest);
    if (typeof descOrDigest !== 'string' && descOrDigest.size > 0 && descOrDigest.size !== info.size) {
      throw dataLoss(digest, `the descriptor says ${descOrDigest.size} bytes, the store has ${info.size}`);
    }
    const offset = opts.offset ?? 0;
    if (offset < 0 || offset > info.size) throw invalid('offset', `${offset} is outside blob ${digest} of ${info.size} bytes`);
    const end = opts.length !== undefined ? Math.min(info.size, offset + opts.length) - 1 : undefined;
    const file = fs.createReadStream(this.blobPath(digest), { start: offset, end, highWaterMark: 1 << 20 });
    if (offset > 0 || end !== undefined) return file; // a part of a blob cannot be verified
    const verifier = new VerifyingTransform(digest, info.size);
    file.on('error', (e) => verifier.destroy(mapFsError(e, digest)));
    return file.pipe(verifier);
  }

  /** The whole blob in memory, verified (manifests, indexes, configs). */
  async readBlob(ns: string, descOrDigest: string | Pick<Descriptor, 'digest' | 'size'>): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of this.reader(ns, descOrDigest)) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  private async openBlob(digest: string): Promise<fsp.FileHandle> {
    try {
      return await fsp.open(this.blobPath(digest), 'r');
    } catch (e) {
      throw mapFsError(e as Error, digest);
    }
  }

  // ---- conveniences --------------------------------------------------------------------------

  /**
   * Write a whole blob (content.WriteBlob): bytes or a stream, verified against desc.digest/size
   * when given. Already present in the namespace: nothing is written, `existed` is true (labels,
   * if given, are merged in).
   */
  async put(
    ns: string,
    desc: { digest?: string; size?: number },
    data: Buffer | string | Readable | AsyncIterable<Buffer>,
    labels?: Labels,
  ): Promise<{ digest: string; size: number; existed: boolean }> {
    const ref = desc.digest ? `put-${desc.digest}` : `put-${crypto.randomUUID()}`;
    const existing = (digest: string) => {
      if (labels && Object.keys(labels).length) this.update(ns, { digest, labels }, Object.keys(labels).map((k) => `labels.${k}`));
      return { digest, size: this.info(ns, digest).size, existed: true };
    };
    let w: ContentWriter | undefined;
    // Another put of the same blob holds the ref: wait for it (bounded), then find the blob there.
    for (const deadline = Date.now() + 30_000; !w; ) {
      try {
        w = await this.writer(ns, { ref, total: desc.size, expected: desc.digest });
      } catch (e) {
        if (isManagerError(e, 'ALREADY_EXISTS') && desc.digest) return existing(desc.digest);
        if (!isManagerError(e, 'UNAVAILABLE') || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    try {
      if (w.offset > 0) await w.truncate(0); // a put restarts; resuming is the registry fetcher's job
      if (Buffer.isBuffer(data) || typeof data === 'string') await w.write(Buffer.from(data));
      else for await (const chunk of data) await w.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      const r = await w.commit(desc.size ?? 0, desc.digest ?? '', labels);
      return { digest: r.digest, size: r.size, existed: !r.created };
    } catch (e) {
      await w.close();
      if (isManagerError(e, 'ALREADY_EXISTS')) return existing(desc.digest ?? w.digest());
      await this.abort(ns, ref).catch(() => {});
      throw e;
    }
  }

  /** Record a committed blob in a namespace (used by the writer's commit). */
  recordBlob(ns: string, digest: string, size: number, labels: Labels | undefined): boolean {
    ensureNamespace(this.db, ns);
    const t = now();
    const r = this.db
      .prepare('INSERT OR IGNORE INTO content (namespace, digest, size, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(ns, digest, size, toJson(cleanLabels(labels)), t, t);
    return r.changes > 0;
  }
}

/**
 * content.Writer. Not safe for concurrent use: await each write before the next (as with a Go
 * io.Writer). commit() and close() always release the ref.
 */
export class ContentWriter {
  private fh: fsp.FileHandle | undefined;
  private readonly digester = new Digester();
  private _offset = 0;
  private state: 'open' | 'closed' | 'committed' | 'aborted' = 'open';
  private readonly dataPath: string;

  constructor(
    private readonly store: ContentStore,
    private readonly db: DB,
    private readonly dir: string,
    private readonly st: IngestFile,
  ) {
    this.dataPath = path.join(dir, 'data');
  }

  get ref(): string {
    return this.st.ref;
  }
  get offset(): number {
    return this._offset;
  }

  /** Open the data file and re-hash what an earlier writer left (the hash state is not saved). */
  async open(): Promise<void> {
    if (this.st.shared) {
      this._offset = this.st.total;
      return;
    }
    this.fh = await fsp.open(this.dataPath, 'a+', 0o600);
    const stream = fs.createReadStream('', { fd: this.fh.fd, autoClose: false, start: 0, highWaterMark: 1 << 20 });
    for await (const chunk of stream) {
      this.digester.update(chunk as Buffer);
      this._offset += (chunk as Buffer).length;
    }
  }

  status(): IngestStatus {
    return toStatus(this.st, this._offset);
  }

  /** The digest of the bytes written so far. */
  digest(): string {
    return this.st.shared ? this.st.expected : this.digester.digest();
  }

  async write(chunk: Buffer): Promise<void> {
    this.assertOpen('write');
    if (chunk.length === 0) return;
    if (this.st.shared) await this.unshare();
    let done = 0;
    while (done < chunk.length) {
      const { bytesWritten } = await this.fh!.write(chunk, done, chunk.length - done);
      done += bytesWritten;
    }
    this.digester.update(chunk);
    this._offset += chunk.length;
    this.st.updatedAt = now();
  }

  /** Only truncate(0) is supported (containerd: "Truncate: unsupported size"): start over. */
  async truncate(size: number): Promise<void> {
    this.assertOpen('truncate');
    if (size !== 0) throw invalid('size', `truncate supports only 0 (got ${size})`);
    if (this.st.shared) {
      this.st.shared = false;
      writeIngestFile(this.dir, this.st);
      this.fh = await fsp.open(this.dataPath, 'a+', 0o600);
    }
    await this.fh!.truncate(0);
    this.digester.reset();
    this._offset = 0;
  }

  /**
   * Verify and publish the blob. size/expected 0/"" mean unknown; if the writer was opened with an
   * expected digest, that one is checked when `expected` is empty. Errors: FAILED_PRECONDITION for
   * a size or digest that does not match (the ingest stays, like containerd's), ALREADY_EXISTS
   * when the namespace already has the blob (the ingest is removed).
   */
  async commit(size = 0, expected = '', labels?: Labels): Promise<CommitResult> {
    this.assertOpen('commit');
    const ns = this.st.namespace;
    try {
      validateLabels(labels);
      if (this.fh) {
        await this.fh.sync();
        await this.fh.close();
        this.fh = undefined;
      }
      const actualSize = this._offset;
      if (size > 0 && size !== actualSize) {
        throw precondition(`commit ref ${this.st.ref}: unexpected commit size ${actualSize}, expected ${size}`);
      }
      const want = expected || this.st.expected;
      if (want) parseDigest(want, 'expected');
      const actual = this.digest();
      if (want && want !== actual) {
        throw precondition(`commit ref ${this.st.ref}: unexpected commit digest ${actual}, expected ${want}`);
      }
      const target = this.store.blobPath(actual);
      let created = false;
      // Between the rename below and the record in the database, the blob is on disk but no
      // namespace has it: garbage collection must not take it in that window.
      this.store.committing.add(actual);
      if (this.st.shared) {
        if (fileSize(target) !== actualSize) throw precondition(`commit ref ${this.st.ref}: blob ${actual} disappeared from the store; write it again`);
      } else if (fileSize(target) === undefined) {
        await fsp.chmod(this.dataPath, 0o444);
        await fsp.rename(this.dataPath, target);
        created = true;
      }
      let recorded: boolean;
      try {
        recorded = this.db.transaction(() => {
          const added = this.store.recordBlob(ns, actual, actualSize, labels);
          this.db.prepare('DELETE FROM ingests WHERE namespace = ? AND ref = ?').run(ns, this.st.ref);
          return added;
        })();
      } finally {
        this.store.committing.delete(actual);
      }
      await fsp.rm(this.dir, { recursive: true, force: true });
      this.state = 'committed';
      if (!recorded) throw alreadyExists(`content ${actual}`);
      return { digest: actual, size: actualSize, created };
    } finally {
      if (this.state === 'open') this.state = 'closed';
      await this.release();
    }
  }

  /** Stop writing; the bytes stay so a later writer with the same ref resumes. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closed';
      if (!fs.existsSync(this.dir)) {
        await this.release();
        return;
      }
      this.st.updatedAt = now();
      writeIngestFile(this.dir, this.st);
    }
    await this.release();
  }

  /** Called by ContentStore.abort while this writer is live. */
  async markAborted(): Promise<void> {
    if (this.state === 'open') this.state = 'aborted';
    await this.release();
  }

  private async release(): Promise<void> {
    if (this.fh) {
      const fh = this.fh;
      this.fh = undefined;
      await fh.sync().catch(() => {});
      await fh.close().catch(() => {});
    }
    if (liveWriters.get(this.dir) === this) liveWriters.delete(this.dir);
  }

  /** The namespace wants to write bytes for a blob another namespace has: copy it first (containerd's createAndCopy). */
  private async unshare(): Promise<void> {
    const source = this.store.blobPath(this.st.expected);
    await fsp.copyFile(source, this.dataPath);
    await fsp.chmod(this.dataPath, 0o600);
    this.st.shared = false;
    writeIngestFile(this.dir, this.st);
    this._offset = 0;
    this.digester.reset();
    await this.open();
  }

  private assertOpen(op: string): void {
    if (this.state === 'aborted') throw precondition(`cannot ${op}: ingest ref ${this.st.ref} was aborted`);
    if (this.state !== 'open') throw precondition(`cannot ${op} on ${this.state} writer for ref ${this.st.ref}`);
  }
}

/** Checks digest and size of a stream read from the start, failing at the end with DATA_LOSS. */
class VerifyingTransform extends Transform {
  private readonly digester = new Digester();
  private seen = 0;
  constructor(
    private readonly digest: string,
    private readonly size: number,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.digester.update(chunk);
    this.seen += chunk.length;
    if (this.seen > this.size) return cb(dataLoss(this.digest, `the file has more than the ${this.size} bytes recorded`));
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.seen !== this.size) return cb(dataLoss(this.digest, `the file has ${this.seen} bytes, the store recorded ${this.size}`));
    const got = this.digester.digest();
    if (got !== this.digest) return cb(dataLoss(this.digest, `its bytes hash to ${got} (the file was modified on disk)`));
    cb();
  }
}

// ---- helpers ---------------------------------------------------------------------------------

interface ContentRow {
  namespace: string;
  digest: string;
  size: number;
  labels: string;
  created_at: number;
  updated_at: number;
}

const rowToInfo = (r: ContentRow): ContentInfo => ({
  digest: r.digest,
  size: r.size,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  labels: fromJson(r.labels),
});

const toStatus = (st: IngestFile, offset: number): IngestStatus => ({
  ref: st.ref,
  offset,
  total: st.total,
  expected: st.expected,
  startedAt: new Date(st.startedAt),
  updatedAt: new Date(st.updatedAt),
});

function readIngestFile(dir: string): IngestFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as IngestFile;
  } catch {
    return undefined;
  }
}

/** status.json is replaced atomically (write + rename), so a crash leaves the old or the new one. */
function writeIngestFile(dir: string, st: IngestFile): void {
  const tmp = path.join(dir, `.status.json.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(st));
  fs.renameSync(tmp, path.join(dir, 'status.json'));
}

function ingestOffset(dir: string, st: IngestFile): number {
  if (st.shared) return st.total;
  return fileSize(path.join(dir, 'data')) ?? 0;
}

function fileSize(p: string): number | undefined {
  try {
    return fs.statSync(p).size;
  } catch {
    return undefined;
  }
}

export function dataLoss(digest: string, why: string): ManagerError {
  return new ManagerError('DATA_LOSS', `blob ${digest} is corrupt: ${why}`);
}

function mapFsError(e: Error, digest: string): Error {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return dataLoss(digest, 'the store has a record of it but the file is missing');
  return e;
}

/** Copy a stream into a writer (content.Copy without the resume logic, which callers own). */
export async function copyInto(w: ContentWriter, source: AsyncIterable<Buffer> | Readable): Promise<void> {
  await pipeline(source, async function (chunks: AsyncIterable<Buffer>) {
    for await (const c of chunks) await w.write(c);
  });
}
