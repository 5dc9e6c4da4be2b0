// The content store: writes, commits, resumable ingests (also across a real SIGKILL), locks,
// aborts, namespaces, and verification of sizes and digests on the way in and out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { ContentStore, sha256 } from '../src/content';
import { openDatabase, type DB } from '../src/metadata/db';
import { isManagerError } from '../src/errors';

const here = path.dirname(fileURLToPath(import.meta.url));
let dir: string;
let db: DB;
let store: ContentStore;

const reopen = () => {
  db.close();
  db = openDatabase(path.join(dir, 'meta.db'));
  store = new ContentStore({ root: path.join(dir, 'content'), db });
};

async function collect(r: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string, re?: RegExp): Promise<void> {
  try {
    if (typeof p === 'function') await p();
    else await p;
  } catch (e) {
    expect(isManagerError(e), String(e)).toBe(true);
    expect((e as { code: string }).code, (e as Error).message).toBe(code);
    if (re) expect((e as Error).message).toMatch(re);
    return;
  }
  throw new Error(`expected ${code}, got success`);
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-content-'));
  db = openDatabase(path.join(dir, 'meta.db'));
  store = new ContentStore({ root: path.join(dir, 'content'), db });
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ContentStore writes', () => {
  it('writes, commits, reads back and lists a blob', async () => {
    const data = Buffer.from('hello, content store\n');
    const w = await store.writer('default', { ref: 'r1', total: data.length });
    await w.write(data.subarray(0, 5));
    await w.write(data.subarray(5));
    expect(w.status()).toMatchObject({ ref: 'r1', offset: data.length, total: data.length });
    const r = await w.commit(data.length, sha256(data), { 'test.label': 'x' });
    expect(r).toEqual({ digest: sha256(data), size: data.length, created: true });

    const info = store.info('default', r.digest);
    expect(info).toMatchObject({ digest: r.digest, size: data.length, labels: { 'test.label': 'x' } });
    expect(await store.read('default', r.digest, 7, 7)).toEqual(data.subarray(7, 14));
    expect(await collect(store.reader('default', r.digest))).toEqual(data);
    // Stored once under blobs/sha256/<hex>, read-only; the ingest is gone.
    const file = path.join(dir, 'content', 'blobs', 'sha256', r.digest.slice(7));
    expect(fs.readFileSync(file)).toEqual(data);
    expect(fs.statSync(file).mode & 0o222).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'content', 'ingest'))).toEqual([]);
    expect(store.listStatuses('default')).toEqual([]);
    expect(store.blobDigestsOnDisk()).toEqual([r.digest]);

    expect(store.walk('default').map((i) => i.digest)).toEqual([r.digest]);
    expect(store.walk('default', ['labels."test.label"==x'])).toHaveLength(1);
    expect(store.walk('default', ['labels."test.label"==y'])).toHaveLength(0);
    expect(store.walk('other')).toHaveLength(0);
  });

  it('updates labels with containerd fieldpaths and refuses other fields', async () => {
    const { digest } = await store.put('default', {}, 'labels', { a: '1', b: '2' });
    expect(store.update('default', { digest, labels: { b: '3', c: '4' } }, ['labels.b']).labels).toEqual({ a: '1', b: '3' });
    expect(store.update('default', { digest, labels: {} }, ['labels.a']).labels).toEqual({ b: '3' });
    expect(store.update('default', { digest, labels: { z: '9' } }, ['labels']).labels).toEqual({ z: '9' });
    await expectCode(() => store.update('default', { digest }, ['size']), 'INVALID_ARGUMENT', /only labels are mutable/);
    await expectCode(() => store.update('default', { digest, labels: { k: 'v'.repeat(5000) } }), 'INVALID_ARGUMENT', /4096/);
  });

  it('refuses a wrong size or a wrong digest at commit and stores nothing', async () => {
    const data = Buffer.from('0123456789');
    let w = await store.writer('default', { ref: 'bad-size' });
    await w.write(data);
    await expectCode(w.commit(11, sha256(data)), 'FAILED_PRECONDITION', /unexpected commit size 10, expected 11/);
    w = await store.writer('default', { ref: 'bad-digest' });
    await w.write(data);
    const wrong = sha256('something else');
    await expectCode(w.commit(10, wrong), 'FAILED_PRECONDITION', new RegExp(`unexpected commit digest ${sha256(data)}, expected ${wrong}`));
    expect(store.walk('default')).toEqual([]);
    expect(store.blobDigestsOnDisk()).toEqual([]);
    // The ingests stay (like containerd's) until aborted.
    expect(store.listStatuses('default').map((s) => s.ref).sort()).toEqual(['bad-digest', 'bad-size']);
    await store.abort('default', 'bad-size');
    await store.abort('default', 'bad-digest');
    expect(store.listStatuses('default')).toEqual([]);
  });

  it('checks the digest given to writer() when commit gets none', async () => {
    const w = await store.writer('default', { ref: 'exp', expected: sha256('abc') });
    await w.write(Buffer.from('abd'));
    await expectCode(w.commit(), 'FAILED_PRECONDITION', /unexpected commit digest/);
  });

  it('locks a ref while a writer holds it (UNAVAILABLE "ref X locked")', async () => {
    const w = await store.writer('default', { ref: 'locked-ref' });
    await expectCode(store.writer('default', { ref: 'locked-ref' }), 'UNAVAILABLE', /ref locked-ref locked/);
    // Another namespace's ref of the same name is a different write.
    const other = await store.writer('other', { ref: 'locked-ref' });
    await other.close();
    await w.close();
    const again = await store.writer('default', { ref: 'locked-ref' });
    await again.close();
  });

  it('resumes a write after close and after reopening the store, re-hashing what is there', async () => {
    const data = crypto.randomBytes(300_000);
    let w = await store.writer('default', { ref: 'resume-me', total: data.length, expected: sha256(data) });
    await w.write(data.subarray(0, 100_000));
    await w.close();
    expect(store.status('default', 'resume-me')).toMatchObject({ offset: 100_000, total: data.length, expected: sha256(data) });

    reopen();
    expect(store.listStatuses('default').map((s) => [s.ref, s.offset])).toEqual([['resume-me', 100_000]]);
    w = await store.writer('default', { ref: 'resume-me', total: data.length });
    expect(w.offset).toBe(100_000);
    await w.write(data.subarray(100_000));
    expect(w.digest()).toBe(sha256(data));
    const r = await w.commit(data.length, sha256(data));
    expect(r.digest).toBe(sha256(data));
    expect((await store.readBlob('default', r.digest)).equals(data)).toBe(true);
  });

  it('resumes after the writing process is SIGKILLed mid-write', async () => {
    // A real crash: a child process writes 64 KiB through the store and kills itself.
    const script = path.join(here, '..', '..', '..', 'node_modules', '.cache', `strata-content-crash-${process.pid}.mjs`);
    fs.mkdirSync(path.dirname(script), { recursive: true });
    await esbuild.build({
      stdin: {
        contents: `
          import { ContentStore } from ${JSON.stringify(path.join(here, '..', 'src', 'content', 'index.ts'))};
          import { openDatabase } from ${JSON.stringify(path.join(here, '..', 'src', 'metadata', 'db.ts'))};
          const [root, dbFile] = process.argv.slice(2);
          const store = new ContentStore({ root, db: openDatabase(dbFile) });
          const w = await store.writer('default', { ref: 'crash', total: 200000 });
          await w.write(Buffer.alloc(65536, 7));
          process.kill(process.pid, 'SIGKILL');`,
        resolveDir: here,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: script,
      external: ['better-sqlite3'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'error',
    });
    try {
      db.close();
      const r = spawnSync(process.execPath, [script, path.join(dir, 'content'), path.join(dir, 'meta.db')], { timeout: 20_000 });
      expect(r.signal, r.stderr.toString()).toBe('SIGKILL');
    } finally {
      fs.rmSync(script, { force: true });
      db = openDatabase(path.join(dir, 'meta.db'));
      store = new ContentStore({ root: path.join(dir, 'content'), db });
    }
    expect(store.status('default', 'crash')).toMatchObject({ offset: 65536, total: 200000 });
    const w = await store.writer('default', { ref: 'crash' });
    expect(w.offset).toBe(65536);
    const rest = Buffer.alloc(200000 - 65536, 7);
    await w.write(rest);
    const full = Buffer.alloc(200000, 7);
    expect((await w.commit(200000, sha256(full))).digest).toBe(sha256(full));
  });

  it('aborts an ingest (also one a live writer holds, which then fails)', async () => {
    const w = await store.writer('default', { ref: 'to-abort' });
    await w.write(Buffer.from('partial'));
    await store.abort('default', 'to-abort');
    await expectCode(w.write(Buffer.from('more')), 'FAILED_PRECONDITION', /aborted/);
    await expectCode(async () => store.status('default', 'to-abort'), 'NOT_FOUND');
    await expectCode(store.abort('default', 'to-abort'), 'NOT_FOUND');
    const again = await store.writer('default', { ref: 'to-abort' });
    expect(again.offset).toBe(0);
    await again.close();
  });

  it('truncate(0) starts a write over', async () => {
    const w = await store.writer('default', { ref: 't' });
    await w.write(Buffer.from('garbage'));
    await w.truncate(0);
    await w.write(Buffer.from('good'));
    expect((await w.commit(4, sha256('good'))).digest).toBe(sha256('good'));
    await expectCode(w.truncate(0), 'FAILED_PRECONDITION');
  });
});

describe('ContentStore namespaces', () => {
  it('shares bytes between namespaces but not visibility', async () => {
    const data = Buffer.from('shared blob');
    const digest = sha256(data);
    await store.put('a', { digest, size: data.length }, data);
    await expectCode(async () => store.info('b', digest), 'NOT_FOUND');
    await expectCode(store.read('b', digest), 'NOT_FOUND');

    // b knows the digest: no byte moves, commit records the blob for b.
    const w = await store.writer('b', { ref: 'b-ref', total: data.length, expected: digest });
    expect(w.status().offset).toBe(data.length);
    const r = await w.commit(data.length, digest);
    expect(r.created).toBe(false);
    expect(store.info('b', digest).size).toBe(data.length);
    expect(store.namespacesReferencing(digest).sort()).toEqual(['a', 'b']);

    // Already in the namespace: ALREADY_EXISTS before any write, like containerd's metadata store.
    await expectCode(store.writer('a', { ref: 'again', expected: digest }), 'ALREADY_EXISTS');
    // Committing the same bytes under another ref in a namespace that has them: ALREADY_EXISTS.
    const w2 = await store.writer('a', { ref: 'blind' });
    await w2.write(data);
    await expectCode(w2.commit(), 'ALREADY_EXISTS');

    // Delete removes visibility only; the file goes when GC finds no reference.
    store.delete('a', digest);
    await expectCode(async () => store.info('a', digest), 'NOT_FOUND');
    expect(store.blobDigestsOnDisk()).toEqual([digest]);
    store.delete('b', digest);
    expect(store.namespacesReferencing(digest)).toEqual([]);
    expect(store.removeBlobFile(digest)).toBe(true);
    expect(store.blobDigestsOnDisk()).toEqual([]);
  });

  it('put() reports an existing blob and merges labels', async () => {
    const first = await store.put('default', {}, 'x', { one: '1' });
    expect(first.existed).toBe(false);
    const second = await store.put('default', { digest: first.digest }, 'x', { two: '2' });
    expect(second.existed).toBe(true);
    expect(store.info('default', first.digest).labels).toEqual({ one: '1', two: '2' });
  });
});

describe('ContentStore verification on read', () => {
  it('detects a blob whose file was modified on disk', async () => {
    const data = crypto.randomBytes(50_000);
    const { digest } = await store.put('default', {}, data);
    const file = store.blobPath(digest);
    fs.chmodSync(file, 0o644);
    const tampered = Buffer.from(data);
    tampered[1234] ^= 0xff;
    fs.writeFileSync(file, tampered);
    await expectCode(collect(store.reader('default', digest)), 'DATA_LOSS', /hash to sha256:.*modified on disk/);
    await expectCode(store.readBlob('default', digest), 'DATA_LOSS');
    // Truncated on disk: the size no longer matches.
    fs.writeFileSync(file, data.subarray(0, 100));
    await expectCode(collect(store.reader('default', digest)), 'DATA_LOSS', /100 bytes, the store recorded 50000/);
    await expectCode(store.read('default', digest, 0, 0), 'DATA_LOSS');
    // Removed on disk.
    fs.rmSync(file);
    await expectCode(collect(store.reader('default', digest)), 'DATA_LOSS', /file is missing/);
  });

  it('refuses a descriptor whose size disagrees with the store and bad digests', async () => {
    const { digest } = await store.put('default', {}, 'abc');
    await expectCode(async () => store.reader('default', { digest, size: 4 }), 'DATA_LOSS');
    await expectCode(async () => store.info('default', 'sha256:xyz'), 'INVALID_ARGUMENT', /invalid sha256 digest|invalid digest/);
    await expectCode(async () => store.info('default', 'md5:' + 'a'.repeat(32)), 'INVALID_ARGUMENT', /unsupported digest algorithm/);
    await expectCode(store.put('default', { digest: sha256('abd') }, 'abc'), 'FAILED_PRECONDITION');
  });
});
