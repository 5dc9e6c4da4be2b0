// The manager's metadata: one SQLite database (containerd keeps the same records in bbolt,
// io.containerd.metadata.v1.bolt/meta.db). Everything that names something lives here, per
// namespace: images, containers, snapshots, leases, and which blobs a namespace can see.
// Bytes live elsewhere: blobs in the ContentStore's directory, file trees in snapshot dirs.
//
// Why SQLite through better-sqlite3: real ACID transactions with rollback (a crash mid-pull or
// mid-create leaves the database as it was before the transaction), WAL so readers never block,
// a synchronous API so a transaction cannot interleave with another request's awaits, and the
// `sqlite3` shell lets a student open the file and read the tables.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export type DB = Database.Database;

/** Schema version; bump it with a new entry in MIGRATIONS. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE namespaces (
    name TEXT PRIMARY KEY,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
  );
  -- A blob is stored once (by digest) but is visible only in the namespaces that committed it.
  -- Labels carry garbage-collection references (containerd.io/gc.ref.content.*).
  CREATE TABLE content (
    namespace TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, digest)
  );
  -- An ingest in progress (a write with a ref), so Status/ListStatuses and expiry survive restarts.
  CREATE TABLE ingests (
    namespace TEXT NOT NULL,
    ref TEXT NOT NULL,
    expected TEXT NOT NULL DEFAULT '',
    total INTEGER NOT NULL DEFAULT 0,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, ref)
  );
  CREATE TABLE images (
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    digest TEXT NOT NULL,
    size INTEGER NOT NULL,
    annotations TEXT NOT NULL DEFAULT '{}',
    labels TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, name)
  );
  CREATE TABLE containers (
    namespace TEXT NOT NULL,
    id TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    image TEXT NOT NULL DEFAULT '',
    runtime_name TEXT NOT NULL,
    runtime_options BLOB,          -- an encoded google.protobuf.Any, opaque to the manager
    spec BLOB,                     -- an encoded google.protobuf.Any holding the OCI spec JSON
    snapshotter TEXT NOT NULL DEFAULT '',
    snapshot_key TEXT NOT NULL DEFAULT '',
    extensions TEXT NOT NULL DEFAULT '{}', -- name -> base64 of an encoded Any
    sandbox TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, id)
  );
  -- Snapshots as the API names them (namespace + key); the snapshotter's own id names the
  -- directory on disk, so two namespaces may both use the key "busybox".
  CREATE TABLE snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace TEXT NOT NULL,
    snapshotter TEXT NOT NULL,
    key TEXT NOT NULL,
    kind INTEGER NOT NULL,         -- containerd.snapshots.v1.Kind: 1 view, 2 active, 3 committed
    parent TEXT NOT NULL DEFAULT '',
    labels TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (namespace, snapshotter, key)
  );
  CREATE TABLE leases (
    namespace TEXT NOT NULL,
    id TEXT NOT NULL,
    labels TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (namespace, id)
  );
  -- What a lease protects from garbage collection: type is "content", "ingests",
  -- "snapshots/<snapshotter>" (containerd's resource types).
  CREATE TABLE lease_resources (
    namespace TEXT NOT NULL,
    lease TEXT NOT NULL,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (namespace, lease, type, id),
    FOREIGN KEY (namespace, lease) REFERENCES leases (namespace, id) ON DELETE CASCADE
  );
  `,
];

export function openDatabase(file: string): DB {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // FULL: a commit is on disk before the call returns (the manager may be SIGKILLed any time).
  db.pragma('synchronous = FULL');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return db;
}

/** Labels and maps are stored as JSON text. */
export const toJson = (o: Record<string, string> | undefined): string => JSON.stringify(o ?? {});
export const fromJson = (s: string | null | undefined): Record<string, string> => (s ? JSON.parse(s) : {});
export const now = (): number => Date.now();

/** Make sure a namespace row exists (containerd creates namespaces on first use). */
export function ensureNamespace(db: DB, name: string): void {
  db.prepare('INSERT OR IGNORE INTO namespaces (name, labels, created_at) VALUES (?, ?, ?)').run(name, '{}', now());
}
