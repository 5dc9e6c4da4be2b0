// Test helpers for tar layers: build one in memory, read one fully, describe a directory tree.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { readTar, TarWriter, type TarHeader, type TarWriterHeader } from '../src/archive';
import { readXattrs } from '../src/archive/syscalls';

export type FixtureEntry = TarWriterHeader & { content?: string | Buffer };

/** A tar (optionally gzip) of the entries, in order. Files default to mode 0644, dirs 0755. */
export async function tarLayer(entries: FixtureEntry[], opts: { gzip?: boolean } = {}): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const tw = new TarWriter(out);
  for (const e of entries) {
    const { content, ...h } = e;
    const body = content === undefined ? undefined : Buffer.isBuffer(content) ? content : Buffer.from(content);
    await tw.add(
      { mode: h.type === 'dir' ? 0o755 : 0o644, mtime: 1_000_000_000, ...h, size: h.type === 'file' ? (body?.length ?? 0) : 0 },
      body,
    );
  }
  await tw.finish();
  out.end();
  const tar = Buffer.concat(chunks);
  return opts.gzip ? zlib.gzipSync(tar) : tar;
}

export const sha256 = (b: Buffer | string): string => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/** Every entry with its body gathered. */
export async function readAllEntries(data: Buffer | AsyncIterable<Buffer>): Promise<{ header: TarHeader; body: Buffer }[]> {
  const out: { header: TarHeader; body: Buffer }[] = [];
  const src = Buffer.isBuffer(data) ? Readable.from([data]) : data;
  for await (const e of readTar(src)) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push({ header: e.header, body: Buffer.concat(parts) });
  }
  return out;
}

/**
 * A directory tree as comparable text: one line per path with type, mode, owner, size/target/
 * device and a content hash, plus xattrs (trusted.* left out).
 */
export function describeTree(root: string, opts: { times?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const hashes = new Map<bigint, string>(); // hardlinks: hash each inode once
  const visit = (rel: string) => {
    const abs = rel ? path.join(root, rel) : root;
    const st = fs.lstatSync(abs, { bigint: true });
    const mode = (st.mode & 0o7777n).toString(8);
    let what: string;
    if (st.isDirectory()) what = 'dir';
    else if (st.isFile()) {
      if (!hashes.has(st.ino)) hashes.set(st.ino, sha256(fs.readFileSync(abs)).slice(7, 19));
      what = `file ${st.size} ${hashes.get(st.ino)}`;
    }
    else if (st.isSymbolicLink()) what = `symlink -> ${fs.readlinkSync(abs)}`;
    else if (st.isCharacterDevice()) what = `char ${st.rdev}`;
    else if (st.isBlockDevice()) what = `block ${st.rdev}`;
    else if (st.isFIFO()) what = 'fifo';
    else what = 'other';
    const x = readXattrs(abs, (n) => n.startsWith('trusted.'));
    const xs = Object.keys(x)
      .sort()
      .map((k) => ` ${k}=${x[k].toString('hex')}`)
      .join('');
    const t = opts.times && !st.isDirectory() ? ` mtime=${st.mtimeNs / 1_000_000_000n}` : '';
    out[rel || '.'] = `${what} ${st.isSymbolicLink() ? '' : mode} ${st.uid}:${st.gid}${xs}${t}`;
    if (st.isDirectory()) for (const n of fs.readdirSync(abs).sort()) visit(rel ? `${rel}/${n}` : n);
  };
  visit('');
  return out;
}
