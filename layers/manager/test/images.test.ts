// Images: references, platforms, media types, manifest walking and GC labels, the image store,
// the tar codec (checked against GNU tar) and archive round trips (OCI layout, docker save).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { ContentStore, sha256 } from '../src/content';
import { openDatabase, type DB } from '../src/metadata/db';
import { isManagerError } from '../src/errors';
import { readAll, readTar, tarBuffer } from '../src/archive';
import {
  ImageStore,
  MediaType,
  buildImage,
  buildIndex,
  childGCLabels,
  checkImage,
  children,
  compatiblePlatforms,
  exportImageArchive,
  familiarName,
  formatPlatform,
  imageParts,
  imagePlatforms,
  importImageArchive,
  layerCompression,
  normalizeReference,
  onlyPlatform,
  parsePlatform,
  parseReference,
  resolveManifest,
  storeProvider,
  canonicalJson,
  type Image,
} from '../src/images';

let dir: string;
let db: DB;
let store: ContentStore;
let images: ImageStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-images-'));
  db = openDatabase(path.join(dir, 'meta.db'));
  store = new ContentStore({ root: path.join(dir, 'content'), db });
  images = new ImageStore(db);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return isManagerError(e) ? `${e.code}: ${e.message}` : `not a ManagerError: ${e}`;
  }
  return 'ok';
}

const D64 = 'sha256:' + 'a'.repeat(64);

describe('references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/alice/app:v1', 'docker.io/alice/app:v1', 'alice/app:v1'],
    ['alice/app', 'docker.io/alice/app:latest', 'alice/app:latest'],
    ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
    ['localhost:5000/a/b:tag', 'localhost:5000/a/b:tag', 'localhost:5000/a/b:tag'],
    ['127.0.0.1:5000/a/b/c', '127.0.0.1:5000/a/b/c:latest', '127.0.0.1:5000/a/b/c:latest'],
    ['registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9', 'registry.k8s.io/pause:3.9'],
    [`host:5000/a/b:tag@${D64}`, `host:5000/a/b:tag@${D64}`, `host:5000/a/b:tag@${D64}`],
    [`busybox@${D64}`, `docker.io/library/busybox@${D64}`, `busybox@${D64}`],
    ['Uppercase/app', 'Uppercase/app:latest', 'Uppercase/app:latest'],
    ['a_b-c__d/f--g.h', 'docker.io/a_b-c__d/f--g.h:latest', 'a_b-c__d/f--g.h:latest'],
    ['a.b/c', 'a.b/c:latest', 'a.b/c:latest'], // a "." makes the first component a host
  ])('%s -> %s', (input, full, familiar) => {
    expect(normalizeReference(input)).toBe(full);
    expect(familiarName(parseReference(input))).toBe(familiar);
  });

  it.each([
    ['', /must not be empty/],
    ['BusyBox', /must be lowercase/],
    ['busybox:', /invalid tag ""/],
    ['busybox:-x', /invalid tag "-x"/],
    [`busybox:${'t'.repeat(129)}`, /invalid tag/],
    ['busybox@sha256:123', /digest part .*64 lowercase hex/],
    ['busybox@md5:' + 'a'.repeat(32), /unsupported digest algorithm/],
    ['a'.repeat(64), /64-character hexadecimal/],
    ['host:5000/', /repository name is empty/],
    ['host:port/app', /invalid registry host|invalid tag/],
    ['bad..name', /invalid repository path component "bad..name"/],
    ['-lead/x', /invalid repository path component "-lead"/],
    [' busybox', /surrounding spaces/],
    [`x/${'a'.repeat(300)}`, /longer than 255/],
  ])('refuses %j', (input, re) => {
    const r = codeOf(() => parseReference(input));
    expect(r).toMatch(/^INVALID_ARGUMENT: reference: /);
    expect(r).toMatch(re);
  });
});

describe('platforms', () => {
  it('parses and normalizes like containerd', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/amd64/v1')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/amd64/v3')).toEqual({ os: 'linux', architecture: 'amd64', variant: 'v3' });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/arm')).toEqual({ os: 'linux', architecture: 'arm' });
    expect(parsePlatform('linux/armhf')).toEqual({ os: 'linux', architecture: 'arm' }); // v7 is arm's default: dropped, as containerd does
    expect(parsePlatform('linux/arm/7')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('Linux/AMD64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux').os).toBe('linux');
    expect(parsePlatform('arm64')).toMatchObject({ architecture: 'arm64' });
    expect(codeOf(() => parsePlatform('linux/*'))).toMatch(/wildcards/);
    expect(codeOf(() => parsePlatform('linux/am d64'))).toMatch(/"am d64" is an invalid component/);
    expect(codeOf(() => parsePlatform('plan10'))).toMatch(/unknown operating system or architecture/);
    expect(codeOf(() => parsePlatform('a/b/c/d'))).toMatch(/cannot parse/);
    expect(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
  });

  it('matches what the host can run, best first (platforms.Only)', () => {
    const amd64v3 = onlyPlatform({ os: 'linux', architecture: 'amd64', variant: 'v3' });
    expect(amd64v3.match({ os: 'linux', architecture: 'amd64', variant: 'v2' })).toBe(true);
    expect(amd64v3.match({ os: 'linux', architecture: 'amd64' })).toBe(true);
    expect(amd64v3.match({ os: 'linux', architecture: '386' })).toBe(true);
    expect(amd64v3.match({ os: 'linux', architecture: 'amd64', variant: 'v4' })).toBe(false);
    expect(amd64v3.match({ os: 'windows', architecture: 'amd64' })).toBe(false);
    expect(amd64v3.less({ os: 'linux', architecture: 'amd64', variant: 'v2' }, { os: 'linux', architecture: '386' })).toBe(true);
    expect(amd64v3.less({ os: 'linux', architecture: '386' }, { os: 'linux', architecture: 'amd64' })).toBe(false);

    const arm64 = onlyPlatform(parsePlatform('linux/arm64'));
    expect(compatiblePlatforms(parsePlatform('linux/arm64')).map(formatPlatform)).toEqual([
      'linux/arm64',
      'linux/arm/v8',
      'linux/arm/v7',
      'linux/arm/v6',
      'linux/arm/v5',
    ]);
    expect(arm64.match({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(true);
    expect(arm64.match({ os: 'linux', architecture: 'amd64' })).toBe(false);
    expect(arm64.match({ os: 'linux', architecture: 'aarch64' })).toBe(true);
  });
});

describe('media types', () => {
  it('knows layer compression, foreign and unsupported layers', () => {
    expect(layerCompression(MediaType.ociLayerGzip)).toBe('gzip');
    expect(layerCompression(MediaType.ociLayer)).toBe('none');
    expect(layerCompression(MediaType.ociLayerZstd)).toBe('zstd');
    expect(layerCompression(MediaType.dockerLayerGzip)).toBe('gzip');
    expect(layerCompression(MediaType.dockerLayerForeignGzip)).toBe('gzip');
    expect(layerCompression(MediaType.dockerLayer)).toBe('none');
    expect(codeOf(() => layerCompression(MediaType.ociLayerGzip + '+encrypted'))).toMatch(/^UNIMPLEMENTED: encrypted/);
    expect(codeOf(() => layerCompression(MediaType.ociConfig))).toMatch(/not a layer media type/);
  });
});

const layerA = { entries: [{ name: 'etc/', type: 'dir' as const }, { name: 'etc/hello', data: 'hello\n' }] };
const layerB = { entries: [{ name: 'bin/', type: 'dir' as const }, { name: 'bin/tool', data: '#!/bin/sh\necho tool\n', mode: 0o755 }], compression: 'none' as const };

describe('manifest walking', () => {
  it('resolves an index to the platform manifest, config, layers and diff_ids', async () => {
    const amd = await buildImage(store, 'default', { layers: [layerA, layerB], platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage(store, 'default', { layers: [layerA], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = await buildIndex(store, 'default', [
      { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { ...amd.manifest, platform: { os: 'linux', architecture: 'amd64' } },
    ]);
    const provider = storeProvider(store, 'default');

    const amdParts = await imageParts(provider, index, onlyPlatform(parsePlatform('linux/amd64')));
    expect(amdParts.manifestDesc.digest).toBe(amd.manifest.digest);
    expect(amdParts.layers.map((l) => l.digest)).toEqual(amd.layers.map((l) => l.digest));
    expect(amdParts.layers.map((l) => l.mediaType)).toEqual([MediaType.ociLayerGzip, MediaType.ociLayer]);
    expect(amdParts.diffIds).toEqual(amd.diffIds);
    expect(amdParts.diffIds[1]).toBe(amd.layers[1].digest); // an uncompressed layer's digest is its diff_id
    expect(amdParts.platform).toEqual({ os: 'linux', architecture: 'amd64' });

    const armParts = await imageParts(provider, index, onlyPlatform(parsePlatform('linux/arm64')));
    expect(armParts.manifestDesc.digest).toBe(arm.manifest.digest);
    // amd64/v2 host: the plain amd64 manifest is the best match.
    expect((await resolveManifest(provider, index, onlyPlatform(parsePlatform('linux/amd64/v2')))).desc.digest).toBe(amd.manifest.digest);
    await expect(resolveManifest(provider, index, onlyPlatform(parsePlatform('linux/s390x')))).rejects.toThrow(/no match for platform linux\/s390x/);
    // A bare manifest checks its config's platform when asked.
    await expect(resolveManifest(provider, amd.manifest, onlyPlatform(parsePlatform('linux/arm64')))).resolves.toBeTruthy();

    expect((await children(provider, index)).map((d) => d.digest)).toEqual([arm.manifest.digest, amd.manifest.digest]);
    expect((await children(provider, amd.manifest)).map((d) => d.digest)).toEqual([amd.config.digest, ...amd.layers.map((l) => l.digest)]);
    expect(await children(provider, amd.layers[0])).toEqual([]);
    expect((await imagePlatforms(provider, index)).map(formatPlatform)).toEqual(['linux/arm64/v8', 'linux/amd64']);

    // GC labels as containerd writes them on parents.
    expect(store.info('default', index.digest).labels).toEqual({
      'containerd.io/gc.ref.content.m.0': arm.manifest.digest,
      'containerd.io/gc.ref.content.m.1': amd.manifest.digest,
    });
    expect(store.info('default', amd.manifest.digest).labels).toEqual({
      'containerd.io/gc.ref.content.config': amd.config.digest,
      'containerd.io/gc.ref.content.l.0': amd.layers[0].digest,
      'containerd.io/gc.ref.content.l.1': amd.layers[1].digest,
    });
    expect(childGCLabels([amd.config, amd.config, { mediaType: 'application/x-other', digest: D64, size: 1 }])).toEqual({
      'containerd.io/gc.ref.content.config': amd.config.digest,
      'containerd.io/gc.ref.content.config1': amd.config.digest,
      'containerd.io/gc.ref.content.0': D64,
    });

    const check = await checkImage(store, 'default', index, onlyPlatform(parsePlatform('linux/amd64')));
    expect(check).toMatchObject({ available: true, missing: [] });
    store.delete('default', amd.layers[1].digest);
    expect((await checkImage(store, 'default', index, onlyPlatform(parsePlatform('linux/amd64')))).missing.map((d) => d.digest)).toEqual([amd.layers[1].digest]);
  });

  it('refuses documents that contradict their media type, and schema 1', async () => {
    const idx = canonicalJson({ schemaVersion: 2, manifests: [] });
    const put = await store.put('default', {}, idx);
    const provider = storeProvider(store, 'default');
    await expect(children(provider, { mediaType: MediaType.ociManifest, digest: put.digest, size: put.size })).rejects.toThrow(/expected a manifest .* index/);
    const s1 = canonicalJson({ schemaVersion: 1, fsLayers: [] });
    const p1 = await store.put('default', {}, s1);
    await expect(children(provider, { mediaType: MediaType.dockerManifest, digest: p1.digest, size: p1.size })).rejects.toThrow(/schema 1 is not supported/);
  });
});

describe('ImageStore', () => {
  const target = { mediaType: MediaType.ociManifest, digest: D64, size: 100 };
  it('creates, gets, lists with filters, updates by fieldpath and deletes', () => {
    const img = images.create('default', { name: 'docker.io/library/a:1', target, labels: { env: 'test' } });
    expect(img).toMatchObject({ name: 'docker.io/library/a:1', target, labels: { env: 'test' } });
    expect(img.createdAt).toBeInstanceOf(Date);
    expect(codeOf(() => images.create('default', { name: 'docker.io/library/a:1', target }))).toMatch(/^ALREADY_EXISTS/);
    images.create('default', { name: 'docker.io/library/b:1', target: { ...target, digest: 'sha256:' + 'b'.repeat(64) } });
    images.create('other', { name: 'docker.io/library/a:1', target });

    expect(images.list('default').map((i) => i.name)).toEqual(['docker.io/library/a:1', 'docker.io/library/b:1']);
    expect(images.list('default', ['labels.env==test']).map((i) => i.name)).toEqual(['docker.io/library/a:1']);
    expect(images.list('default', ['name~=b:1$']).map((i) => i.name)).toEqual(['docker.io/library/b:1']);
    expect(images.list('default', [`target.digest==${D64}`]).map((i) => i.name)).toEqual(['docker.io/library/a:1']);

    const upd = images.update('default', { name: 'docker.io/library/a:1', target, labels: { extra: 'x', env: '' } }, ['labels.extra', 'labels.env']);
    expect(upd.labels).toEqual({ extra: 'x' });
    const newTarget = { mediaType: MediaType.ociIndex, digest: 'sha256:' + 'c'.repeat(64), size: 5, annotations: { a: 'b' } };
    expect(images.update('default', { name: 'docker.io/library/a:1', target: newTarget }, ['target']).target).toEqual(newTarget);
    expect(codeOf(() => images.update('default', { name: 'docker.io/library/a:1', target }, ['name']))).toMatch(/^INVALID_ARGUMENT/);
    expect(codeOf(() => images.update('default', { name: 'nope', target }))).toMatch(/^NOT_FOUND/);

    images.delete('default', 'docker.io/library/a:1');
    expect(codeOf(() => images.get('default', 'docker.io/library/a:1'))).toMatch(/^NOT_FOUND/);
    expect(images.get('other', 'docker.io/library/a:1').name).toBe('docker.io/library/a:1');
    expect(codeOf(() => images.delete('default', 'docker.io/library/a:1'))).toMatch(/^NOT_FOUND/);
  });

  it('validates names and targets', () => {
    expect(codeOf(() => images.create('default', { name: '', target }))).toMatch(/image name must not be empty/);
    expect(codeOf(() => images.create('default', { name: 'a b', target }))).toMatch(/whitespace/);
    expect(codeOf(() => images.create('default', { name: 'x', target: { ...target, digest: 'sha256:zz' } }))).toMatch(/image.target.digest/);
    expect(codeOf(() => images.create('default', { name: 'x', target: { ...target, size: 0 } }))).toMatch(/image.target.size/);
    expect(codeOf(() => images.create('default', { name: 'x', target: { ...target, mediaType: '' } }))).toMatch(/media_type/);
    // CRI names images by id too: allowed.
    expect(images.create('default', { name: D64, target }).name).toBe(D64);
  });
});

describe('tar codec', () => {
  it('writes archives GNU tar reads (long names via ustar prefix and pax, links, modes)', () => {
    const longDir = 'd'.repeat(120);
    const longName = `${longDir}/${'f'.repeat(90)}`; // fits prefix/name split
    const veryLong = 'x'.repeat(150) + '/' + 'y'.repeat(130); // needs pax path
    const tar = tarBuffer([
      { name: `${longDir}/`, type: 'dir' },
      { name: longName, data: 'one' },
      { name: veryLong, data: 'two', mode: 0o600, uid: 1000, gid: 1000, mtime: 946684800 },
      { name: 'link', type: 'symlink', linkname: 'l'.repeat(200) },
      { name: 'hard', type: 'hardlink', linkname: longName },
      { name: 'ünïcode', data: 'u' },
    ]);
    const file = path.join(dir, 'ours.tar');
    fs.writeFileSync(file, tar);
    const listing = execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8' });
    expect(listing).toContain(longName);
    expect(listing).toContain(veryLong);
    expect(listing).toContain(`link -> ${'l'.repeat(200)}`);
    expect(listing).toContain(`hard link to ${longName}`);
    expect(listing).toMatch(/-rw------- 1000\/1000\s+3 2000-01-01/);
    expect(listing).toContain('ünïcode');
    const out = path.join(dir, 'x');
    fs.mkdirSync(out);
    execFileSync('tar', ['-xf', file, '-C', out]);
    expect(fs.readFileSync(path.join(out, veryLong), 'utf8')).toBe('two');
  });

  it('reads archives GNU tar writes (GNU long names, pax)', async () => {
    const src = path.join(dir, 'src');
    const deep = path.join(src, 'a'.repeat(80), 'b'.repeat(80), 'c'.repeat(80));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'file.txt'), 'deep');
    fs.symlinkSync('file.txt', path.join(deep, 'sym'));
    for (const format of ['gnu', 'posix']) {
      const file = path.join(dir, `${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, '.']);
      const seen: Record<string, string> = {};
      for await (const e of readTar(fs.createReadStream(file))) {
        const body = await readAll(e.body);
        seen[e.header.name.replace(/^\.\//, '')] = e.header.type === 'symlink' ? `-> ${e.header.linkname}` : body.toString();
      }
      const rel = path.relative(src, deep);
      expect(seen[`${rel}/file.txt`]).toBe('deep');
      expect(seen[`${rel}/sym`]).toBe('-> file.txt');
    }
  });

  it('refuses corrupt and truncated archives', async () => {
    const tar = tarBuffer([{ name: 'a', data: 'x'.repeat(1000) }]);
    const bad = Buffer.from(tar);
    bad[10] ^= 1;
    const drain = async (b: Buffer) => {
      for await (const e of readTar(Readable.from([b]))) await readAll(e.body);
    };
    await expect(drain(bad)).rejects.toThrow(/checksum mismatch/);
    await expect(drain(tar.subarray(0, 700))).rejects.toThrow(/unexpected end of stream inside entry a /);
  });
});

async function exportToBuffer(names: string[], opts: Parameters<typeof exportImageArchive>[5] = {}, s = store, i = images): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c) => chunks.push(c));
  await exportImageArchive(s, i, 'default', names, out, opts);
  return Buffer.concat(chunks);
}

function freshStore(name: string): { store: ContentStore; images: ImageStore; db: DB } {
  const d = openDatabase(path.join(dir, `${name}.db`));
  return { store: new ContentStore({ root: path.join(dir, `${name}-content`), db: d }), images: new ImageStore(d), db: d };
}

describe('image archives', () => {
  it('OCI layout: export then import gives the same digests, names and GC labels; GNU tar and umoci can read it', async () => {
    const amd = await buildImage(store, 'default', { layers: [layerA, layerB], platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage(store, 'default', { layers: [layerB], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = await buildIndex(store, 'default', [
      { ...amd.manifest, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    images.create('default', { name: 'strata.test/multi:1', target: index });
    images.create('default', { name: 'strata.test/single:2', target: amd.manifest });
    const tar = await exportToBuffer(['strata.test/multi:1', 'strata.test/single:2']);

    const file = path.join(dir, 'layout.tar');
    fs.writeFileSync(file, tar);
    const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('oci-layout');
    expect(listing).toContain('index.json');
    expect(listing).toContain('manifest.json');
    expect(listing).toContain(`blobs/sha256/${amd.layers[0].digest.slice(7)}`);
    // umoci (Debian; scripts/setup.sh installs it) validates the layout and lists its tags.
    if (fs.existsSync('/usr/bin/umoci')) {
      const layoutDir = path.join(dir, 'layout');
      fs.mkdirSync(layoutDir);
      execFileSync('tar', ['-xf', file, '-C', layoutDir]);
      const tags = execFileSync('umoci', ['ls', '--layout', layoutDir], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
      expect(tags).toEqual(['1', '2']);
    }

    const dst = freshStore('dst');
    try {
      const imported = await importImageArchive(dst.store, dst.images, 'default', Readable.from([tar]));
      expect(imported.map((i) => [i.name, i.target.digest])).toEqual([
        ['strata.test/multi:1', index.digest],
        ['strata.test/single:2', amd.manifest.digest],
      ]);
      expect(dst.images.get('default', 'strata.test/multi:1').target).toEqual(index);
      const all = [index, amd.manifest, amd.config, ...amd.layers, arm.manifest, arm.config, ...arm.layers].map((d) => d.digest);
      for (const d of all) expect(dst.store.info('default', d).size).toBe(store.info('default', d).size);
      expect(dst.store.info('default', index.digest).labels['containerd.io/gc.ref.content.m.1']).toBe(arm.manifest.digest);
      expect(dst.store.info('default', amd.manifest.digest).labels['containerd.io/gc.ref.content.l.1']).toBe(amd.layers[1].digest);
      // Platform-limited export: only the arm64 manifest's blobs.
      const armOnly = await exportToBuffer(['strata.test/multi:1'], { platform: 'linux/arm64' });
      const names: string[] = [];
      for await (const e of readTar(Readable.from([armOnly]))) names.push(e.header.name);
      expect(names).toContain(`blobs/sha256/${arm.manifest.digest.slice(7)}`);
      expect(names).not.toContain(`blobs/sha256/${amd.manifest.digest.slice(7)}`);
    } finally {
      dst.db.close();
    }
  });

  it('docker save: export then import keeps config, layer and (docker media types) manifest digests', async () => {
    const img = await buildImage(store, 'default', { family: 'docker', layers: [layerA, layerB] });
    images.create('default', { name: 'docker.io/library/dock:1', target: img.manifest });
    images.create('default', { name: 'docker.io/alice/other:2', target: img.manifest });
    const tar = await exportToBuffer(['docker.io/library/dock:1', 'docker.io/alice/other:2'], { format: 'docker' });

    const entries: Record<string, Buffer> = {};
    for await (const e of readTar(Readable.from([tar]))) entries[e.header.name] = await readAll(e.body);
    const manifestJson = JSON.parse(entries['manifest.json'].toString());
    expect(manifestJson).toEqual([
      {
        Config: `${img.config.digest.slice(7)}.json`,
        RepoTags: ['dock:1', 'alice/other:2'],
        Layers: img.layers.map((l) => `${l.digest.slice(7)}/layer.tar`),
      },
    ]);

    const dst = freshStore('dst');
    try {
      const imported = await importImageArchive(dst.store, dst.images, 'default', Readable.from([tar]));
      expect(imported.map((i) => i.name)).toEqual(['docker.io/library/dock:1', 'docker.io/alice/other:2']);
      expect(imported[0].target).toEqual(img.manifest);
      const parts = await imageParts(storeProvider(dst.store, 'default'), imported[0].target);
      expect(parts.diffIds).toEqual(img.diffIds);
      expect(parts.layers).toEqual(img.layers);
      // `docker save | gzip` imports the same.
      const again = await importImageArchive(dst.store, dst.images, 'default', Readable.from([zlib.gzipSync(tar)]));
      expect(again[0].target).toEqual(img.manifest);
      expect(dst.store.info('default', img.manifest.digest).labels['containerd.io/gc.ref.content.config']).toBe(img.config.digest);
    } finally {
      dst.db.close();
    }
  });

  it('imports a classic docker save tar (uncompressed layer.tar + symlinked duplicate) and checks diff_ids', async () => {
    const layer = tarBuffer([{ name: 'hello', data: 'hi' }]);
    const diffId = sha256(layer);
    const config = canonicalJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [diffId, diffId] } });
    const id = diffId.slice(7);
    const archive = tarBuffer([
      { name: `${id}/`, type: 'dir' },
      { name: `${id}/layer.tar`, data: layer },
      { name: 'dup/', type: 'dir' },
      { name: 'dup/layer.tar', type: 'symlink', linkname: `../${id}/layer.tar` },
      { name: 'cfg.json', data: config },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'cfg.json', RepoTags: ['saved:latest'], Layers: [`${id}/layer.tar`, 'dup/layer.tar'] }]) },
      { name: 'repositories', data: '{}' },
    ]);
    const [img] = await importImageArchive(store, images, 'default', Readable.from([archive]));
    expect(img.name).toBe('docker.io/library/saved:latest');
    const parts = await imageParts(storeProvider(store, 'default'), img.target);
    expect(parts.layers.map((l) => [l.mediaType, l.digest])).toEqual([
      [MediaType.dockerLayer, diffId],
      [MediaType.dockerLayer, diffId],
    ]);
    expect(parts.configDesc.mediaType).toBe(MediaType.dockerConfig);

    const wrongCfg = canonicalJson({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256('nope')] } });
    const bad = tarBuffer([
      { name: 'l.tar', data: zlib.gzipSync(layer) },
      { name: 'c.json', data: wrongCfg },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['bad:1'], Layers: ['l.tar'] }]) },
    ]);
    await expect(importImageArchive(store, images, 'default', Readable.from([bad]))).rejects.toThrow(/uncompressed digest is sha256:.*diff_ids\[0\] says/);
  });

  it('refuses an OCI layout whose blob does not match its name, recording nothing for it', async () => {
    const good = Buffer.from('{"a":1}');
    const forged = 'sha256:' + 'e'.repeat(64);
    const archive = tarBuffer([
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
      { name: `blobs/sha256/${'e'.repeat(64)}`, data: good },
      { name: 'index.json', data: '{"schemaVersion":2,"manifests":[]}' },
    ]);
    await expect(importImageArchive(store, images, 'default', Readable.from([archive]))).rejects.toMatchObject({ code: 'DATA_LOSS' });
    expect(store.has('default', forged)).toBe(false);
    expect(store.walk('default')).toEqual([]);
    expect(store.listStatuses('default')).toEqual([]);
  });

  it('imports the default busybox image the setup builds (if present)', async (ctx) => {
    const file = '/var/lib/strata/images/busybox.oci.tar';
    if (!fs.existsSync(file)) return ctx.skip();
    const [img] = await importImageArchive(store, images, 'default', fs.createReadStream(file));
    expect(img.name).toBe('strata.local/busybox:latest');
    const parts = await imageParts(storeProvider(store, 'default'), img.target);
    expect(parts.layers).toHaveLength(1);
    const got: Image = images.get('default', 'strata.local/busybox:latest');
    expect(got.target.digest).toBe(img.target.digest);
  });
});
