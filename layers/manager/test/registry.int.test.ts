// The registry client against a real registry: Debian's docker-registry (distribution v2.8)
// started on 127.0.0.1 by the test. Push, delete, pull back and compare digests; platforms from
// an index; Docker and OCI media types, gzip and uncompressed layers; chunked uploads and
// cross-repository mounts; a tampered and a wrong-size blob refused with nothing committed; an
// interrupted pull resumed with Range; Basic auth (htpasswd, bcrypt) and Bearer token auth
// (our token server signing RS256 JWTs with x5c); and skopeo reading what we push and export.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContentStore } from '../src/content';
import { openDatabase, type DB } from '../src/metadata/db';
import { ImageStore, MediaType, buildImage, buildIndex, exportImageArchive } from '../src/images';
import { RegistryClient, loadDockerConfig, parseWWWAuthenticate, pullImage, pushImage, registryHosts, type ProgressEvent, type RegistryOptions } from '../src/distribution';
import { haveRegistry, makeServerCert, startProxy, startRegistry, startTokenServer, type RunningRegistry } from './registry';

interface Local {
  db: DB;
  store: ContentStore;
  images: ImageStore;
  dir: string;
}
const locals: Local[] = [];
function newLocal(): Local {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pull-'));
  const db = openDatabase(path.join(dir, 'meta.db'));
  const l = { db, dir, store: new ContentStore({ root: path.join(dir, 'content'), db }), images: new ImageStore(db) };
  locals.push(l);
  return l;
}
afterEach(() => {
  for (const l of locals.splice(0)) {
    l.db.close();
    fs.rmSync(l.dir, { recursive: true, force: true });
  }
});

const NS = 'default';
const small = (name: string, text: string) => ({ entries: [{ name, data: text }] });
const randomLayer = (bytes: number) => ({ entries: [{ name: 'random.bin', data: crypto.randomBytes(bytes) }], compression: 'none' as const });

function deps(l: Local, opts: RegistryOptions = {}) {
  return { store: l.store, images: l.images, client: new RegistryClient(opts) };
}

async function expectCode(p: Promise<unknown>, code: string, re?: RegExp): Promise<Error> {
  const e = await p.then(
    () => {
      throw new Error(`expected ${code}, got success`);
    },
    (err: Error) => err,
  );
  expect((e as { code?: string }).code, e.message).toBe(code);
  if (re) expect(e.message).toMatch(re);
  return e;
}

/** Nothing of a failed pull may be visible: no blob rows, no image, no ingest left behind. */
function expectNothingCommitted(l: Local, digests: string[]) {
  for (const d of digests) expect(l.store.has(NS, d), d).toBe(false);
  expect(l.store.listStatuses(NS)).toEqual([]);
  expect(l.images.list(NS)).toEqual([]);
}

const pidAlive = (pid: number) => fs.existsSync(`/proc/${pid}`) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');

describe.skipIf(!haveRegistry())('registry client against docker-registry 2.8', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
    if (reg) expect(pidAlive(reg.pid)).toBe(false);
  });

  it('pushes an OCI image (gzip + uncompressed layers), pulls it back into an empty store, same digests', async () => {
    const src = newLocal();
    const img = await buildImage(src.store, NS, { layers: [small('etc/motd', 'hello\n'), { ...small('bin/x', 'x'), compression: 'none' }] });
    src.images.create(NS, { name: 'strata.test/oci:1', target: img.manifest });
    const ref = `${reg.host}/strata/oci:1`;
    const pushEvents: ProgressEvent[] = [];
    const pushed = await pushImage(deps(src), NS, 'strata.test/oci:1', ref, { onProgress: (e) => pushEvents.push(e) });
    expect(pushed).toEqual({ name: ref, desc: img.manifest });
    expect(pushEvents.filter((e) => e.status === 'done').map((e) => e.digest)).toEqual(expect.arrayContaining([img.config.digest, ...img.layers.map((l) => l.digest), img.manifest.digest]));
    expect(fs.existsSync(reg.blobFile(img.layers[0].digest))).toBe(true);

    // The registry reports the manifest under the tag with our digest and media type.
    const client = new RegistryClient();
    expect(await client.resolve(ref)).toEqual({ name: ref, desc: img.manifest });
    expect(await client.resolve(`${ref}@${img.manifest.digest}`)).toMatchObject({ desc: { digest: img.manifest.digest } });

    const dst = newLocal();
    const events: ProgressEvent[] = [];
    const r = await pullImage(deps(dst), NS, ref, { onProgress: (e) => events.push(e) });
    expect(r.image.name).toBe(ref);
    expect(r.image.target).toEqual(img.manifest);
    expect(r.parts!.layers).toEqual(img.layers);
    expect(r.parts!.diffIds).toEqual(img.diffIds);
    expect(r.parts!.configDesc).toEqual(img.config);
    for (const d of [img.manifest, img.config, ...img.layers]) expect((await dst.store.readBlob(NS, d)).equals(await src.store.readBlob(NS, d))).toBe(true);
    // GC labels on the manifest, the distribution source on every blob.
    const mlabels = dst.store.info(NS, img.manifest.digest).labels;
    expect(mlabels['containerd.io/gc.ref.content.config']).toBe(img.config.digest);
    expect(mlabels['containerd.io/gc.ref.content.l.1']).toBe(img.layers[1].digest);
    expect(dst.store.info(NS, img.layers[0].digest).labels[`containerd.io/distribution.source.${reg.host}`]).toBe('strata/oci');
    expect(events[0]).toMatchObject({ status: 'resolving', ref });
    expect(events.some((e) => e.status === 'done' && e.ref === `layer-${img.layers[0].digest}`)).toBe(true);

    // Pulling again moves no blob: everything "exists".
    const again: ProgressEvent[] = [];
    await pullImage(deps(dst), NS, ref, { onProgress: (e) => again.push(e) });
    expect(again.filter((e) => e.status === 'downloading')).toEqual([]);
    expect(again.filter((e) => e.status === 'exists').length).toBe(4);
  });

  it('Docker media types with a chunked upload; a second push finds every blob there', async () => {
    const src = newLocal();
    const img = await buildImage(src.store, NS, { family: 'docker', layers: [randomLayer(200_000), small('a', 'b')] });
    src.images.create(NS, { name: 'dock', target: img.manifest });
    const ref = `${reg.host}/strata/docker:v2`;
    await pushImage(deps(src), NS, 'dock', ref, { chunkSize: 64 * 1024 });
    const events: ProgressEvent[] = [];
    await pushImage(deps(src), NS, 'dock', ref, { onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.status === 'exists').map((e) => e.digest).sort()).toEqual([img.config.digest, ...img.layers.map((l) => l.digest)].sort());

    const resolved = await new RegistryClient().resolve(ref);
    expect(resolved.desc.mediaType).toBe(MediaType.dockerManifest);
    const dst = newLocal();
    const r = await pullImage(deps(dst), NS, ref);
    expect(r.parts!.layers.map((l) => l.mediaType)).toEqual([MediaType.dockerLayer, MediaType.dockerLayerGzip]);
    expect(r.parts!.configDesc.mediaType).toBe(MediaType.dockerConfig);
    expect(r.parts!.diffIds).toEqual(img.diffIds);
  });

  it('pulls one platform out of a two-platform index; mounts blobs across repositories on push', async () => {
    const src = newLocal();
    const amd = await buildImage(src.store, NS, { layers: [small('arch', 'amd64')], platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await buildImage(src.store, NS, { layers: [small('arch', 'arm64')], platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const index = await buildIndex(src.store, NS, [
      { ...amd.manifest, platform: { os: 'linux', architecture: 'amd64' } },
      { ...arm.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ]);
    src.images.create(NS, { name: 'multi', target: index });
    const ref = `${reg.host}/strata/multi:1`;
    await pushImage(deps(src), NS, 'multi', ref);

    const dst = newLocal();
    const r = await pullImage(deps(dst), NS, ref, { platform: 'linux/arm64' });
    expect(r.image.target).toEqual(index);
    expect(r.parts!.manifestDesc.digest).toBe(arm.manifest.digest);
    expect(r.parts!.platform).toMatchObject({ architecture: 'arm64' });
    expect(dst.store.has(NS, arm.layers[0].digest)).toBe(true);
    expect(dst.store.has(NS, amd.manifest.digest)).toBe(false);
    expect(dst.store.has(NS, amd.layers[0].digest)).toBe(false);
    // The index names both manifests for GC, like containerd (the missing one is simply absent).
    expect(dst.store.info(NS, index.digest).labels).toMatchObject({
      'containerd.io/gc.ref.content.m.0': amd.manifest.digest,
      'containerd.io/gc.ref.content.m.1': arm.manifest.digest,
    });
    await expectCode(pullImage(deps(newLocal()), NS, ref, { platform: 'linux/s390x' }), 'NOT_FOUND', /no manifest for platform linux\/s390x .*offers linux\/amd64, linux\/arm64\/v8/);

    // Push the arm64 image from the store that pulled it to another repository: its blobs carry
    // distribution.source = strata/multi, so the registry mounts them instead of receiving them.
    const events: ProgressEvent[] = [];
    await expectCode(pushImage(deps(dst), NS, ref, `${reg.host}/strata/mounted:1`), 'NOT_FOUND', /pull with all platforms, or push one platform/);
    await pushImage(deps(dst), NS, ref, `${reg.host}/strata/mounted:1`, { platform: 'linux/arm64', onProgress: (e) => events.push(e) });
    expect(events.filter((e) => e.status === 'mounted').map((e) => e.digest).sort()).toEqual([arm.config.digest, arm.layers[0].digest].sort());
    expect((await new RegistryClient().resolve(`${reg.host}/strata/mounted:1`)).desc.digest).toBe(arm.manifest.digest);

    // Pulled from a second repository: the source label lists both (a push to either mounts).
    await pullImage(deps(dst), NS, `${reg.host}/strata/mounted:1`);
    expect(dst.store.info(NS, arm.layers[0].digest).labels[`containerd.io/distribution.source.${reg.host}`]).toBe('strata/multi,strata/mounted');

    const all = newLocal();
    const every = await pullImage(deps(all), NS, ref, { allPlatforms: true });
    expect(every.parts?.platform.architecture).toBe('amd64');
    expect(all.store.has(NS, amd.layers[0].digest) && all.store.has(NS, arm.layers[0].digest)).toBe(true);
  });

  it('refuses a tampered blob and a wrong-size blob from the registry, committing nothing', async () => {
    const src = newLocal();
    const img = await buildImage(src.store, NS, { layers: [randomLayer(100_000), randomLayer(50_000)] });
    src.images.create(NS, { name: 'victim', target: img.manifest });
    const ref = `${reg.host}/strata/victim:1`;
    await pushImage(deps(src), NS, 'victim', ref);

    // Flip one byte of layer 0 inside the registry's storage (same size, wrong bytes).
    const f0 = reg.blobFile(img.layers[0].digest);
    const orig0 = fs.readFileSync(f0);
    const bad = Buffer.from(orig0);
    bad[5000] ^= 0x55;
    fs.writeFileSync(f0, bad);
    const dst = newLocal();
    await expectCode(pullImage(deps(dst), NS, ref, { concurrency: 1 }), 'DATA_LOSS', new RegExp(`layer-${img.layers[0].digest}.*hash to sha256:.*tampered`));
    expectNothingCommitted(dst, [img.layers[0].digest]);
    fs.writeFileSync(f0, orig0);

    // Truncate layer 1: the registry now serves fewer bytes than the manifest says.
    const f1 = reg.blobFile(img.layers[1].digest);
    const orig1 = fs.readFileSync(f1);
    fs.writeFileSync(f1, orig1.subarray(0, 30_000));
    const dst2 = newLocal();
    await expectCode(pullImage(deps(dst2), NS, ref, { concurrency: 1 }), 'DATA_LOSS', new RegExp(`got 30000 bytes, the descriptor says ${img.layers[1].size}`));
    expect(dst2.store.has(NS, img.layers[1].digest)).toBe(false);
    expect(dst2.store.listStatuses(NS)).toEqual([]);
    expect(dst2.images.list(NS)).toEqual([]);
    fs.writeFileSync(f1, orig1);

    // A proxy corrupting blobs in flight: same refusal.
    const proxy = await startProxy(reg.host);
    try {
      proxy.corruptBlobs = true;
      const dst3 = newLocal();
      await expectCode(pullImage(deps(dst3, { mirrors: { 'strata.test': [`http://${proxy.host}`] } }), NS, 'strata.test/strata/victim:1'), 'DATA_LOSS');
      expectNothingCommitted(dst3, [img.config.digest, ...img.layers.map((l) => l.digest)]);
    } finally {
      await proxy.stop();
    }
    // Untampered again: the pull works.
    await pullImage(deps(newLocal()), NS, ref);
  });

  it('resumes an interrupted pull with Range, moving fewer bytes the second time', async () => {
        const src = newLocal();
    const img = await buildImage(src.store, NS, { layers: [randomLayer(1_000_000)] });
    src.images.create(NS, { name: 'big', target: img.manifest });
            await pushImage(deps(src), NS, 'big', `${reg.host}/strata/big:1`);
        const layer = img.layers[0];

    const proxy = await startProxy(reg.host);
    try {
      // registry.k8s.io is served by a mirror: the proxy in front of our registry (the CRI's setup).
      const opts: RegistryOptions = { mirrors: { 'registry.k8s.io': [`http://${proxy.host}`] } };
      const dst = newLocal();
      proxy.cut.set(layer.digest, 400_000);
      const first = { bytes: 0 };
            await expectCode(pullImage(deps(dst, opts), NS, 'registry.k8s.io/strata/big:1', { counter: first }), 'UNAVAILABLE', /interrupted at \d+ of \d+ bytes.*pull again to resume/);
            const [st] = dst.store.listStatuses(NS);
      expect(st).toMatchObject({ ref: `layer-${layer.digest}`, total: layer.size, expected: layer.digest });
      expect(st.offset).toBeGreaterThan(0);
      expect(dst.store.has(NS, layer.digest)).toBe(false);
      expect(dst.images.list(NS)).toEqual([]);

      const second = { bytes: 0 };
            const r = await pullImage(deps(dst, opts), NS, 'registry.k8s.io/strata/big:1', { counter: second });
                  expect(proxy.ranges).toContain(`bytes=${st.offset}-`);
      // The second pull moved only the rest of the layer (plus the manifest and config).
      expect(second.bytes).toBeLessThan(layer.size);
      expect(second.bytes).toBeGreaterThanOrEqual(layer.size - st.offset);
      expect(r.parts!.layers[0]).toEqual(layer);
      expect((await dst.store.readBlob(NS, layer)).equals(await src.store.readBlob(NS, layer))).toBe(true); // (toEqual on 1 MB buffers is slow)
      expect(dst.store.listStatuses(NS)).toEqual([]);
          } finally {
            await proxy.stop();
          }
  });

  it('skopeo inspects what we push and copies our OCI layout export into the registry for us to pull', async (ctx) => {
    if (!fs.existsSync('/usr/bin/skopeo')) return ctx.skip();
    const src = newLocal();
    const img = await buildImage(src.store, NS, { layers: [small('s', 'skopeo')] });
    src.images.create(NS, { name: 'strata.test/sk:1', target: img.manifest });
    await pushImage(deps(src), NS, 'strata.test/sk:1', `${reg.host}/strata/sk:1`);
    const inspect = JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/strata/sk:1`], { encoding: 'utf8', timeout: 30_000 }));
    expect(inspect.Digest).toBe(img.manifest.digest);
    expect(inspect.Layers).toEqual(img.layers.map((l) => l.digest));

    const archive = path.join(src.dir, 'export.tar');
    const out = fs.createWriteStream(archive);
    await exportImageArchive(src.store, src.images, NS, ['strata.test/sk:1'], out);
    const copy = spawnSync(
      'skopeo',
      ['copy', '--insecure-policy', '--dest-tls-verify=false', '--preserve-digests', `oci-archive:${archive}:1`, `docker://${reg.host}/skopeo/copied:1`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(copy.status, copy.stderr).toBe(0);
    const dst = newLocal();
    const r = await pullImage(deps(dst), NS, `${reg.host}/skopeo/copied:1`);
    expect(r.image.target.digest).toBe(img.manifest.digest);
    expect(r.parts!.diffIds).toEqual(img.diffIds);
  });
});

describe.skipIf(!haveRegistry())('registry auth', () => {
  it('Basic auth (htpasswd with bcrypt): credentials from options or a docker config.json', async () => {
    const reg = await startRegistry({ auth: { htpasswd: { alice: 's3cret pass' } } });
    try {
      const src = newLocal();
      const img = await buildImage(src.store, NS, { layers: [small('f', 'basic')] });
      src.images.create(NS, { name: 'b', target: img.manifest });
      const ref = `${reg.host}/private/basic:1`;
      await expectCode(pushImage(deps(src), NS, 'b', ref), 'PERMISSION_DENIED', /none is configured/);
      await expectCode(pushImage(deps(src, { credentials: { [reg.host]: { username: 'alice', password: 'wrong' } } }), NS, 'b', ref), 'PERMISSION_DENIED', /refused our credentials/);
      await pushImage(deps(src, { credentials: { [reg.host]: { username: 'alice', password: 's3cret pass' } } }), NS, 'b', ref);

      const cfg = path.join(src.dir, 'config.json');
      fs.writeFileSync(cfg, JSON.stringify({ auths: { [`http://${reg.host}`]: { auth: Buffer.from('alice:s3cret pass').toString('base64') } } }));
      const dst = newLocal();
      const r = await pullImage(deps(dst, { dockerConfig: cfg }), NS, ref);
      expect(r.image.target).toEqual(img.manifest);
      await expectCode(pullImage(deps(newLocal()), NS, ref), 'PERMISSION_DENIED');
    } finally {
      await reg.stop();
    }
  });

  it('Bearer tokens from a token server (RS256 JWT with x5c): scopes, anonymous pulls, caching, refresh on 401', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-token-'));
    const tokens = await startTokenServer({
      dir,
      users: { alice: 'wonderland' },
      // alice may push and pull anything; anonymous users may pull public/* only.
      grant: (user, repo, wanted) => (user === 'alice' ? wanted : repo.startsWith('public/') ? wanted.filter((a) => a === 'pull') : []),
    });
    const reg = await startRegistry({ auth: { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile } } });
    try {
      const src = newLocal();
      const img = await buildImage(src.store, NS, { layers: [small('f', 'token'), small('g', 'two')] });
      src.images.create(NS, { name: 't', target: img.manifest });
      const alice = { credentials: { [reg.host]: { username: 'alice', password: 'wonderland' } } };

      await expectCode(pushImage(deps(src), NS, 't', `${reg.host}/public/app:1`), 'PERMISSION_DENIED');
      await expectCode(pushImage(deps(src, { credentials: { [reg.host]: { username: 'alice', password: 'nope' } } }), NS, 't', `${reg.host}/public/app:1`), 'PERMISSION_DENIED', /token server .* refused user alice/);

      const d = deps(src, alice);
      await pushImage(d, NS, 't', `${reg.host}/public/app:1`);
      await pushImage(d, NS, 't', `${reg.host}/private/app:1`);
      // One token per scope, reused for every request of that scope.
      expect(d.client.authorizer.tokenRequests).toBe(2);
      expect(tokens.requests.filter((r) => r.user === 'alice').map((r) => r.scopes)).toEqual([['repository:public/app:pull,push'], ['repository:private/app:pull,push']]);

      // Anonymous: the public repository pulls, the private one is refused.
      const anon = newLocal();
      const r = await pullImage(deps(anon), NS, `${reg.host}/public/app:1`);
      expect(r.parts!.layers).toEqual(img.layers);
      await expectCode(pullImage(deps(newLocal()), NS, `${reg.host}/private/app:1`), 'PERMISSION_DENIED');

      // A token the registry no longer accepts: the 401 makes the client fetch a new one.
      const dd = deps(newLocal(), alice);
      await pullImage(dd, NS, `${reg.host}/private/app:1`);
      const before = dd.client.authorizer.tokenRequests;
      for (const t of dd.client.authorizer.tokens.values()) t.token = 'spoiled.token.value';
      const again = newLocal();
      await pullImage({ ...dd, store: again.store, images: again.images }, NS, `${reg.host}/private/app:1`);
      expect(dd.client.authorizer.tokenRequests).toBe(before + 1);
    } finally {
      await reg.stop();
      await tokens.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!haveRegistry())('registry over https', () => {
  it('verifies the registry certificate against a given CA; an endpoint maps a name to it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-token-'));
    const cert = makeServerCert(dir);
    const reg = await startRegistry({ tls: cert });
    try {
      const src = newLocal();
      const img = await buildImage(src.store, NS, { layers: [small('tls', 'yes')] });
      src.images.create(NS, { name: 'tls', target: img.manifest });
      const endpoints = { 'strata.tls': `https://${reg.host}` };
      // Without the CA the certificate is refused.
      await expectCode(pushImage(deps(src, { endpoints }), NS, 'tls', 'strata.tls/secure/app:1'), 'UNAVAILABLE', /self-signed|SELF_SIGNED|certificate/i);
      await pushImage(deps(src, { endpoints, tls: { ca: cert.pem } }), NS, 'tls', 'strata.tls/secure/app:1');
      const r = await pullImage(deps(newLocal(), { endpoints, tls: { ca: cert.pem } }), NS, 'strata.tls/secure/app:1');
      expect(r.image.name).toBe('strata.tls/secure/app:1');
      expect(r.parts!.layers).toEqual(img.layers);
    } finally {
      await reg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('registry client pure parts', () => {
  it('parses WWW-Authenticate challenges', () => {
    expect(parseWWWAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    expect(parseWWWAuthenticate('Basic realm="x, y", Bearer realm=r,service=s')).toEqual([
      { scheme: 'basic', params: { realm: 'x, y' } },
      { scheme: 'bearer', params: { realm: 'r', service: 's' } },
    ]);
    expect(parseWWWAuthenticate(undefined)).toEqual([]);
  });

  it('maps registry names to hosts: Docker Hub, localhost over http, mirrors first, endpoints', () => {
    const urls = (d: string, c?: Parameters<typeof registryHosts>[1]) => registryHosts(d, c).map((h) => `${h.base.href} ${h.capabilities.join(',')}`);
    expect(urls('docker.io')).toEqual(['https://registry-1.docker.io/ pull,resolve,push']);
    expect(urls('localhost:5000')).toEqual(['http://localhost:5000/ pull,resolve,push']);
    expect(urls('127.0.0.1:5000')).toEqual(['http://127.0.0.1:5000/ pull,resolve,push']);
    expect(urls('quay.io')).toEqual(['https://quay.io/ pull,resolve,push']);
    expect(urls('my.lan:5000', { insecure: ['my.lan:5000'] })).toEqual(['http://my.lan:5000/ pull,resolve,push']);
    expect(urls('registry.k8s.io', { mirrors: { 'registry.k8s.io': ['http://127.0.0.1:5000'] } })).toEqual([
      'http://127.0.0.1:5000/ pull,resolve',
      'https://registry.k8s.io/ pull,resolve,push',
    ]);
    expect(urls('docker.io', { endpoints: { 'docker.io': 'http://127.0.0.1:6000/v2/' } })).toEqual(['http://127.0.0.1:6000/ pull,resolve,push']);
  });

  it('reads credentials from a docker config.json', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pull-'));
    try {
      const f = path.join(dir, 'config.json');
      fs.writeFileSync(
        f,
        JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('me:pw:with:colons').toString('base64') }, 'h:5000': { username: 'u', password: 'p' } } }),
      );
      expect(loadDockerConfig(f)).toEqual({ 'docker.io': { username: 'me', password: 'pw:with:colons' }, 'h:5000': { username: 'u', password: 'p' } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('leaks', () => {
  it('leaves no registry process or temp directory behind', () => {
    const procs = spawnSync('pgrep', ['-a', 'docker-registry'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.includes('strata-registry-'));
    expect(procs).toEqual([]);
    const left = fs.readdirSync(os.tmpdir()).filter((n) => /^strata-(registry|token|pull)-/.test(n));
    expect(left).toEqual([]);
  });
});
