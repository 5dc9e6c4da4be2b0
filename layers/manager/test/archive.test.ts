// The tar reader and writer, and layer stream decoding: round trips, interop with GNU tar in
// both directions, pax and GNU extensions, corrupt input. No root needed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { detectCompression, normalizeEntryName, openLayerStream, paxRecord, parsePaxRecords } from '../src/archive';
import { isManagerError } from '../src/errors';
import { readAllEntries, sha256, tarLayer } from './archiveFixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-archive-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hasGnuTar = spawnSync('tar', ['--version']).stdout?.toString().includes('GNU tar');

const longDir = 'd'.repeat(60);
const ustarLong = `${longDir}/${'e'.repeat(60)}/file-with-a-long-name.txt`; // > 100 bytes, splits at a slash
const paxLong = `${'x'.repeat(120)}/${'y'.repeat(150)}`; // no ustar split possible
const unicodeLong = `${'ü'.repeat(60)}/naïve-${'é'.repeat(30)}`;

describe('tar writer -> tar reader round trip', () => {
  it('keeps every entry type, long names, big ids, xattrs and fractional times', async () => {
    const entries = [
      { name: 'dir', type: 'dir' as const, mode: 0o1777, uid: 0, gid: 0 },
      { name: 'dir/file', type: 'file' as const, content: 'hello\n', mode: 0o4755, uid: 1000, gid: 100, mtime: 1_234_567_890 },
      { name: 'dir/empty', type: 'file' as const, content: '' },
      { name: 'dir/link', type: 'symlink' as const, linkname: '../target' },
      { name: 'dir/hard', type: 'hardlink' as const, linkname: 'dir/file' },
      { name: 'dev/null', type: 'char' as const, devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block' as const, devmajor: 8, devminor: 0, mode: 0o660 },
      { name: 'pipe', type: 'fifo' as const },
      { name: ustarLong, type: 'file' as const, content: 'ustar prefix' },
      { name: paxLong, type: 'file' as const, content: 'pax path' },
      { name: unicodeLong, type: 'file' as const, content: 'utf-8' },
      { name: 'longlink', type: 'symlink' as const, linkname: `/${'t'.repeat(200)}` },
      { name: 'bigids', type: 'file' as const, uid: 100_000_000, gid: 3_000_000_000, content: 'x' },
      { name: 'caps', type: 'file' as const, xattrs: { 'security.capability': Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0, 0xff]), 'user.note': Buffer.from('hi') } },
      { name: 'ftime', type: 'file' as const, mtime: 1_600_000_000.5 },
    ];
    const tar = await tarLayer(entries);
    expect(tar.length % 512).toBe(0);
    const back = await readAllEntries(tar);
    expect(back.map((e) => e.header.name)).toEqual(entries.map((e) => (e.type === 'dir' ? `${e.name}/` : e.name)));
    const byName = new Map(back.map((e) => [e.header.name.replace(/\/$/, ''), e]));
    expect(byName.get('dir')!.header).toMatchObject({ type: 'dir', mode: 0o1777 });
    expect(byName.get('dir/file')!.header).toMatchObject({ type: 'file', mode: 0o4755, uid: 1000, gid: 100, size: 6, mtime: 1_234_567_890 });
    expect(byName.get('dir/file')!.body.toString()).toBe('hello\n');
    expect(byName.get('dir/link')!.header).toMatchObject({ type: 'symlink', linkname: '../target' });
    expect(byName.get('dir/hard')!.header).toMatchObject({ type: 'hardlink', linkname: 'dir/file', size: 0 });
    expect(byName.get('dev/null')!.header).toMatchObject({ type: 'char', devmajor: 1, devminor: 3, mode: 0o666 });
    expect(byName.get('dev/sda')!.header).toMatchObject({ type: 'block', devmajor: 8, devminor: 0 });
    expect(byName.get('pipe')!.header.type).toBe('fifo');
    expect(byName.get(ustarLong)!.body.toString()).toBe('ustar prefix');
    expect(byName.get(paxLong)!.body.toString()).toBe('pax path');
    expect(byName.get(unicodeLong)!.body.toString()).toBe('utf-8');
    expect(byName.get('longlink')!.header.linkname).toBe(`/${'t'.repeat(200)}`);
    expect(byName.get('bigids')!.header).toMatchObject({ uid: 100_000_000, gid: 3_000_000_000 });
    expect(byName.get('caps')!.header.xattrs['security.capability']).toEqual(Buffer.from([1, 0, 0, 2, 0x20, 0, 0, 0, 0xff]));
    expect(byName.get('caps')!.header.xattrs['user.note'].toString()).toBe('hi');
    expect(byName.get('ftime')!.header.mtime).toBe(1_600_000_000.5);
  });

  it('uses a ustar prefix when a long name splits at a slash, pax only when it must', async () => {
    const tar = await tarLayer([{ name: ustarLong, type: 'file', content: '' }]);
    expect(tar.subarray(156, 157).toString()).toBe('0'); // no pax header in front
    expect(tar.subarray(345, 345 + longDir.length).toString()).toBe(longDir);
    const pax = await tarLayer([{ name: paxLong, type: 'file', content: '' }]);
    expect(pax.subarray(156, 157).toString()).toBe('x');
  });

  it('streams a large body without gathering it', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const tar = await tarLayer([{ name: 'big', type: 'file', content: big }, { name: 'after', type: 'file', content: 'ok' }]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < tar.length; i += 1000) chunks.push(tar.subarray(i, i + 1000)); // odd chunk sizes
    const back = await readAllEntries(Readable.from(chunks));
    expect(back[0].body.equals(big)).toBe(true);
    expect(back[1].body.toString()).toBe('ok');
  });

  it('skips bodies the consumer does not read', async () => {
    const { readTar } = await import('../src/archive');
    const tar = await tarLayer([
      { name: 'a', type: 'file', content: 'A'.repeat(5000) },
      { name: 'b', type: 'file', content: 'B' },
    ]);
    const names: string[] = [];
    for await (const e of readTar(Readable.from([tar]))) names.push(e.header.name);
    expect(names).toEqual(['a', 'b']);
  });
});

describe.skipIf(!hasGnuTar)('interop with GNU tar', () => {
  const src = path.join(tmp, 'src');
  fs.mkdirSync(path.join(src, longDir, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(src, longDir, 'sub', `${'n'.repeat(90)}.txt`), 'deep');
  fs.writeFileSync(path.join(src, 'plain'), 'plain');
  fs.symlinkSync(`${'L'.repeat(150)}/target`, path.join(src, 'longsym'));
  fs.linkSync(path.join(src, 'plain'), path.join(src, 'hard'));

  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads what GNU tar --format=${format} writes`, async () => {
      const out = path.join(tmp, `gnu-${format}.tar`);
      const args = ['--format', format, '--sort=name', '-C', src, '-cf', out, '.'];
      const r = spawnSync('tar', args);
      if (format === 'ustar') {
        // ustar cannot hold the 150-byte symlink target: GNU tar refuses that member
        expect(r.status).not.toBe(0);
        return;
      }
      expect(r.status, r.stderr.toString()).toBe(0);
      const entries = await readAllEntries(fs.readFileSync(out));
      const names = entries.map((e) => e.header.name);
      expect(names).toContain(`./${longDir}/sub/${'n'.repeat(90)}.txt`);
      const sym = entries.find((e) => e.header.name === './longsym')!;
      expect(sym.header).toMatchObject({ type: 'symlink', linkname: `${'L'.repeat(150)}/target` });
      const deep = entries.find((e) => e.header.name.endsWith('.txt'))!;
      expect(deep.body.toString()).toBe('deep');
      const links = entries.filter((e) => e.header.type === 'hardlink');
      expect(links).toHaveLength(1);
      expect(['./plain', './hard']).toContain(links[0].header.linkname);
    });
  }

  it('reads GNU base-256 numbers (uid beyond 7 octal digits)', async () => {
    const out = path.join(tmp, 'b256.tar');
    const r = spawnSync('tar', ['--format=gnu', '--owner=:3000000', '--group=:4000000', '-C', src, '-cf', out, 'plain']);
    expect(r.status, r.stderr.toString()).toBe(0);
    const [e] = await readAllEntries(fs.readFileSync(out));
    expect(e.header).toMatchObject({ name: 'plain', uid: 3_000_000, gid: 4_000_000 });
    expect(fs.readFileSync(out)[108] & 0x80).toBe(0x80); // really base-256 on disk
  });

  it('GNU tar reads what we write', async () => {
    const tar = await tarLayer([
      { name: 'dir', type: 'dir' },
      { name: 'dir/f', type: 'file', content: 'content\n', mode: 0o640 },
      { name: paxLong, type: 'file', content: 'long' },
      { name: ustarLong, type: 'file', content: 'split' },
      { name: 'dir/s', type: 'symlink', linkname: 'f' },
      { name: 'dir/h', type: 'hardlink', linkname: 'dir/f' },
    ]);
    const file = path.join(tmp, 'ours.tar');
    fs.writeFileSync(file, tar);
    const list = spawnSync('tar', ['-tf', file]);
    expect(list.status, list.stderr.toString()).toBe(0);
    expect(list.stdout.toString().trim().split('\n')).toEqual(['dir/', 'dir/f', paxLong, ustarLong, 'dir/s', 'dir/h']);
    const dest = path.join(tmp, 'x');
    fs.mkdirSync(dest);
    const x = spawnSync('tar', ['-xf', file, '-C', dest]);
    expect(x.status, x.stderr.toString()).toBe(0);
    expect(fs.readFileSync(path.join(dest, paxLong), 'utf8')).toBe('long');
    expect(fs.readFileSync(path.join(dest, ustarLong), 'utf8')).toBe('split');
    expect(fs.readlinkSync(path.join(dest, 'dir/s'))).toBe('f');
    expect(fs.statSync(path.join(dest, 'dir/h')).ino).toBe(fs.statSync(path.join(dest, 'dir/f')).ino);
    expect(fs.statSync(path.join(dest, 'dir/f')).mode & 0o777).toBe(0o640);
  });
});

describe('bad archives', () => {
  const expectInvalid = async (data: Buffer, re: RegExp, code = 'INVALID_ARGUMENT') => {
    const err = await readAllEntries(data).then(
      () => undefined,
      (e) => e,
    );
    expect(isManagerError(err), String(err)).toBe(true);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(re);
  };

  it('refuses a header with a wrong checksum', async () => {
    const tar = await tarLayer([{ name: 'f', type: 'file', content: 'x' }]);
    tar[10] ^= 0xff;
    await expectInvalid(tar, /checksum/);
  });

  it('refuses a stream that ends inside an entry', async () => {
    const tar = await tarLayer([{ name: 'f', type: 'file', content: 'x'.repeat(2000) }]);
    await expectInvalid(tar.subarray(0, 1024), /unexpected end/);
  });

  it('refuses GNU sparse files', async () => {
    const tar = await tarLayer([{ name: 'f', type: 'file', content: '' }]);
    tar[156] = 'S'.charCodeAt(0);
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += tar[i];
    tar.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
    await expectInvalid(tar, /sparse/, 'UNIMPLEMENTED');
  });

  it('accepts an empty stream and a lone end marker as empty archives', async () => {
    expect(await readAllEntries(Buffer.alloc(0))).toEqual([]);
    expect(await readAllEntries(Buffer.alloc(1024))).toEqual([]);
  });
});

describe('pax records', () => {
  it('counts the length prefix itself, across digit boundaries', () => {
    for (let n = 1; n < 1200; n += 7) {
      const rec = paxRecord('path', 'a'.repeat(n));
      expect(Number(rec.toString().split(' ')[0])).toBe(rec.length);
      expect(parsePaxRecords(rec).get('path')!.toString()).toBe('a'.repeat(n));
    }
  });
});

describe('layer streams', () => {
  it('detects compression by magic bytes', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]))).toBe('zstd');
    expect(detectCompression(Buffer.from('BZh91AY'))).toBe('bzip2');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe('xz');
    expect(detectCompression(Buffer.from('file\0\0'))).toBe('none');
  });

  for (const gzip of [false, true]) {
    it(`computes the diff_id and the blob digest of a ${gzip ? 'gzip' : 'plain'} layer while reading`, async () => {
      const tar = await tarLayer([{ name: 'f', type: 'file', content: 'data' }]);
      const blob = gzip ? zlib.gzipSync(tar) : tar;
      const s = await openLayerStream(Readable.from([blob.subarray(0, 3), blob.subarray(3)]));
      expect(s.compression).toBe(gzip ? 'gzip' : 'none');
      const entries = await readAllEntries(s.tar);
      await s.finish();
      expect(entries.map((e) => e.header.name)).toEqual(['f']);
      expect(s.uncompressed.digest()).toBe(sha256(tar));
      expect(s.uncompressed.size).toBe(tar.length);
      expect(s.compressed.digest()).toBe(sha256(blob));
      expect(s.compressed.size).toBe(blob.length);
    });
  }

  it('says clearly that zstd (on Node 20) and xz layers are not supported', async () => {
    const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    const hasZstd = typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';
    if (!hasZstd) await expect(openLayerStream(Readable.from([zstd]))).rejects.toMatchObject({ code: 'UNIMPLEMENTED', message: /zstd/ });
    await expect(openLayerStream(Readable.from([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1])]))).rejects.toMatchObject({ code: 'UNIMPLEMENTED', message: /xz/ });
  });

  it('reports a corrupt gzip stream', async () => {
    const blob = zlib.gzipSync(await tarLayer([{ name: 'f', type: 'file', content: 'x'.repeat(10000) }]));
    blob[blob.length - 20] ^= 0xff;
    const s = await openLayerStream(Readable.from([blob]));
    await expect(readAllEntries(s.tar).then(() => s.finish())).rejects.toThrow();
  });

  const image = '/var/lib/strata/images/busybox.oci.tar';
  it.skipIf(!fs.existsSync(image))('reads the default busybox image: its layer digests to the config diff_id', async () => {
    const outer = await readAllEntries(fs.readFileSync(image));
    const blob = (d: string) => outer.find((e) => e.header.name === `./blobs/sha256/${d.slice(7)}`)!.body;
    const index = JSON.parse(outer.find((e) => e.header.name === './index.json')!.body.toString());
    const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
    const config = JSON.parse(blob(manifest.config.digest).toString());
    const layer = manifest.layers[0];
    const s = await openLayerStream(Readable.from([blob(layer.digest)]));
    const entries = await readAllEntries(s.tar);
    await s.finish();
    expect(s.compressed.digest()).toBe(layer.digest);
    expect(s.uncompressed.digest()).toBe(config.rootfs.diff_ids[0]);
    expect(entries.some((e) => e.header.name.startsWith('./bin/') && e.header.type === 'file' && e.header.size > 500_000)).toBe(true); // busybox itself
    expect(entries.filter((e) => e.header.type === 'hardlink').length).toBeGreaterThan(100); // applets
  });
});

describe('entry names', () => {
  it('normalises relative names and refuses absolute or escaping ones', () => {
    expect(normalizeEntryName('./a//b/')).toBe('a/b');
    expect(normalizeEntryName('a/../b')).toBe('b');
    expect(normalizeEntryName('./')).toBe('');
    expect(normalizeEntryName('.wh.x')).toBe('.wh.x');
    expect(() => normalizeEntryName('/etc/passwd', 'layer sha256:ab')).toThrow('layer sha256:ab: entry /etc/passwd is an absolute path');
    expect(() => normalizeEntryName('../x', 'layer sha256:ab')).toThrow('layer sha256:ab: entry ../x escapes the root');
    expect(() => normalizeEntryName('a/../../x')).toThrow(/escapes the root/);
    expect(() => normalizeEntryName('..')).toThrow(/escapes the root/);
  });
});
