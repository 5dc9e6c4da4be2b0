// Images through the real docker CLI (28) against the engine's image routes, backed by a private
// strata-manager and a private docker-registry: preload of the default image, images/inspect/
// history/tag/rmi with docker's conflicts, push and pull with progress, save | load (also of
// archives written by skopeo), events; and what the manager is left holding afterwards.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type RunningRegistry } from '@strata/manager/testing';
import { buildImage } from '@strata/manager';
import { ImageService } from '../src/images';
import { ApiContentStore } from '../src/images/contentStores';
import { managerLeftovers, startEngine, type EngineHarness } from './imageHarness';

const PRELOAD = '/var/lib/strata/images';
const haveDefault = fs.existsSync(path.join(PRELOAD, 'busybox.oci.tar'));

describe.skipIf(process.getuid?.() !== 0 || !haveDefault)('images through the docker CLI', () => {
  let e: EngineHarness;
  let reg: RunningRegistry;

  beforeAll(async () => {
    reg = await startRegistry();
    e = await startEngine({ preloadDir: PRELOAD });
  }, 90_000);

  afterAll(async () => {
    await e?.stop();
    await reg?.stop();
  });

  it('preloads the default image as busybox:latest, unpacked, and shows it like dockerd', async () => {
    const r = await e.docker(['images', '--format', '{{json .}}']);
    expect(r.stderr).toBe('');
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => `${x.Repository}:${x.Tag}`)).toEqual(['busybox:latest']);
    const inspect = JSON.parse((await e.docker(['image', 'inspect', 'busybox'])).stdout)[0];
    expect(inspect.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(inspect.RepoTags).toEqual(['busybox:latest']);
    expect(inspect.Os).toBe('linux');
    expect(inspect.RootFS.Type).toBe('layers');
    // the id is the config's digest, and the top layer's snapshot exists
    const img = await e.images.resolve('busybox');
    expect(img.id).toBe(inspect.Id);
    expect(img.configDescriptor.digest).toBe(inspect.Id);
    const top = await e.images.ensureUnpacked(img);
    expect(await e.client.snapshots().exists(top)).toBe(true);
    // the archive's own name was not left behind
    expect((await e.client.images.list()).map((i) => i.name)).toEqual(['docker.io/library/busybox:latest']);
    // short id and full id find it too
    expect((await e.images.resolve(inspect.Id.slice(7, 19))).id).toBe(inspect.Id);
    expect((await e.images.resolve(inspect.Id)).id).toBe(inspect.Id);
  });

  it('history lists the layers newest first with the image id on top', async () => {
    const r = await e.docker(['history', '--no-trunc', '--format', '{{json .}}', 'busybox']);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const img = await e.images.resolve('busybox');
    expect(rows[0].ID).toBe(img.id);
    expect(rows.length).toBeGreaterThanOrEqual(img.layers.length);
  });

  let id = '';
  let repo = '';
  it('tags, refuses docker rmi conflicts, and pushes to a registry with docker progress', async () => {
    repo = `${reg.host}/strata/bb`;
    id = (await e.images.resolve('busybox')).id;
    expect((await e.docker(['tag', 'busybox', `${repo}:v1`])).status).toBe(0);
    const imgs = await e.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    expect(imgs.stdout.trim().split('\n').sort()).toEqual([`${repo}:v1 ${id.slice(7, 19)}`, `busybox:latest ${id.slice(7, 19)}`].sort());

    // by id with names in two repositories: must be forced
    const byId = await e.docker(['rmi', id.slice(7, 19)]);
    expect(byId.status).toBe(1);
    expect(byId.stderr).toContain(`unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);

    // used by a container: its last name cannot go without force
    e.inUse.set(id, 'c0ffee'.repeat(10) + 'abcd');
    const untag = await e.docker(['rmi', `${repo}:v1`]);
    expect(untag.status, untag.stderr).toBe(0);
    expect(untag.stdout.trim()).toBe(`Untagged: ${repo}:v1`);
    const last = await e.docker(['rmi', 'busybox']);
    expect(last.status).toBe(1);
    expect(last.stderr).toContain('conflict: unable to remove repository reference "busybox" (must force) - container c0ffeec0ffee is using its referenced image');
    e.inUse.clear();
    expect((await e.docker(['tag', id, `${repo}:v1`])).status).toBe(0);

    const push = await e.docker(['push', `${repo}:v1`]);
    expect(push.status, push.stderr).toBe(0);
    expect(push.stdout).toContain(`The push refers to repository [${repo}]`);
    expect(push.stdout).toMatch(/Pushed/);
    expect(push.stdout).toMatch(/v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const tags = await fetch(`http://${reg.host}/v2/strata/bb/tags/list`).then((r) => r.json() as Promise<{ tags: string[] }>);
    expect(tags.tags).toEqual(['v1']);
    // pushing again finds every layer there
    const again = await e.docker(['push', `${repo}:v1`]);
    expect(again.stdout).toContain('Layer already exists');
    // --all-tags: every tag of the repository
    expect((await e.docker(['tag', id, `${repo}:v2`])).status).toBe(0);
    const all = await e.docker(['push', '--all-tags', repo]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/v1: digest: sha256:/);
    expect(all.stdout).toMatch(/v2: digest: sha256:/);
    expect((await e.docker(['rmi', `${repo}:v2`])).status).toBe(0);
  });

  it('rmi deletes the image with its last name and the manager keeps nothing of it', async () => {
    const a = await e.docker(['rmi', `${repo}:v1`]);
    expect(a.stdout.trim()).toBe(`Untagged: ${repo}:v1`);
    const b = await e.docker(['rmi', 'busybox']);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('Untagged: busybox:latest');
    expect(b.stdout).toContain(`Deleted: ${id}`);
    const left = await managerLeftovers(e.client);
    expect(left).toEqual({ images: [], content: [], snapshots: [], leases: [], ingests: [] });
    const missing = await e.docker(['rmi', 'busybox']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('No such image: busybox:latest');
    const inspect = await e.docker(['image', 'inspect', 'nosuch']);
    expect(inspect.status).toBe(1);
    expect(inspect.stderr).toMatch(/No such image: nosuch/);
  });

  it('pulls from the registry with dockerd-like progress, then finds it up to date', async () => {
    const r = await e.docker(['pull', `${repo}:v1`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('v1: Pulling from strata/bb');
    expect(r.stdout).toMatch(/[0-9a-f]{12}: Pulling fs layer/);
    expect(r.stdout).toMatch(/[0-9a-f]{12}: Download complete/);
    expect(r.stdout).toMatch(/[0-9a-f]{12}: Pull complete/);
    expect(r.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${repo}:v1`);
    const img = await e.images.resolve(`${repo}:v1`);
    expect(img.id).toBe(id);
    expect(img.repoDigests).toEqual([`${repo}@${img.target.digest}`]);
    expect(await e.client.snapshots().exists(await e.images.ensureUnpacked(img))).toBe(true);
    const again = await e.docker(['pull', `${repo}:v1`]);
    expect(again.stdout).toContain(`Status: Image is up to date for ${repo}:v1`);
    // pulled by digest, the same image is found
    expect((await e.images.resolve(`${repo}@${img.target.digest}`)).id).toBe(id);

    // two pulls at once (two `docker run`s of a missing image): the second joins the first
    expect((await e.docker(['rmi', `${repo}:v1`])).status).toBe(0);
    const seen: string[][] = [[], []];
    const [p1, p2] = await Promise.all([0, 1].map((i) => e.images.pull(`${repo}:v1`, { onProgress: (m) => seen[i].push(m.status ?? '') })));
    expect(p1.id).toBe(id);
    expect(p2.id).toBe(id);
    expect(seen[0]).toContain('Pull complete');
    expect(seen[1][0]).toBe(`Waiting for another pull of ${repo}:v1`);
    expect(seen[1].at(-1)).toBe(`Status: Downloaded newer image for ${repo}:v1`);
    expect((await managerLeftovers(e.client)).ingests).toEqual([]);

    const bad = await e.docker(['pull', `${reg.host}/strata/nosuch:v1`]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/not found/);
    expect((await managerLeftovers(e.client)).leases).toEqual([]);
  });

  it('save | load round-trips an image; the tar is a docker-save and OCI layout archive', async () => {
    const file = path.join(e.dir, 'bb.tar');
    const s = await e.docker(['save', '-o', file, `${repo}:v1`]);
    expect(s.status, s.stderr).toBe(0);
    const members = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n');
    expect(members).toEqual(expect.arrayContaining(['manifest.json', 'index.json', 'oci-layout']));
    const manifest = JSON.parse(execFileSync('tar', ['xOf', file, 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest[0].RepoTags).toEqual([`${repo}:v1`]);
    // a real tool reads it: skopeo sees the same config
    const sk = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', '--config', `docker-archive:${file}`], { encoding: 'utf8' }));
    expect(sk.rootfs.type).toBe('layers');

    expect((await e.docker(['rmi', `${repo}:v1`])).status).toBe(0);
    const l = await e.docker(['load', '-i', file]);
    expect(l.status, l.stderr).toBe(0);
    expect(l.stdout.trim()).toBe(`Loaded image: ${repo}:v1`);
    expect((await e.images.resolve(`${repo}:v1`)).id).toBe(id);

    // stdin works too (docker load < file), and loading again changes nothing
    const again = await e.docker(['load'], { input: fs.readFileSync(file) });
    expect(again.stdout.trim()).toBe(`Loaded image: ${repo}:v1`);
    expect((await e.client.images.list()).length).toBe(1);
  });

  it('loads a docker-archive written by skopeo', async () => {
    const file = path.join(e.dir, 'skopeo.tar');
    execFileSync('skopeo', ['copy', '-q', `oci-archive:${PRELOAD}/busybox.oci.tar`, `docker-archive:${file}:example.com/sk/bb:2`], { stdio: 'pipe' });
    const l = await e.docker(['load', '-i', file]);
    expect(l.status, l.stderr).toBe(0);
    expect(l.stdout.trim()).toBe('Loaded image: example.com/sk/bb:2');
    const img = await e.images.resolve('example.com/sk/bb:2');
    expect(img.id).toBe(id); // same config bytes: the same docker image id
    expect(img.repoTags.sort()).toEqual([`${repo}:v1`, 'example.com/sk/bb:2'].sort());
    const bad = await e.docker(['load'], { input: 'not a tar archive at all' });
    expect(bad.status).toBe(1);
  });

  it('docker events replays image events between --since and --until', async () => {
    const r = await e.docker(['events', '--since', '0', '--until', `${Math.ceil(Date.now() / 1000) + 1}`, '--filter', 'type=image', '--format', '{{json .}}']);
    expect(r.status, r.stderr).toBe(0);
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const actions = new Set(evs.map((x) => x.Action));
    for (const a of ['tag', 'untag', 'delete', 'push', 'pull', 'load']) expect(actions).toContain(a);
    expect(evs.every((x) => x.Type === 'image')).toBe(true);
  });

  it('a name moved to another image leaves the old one dangling; filters and prune find it', async () => {
    const store = new ApiContentStore(e.client);
    const tiny = async (text: string, label: string) => {
      const b = await buildImage(store, 'moby', { layers: [{ entries: [{ name: 'hello.txt', data: Buffer.from(text) }] }], runConfig: { Cmd: ['cat', '/hello.txt'], Labels: { which: label } } });
      const m = await e.client.content.info(b.manifest.digest);
      return { mediaType: b.manifest.mediaType, digest: m.digest, size: Number(m.size), configDigest: b.config.digest };
    };
    const a = await tiny('a', 'a');
    const b = await tiny('b', 'b');
    await e.images.setName('docker.io/strata/tiny:1', a);
    expect((await e.images.resolve('strata/tiny:1')).id).toBe(a.configDigest);
    await e.images.setName('docker.io/strata/tiny:1', b);
    const dangling = await e.docker(['images', '--filter', 'dangling=true', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']);
    expect(dangling.stdout.trim()).toBe(`${a.configDigest.slice(7, 19)} <none>:<none>`);
    const byLabel = await e.docker(['images', '--filter', 'label=which=b', '-q']);
    expect(byLabel.stdout.trim()).toBe(b.configDigest.slice(7, 19));
    const byRef = await e.docker(['images', '--filter', 'reference=strata/*', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(byRef.stdout.trim()).toBe('strata/tiny:1');
    // the dangling image is found by id, and prune removes it (only it)
    expect((await e.images.resolve(a.configDigest)).repoTags).toEqual([]);
    const prune = await e.docker(['image', 'prune', '-f']);
    expect(prune.status, prune.stderr).toBe(0);
    expect(prune.stdout).toContain(`deleted: ${a.configDigest}`);
    await expect(e.images.resolve(a.configDigest)).rejects.toThrow(/No such image/);
    expect((await e.images.resolve('strata/tiny:1')).id).toBe(b.configDigest);
    const bad = await e.docker(['images', '--filter', 'bogus=1']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("invalid filter 'bogus'");
  });

  it('a layer that does not match its digest fails the pull mid-stream, as an error line', async () => {
    const store = new ApiContentStore(e.client);
    const built = await buildImage(store, 'moby', { layers: [{ entries: [{ name: 'c.txt', data: Buffer.from('corrupt me '.repeat(1000)) }] }] });
    const m = await e.client.content.info(built.manifest.digest);
    await e.images.setName(`${reg.host}/strata/corrupt:1`, { mediaType: built.manifest.mediaType, digest: m.digest, size: Number(m.size) });
    expect((await e.docker(['push', `${reg.host}/strata/corrupt:1`])).status).toBe(0);
    expect((await e.docker(['rmi', `${reg.host}/strata/corrupt:1`])).status).toBe(0);
    const blob = reg.blobFile(built.layers[0].digest);
    const bytes = fs.readFileSync(blob);
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(blob, bytes);
    const r = await e.docker(['pull', `${reg.host}/strata/corrupt:1`]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('1: Pulling from strata/corrupt'); // the stream had started
    expect(r.stderr).toMatch(/digest|DATA_LOSS|hash/i);
    await expect(e.images.resolve(`${reg.host}/strata/corrupt:1`)).rejects.toThrow(/No such image/);
    expect((await managerLeftovers(e.client)).leases).toEqual([]);
    expect((await managerLeftovers(e.client)).ingests).toEqual([]); // the bad bytes are not kept to "resume"
    // once the registry serves the right bytes again, the pull works
    bytes[bytes.length - 10] ^= 0xff;
    fs.writeFileSync(blob, bytes);
    const ok = await e.docker(['pull', `${reg.host}/strata/corrupt:1`]);
    expect(ok.status, ok.stderr).toBe(0);
    expect((await e.docker(['rmi', `${reg.host}/strata/corrupt:1`])).status).toBe(0);
  });

  it('docker import makes a one-layer image from a rootfs tar, with --change and -m', async () => {
    const rootfs = path.join(e.dir, 'rootfs');
    fs.mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(rootfs, 'hello'), 'hello from import\n');
    const file = path.join(e.dir, 'rootfs.tar');
    execFileSync('tar', ['cf', file, '-C', rootfs, '.']);
    const r = await e.docker(['import', '--change', 'CMD ["/bin/cat", "/hello"]', '--change', 'ENV A=1', '-m', 'from a test', file, 'strata/imported:1']);
    expect(r.status, r.stderr).toBe(0);
    const imported = r.stdout.trim();
    expect(imported).toMatch(/^sha256:[0-9a-f]{64}$/);
    const [inspect] = JSON.parse((await e.docker(['image', 'inspect', 'strata/imported:1'])).stdout);
    expect(inspect.Id).toBe(imported);
    expect(inspect.Config.Cmd).toEqual(['/bin/cat', '/hello']);
    expect(inspect.Config.Env).toEqual(['A=1']);
    expect(inspect.Comment).toBe('from a test');
    expect(inspect.RootFS.Layers).toHaveLength(1);
    // gzip on stdin, no name: a dangling image
    const gz = execFileSync('gzip', ['-c', file]);
    const anon = await e.docker(['import', '-'], { input: gz });
    expect(anon.status, anon.stderr).toBe(0);
    expect(anon.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await e.images.resolve(anon.stdout.trim())).repoTags).toEqual([]);
    // not a tar: refused, nothing left behind
    const bad = await e.docker(['import', '-', 'strata/bad:1'], { input: 'definitely not a tar archive'.repeat(40) });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('not a tar archive');
    const bogus = await e.docker(['import', '--change', 'RUN rm -rf /', file]);
    expect(bogus.status).toBe(1);
    expect(bogus.stderr).toContain('RUN is not a valid change command');
    expect((await managerLeftovers(e.client)).leases).toEqual([]);
    expect((await e.docker(['rmi', 'strata/imported:1', anon.stdout.trim()])).status).toBe(0);
  });

  it('loads an archive written by the real ctr (images export)', async () => {
    const file = path.join(e.dir, 'ctr-export.tar');
    const imp = e.manager.ctr(['images', 'import', `${PRELOAD}/busybox.oci.tar`]);
    expect(imp.status, imp.stderr).toBe(0);
    const name = e.manager.ctr(['images', 'ls', '-q']).stdout.trim().split('\n')[0];
    const exp = e.manager.ctr(['images', 'export', file, name]);
    expect(exp.status, exp.stderr).toBe(0);
    e.manager.ctr(['images', 'rm', name]);
    const l = await e.docker(['load', '-i', file]);
    expect(l.status, l.stderr).toBe(0);
    expect(l.stdout.trim()).toBe(`Loaded image: ${name.replace(/^docker\.io\/library\//, '')}`);
    expect((await e.images.resolve(name)).id).toBe(id);
    expect((await e.docker(['rmi', name])).status).toBe(0);
  });

  it('pulls with X-Registry-Auth from a registry that needs a password, and through a mirror', async () => {
    const secured = await startRegistry({ auth: { htpasswd: { alice: 's3cret' } } });
    try {
      const auth = (u: string, p: string) => Buffer.from(JSON.stringify({ username: u, password: p, serveraddress: secured.host })).toString('base64url');
      // push with the right password through the API, as `docker push` after `docker login` sends it
      expect((await e.docker(['tag', id, `${secured.host}/priv/bb:1`])).status).toBe(0);
      const push = await apiCall(e.sock, 'POST', `/v1.50/images/${secured.host}/priv/bb/push?tag=1`, { 'X-Registry-Auth': auth('alice', 's3cret') });
      expect(push.status).toBe(200);
      expect(push.body).toContain('"aux":{"Tag":"1"');
      expect((await e.docker(['rmi', `${secured.host}/priv/bb:1`])).status).toBe(0);
      const wrong = await apiCall(e.sock, 'POST', `/v1.50/images/create?fromImage=${secured.host}/priv/bb&tag=1`, { 'X-Registry-Auth': auth('alice', 'nope') });
      expect(wrong.status).toBe(403);
      expect(JSON.parse(wrong.body).message).toMatch(/pull access denied/);
      const right = await apiCall(e.sock, 'POST', `/v1.50/images/create?fromImage=${secured.host}/priv/bb&tag=1`, { 'X-Registry-Auth': auth('alice', 's3cret') });
      expect(right.status).toBe(200);
      expect(right.body).toContain(`Status: Downloaded newer image for ${secured.host}/priv/bb:1`);
      expect((await e.docker(['rmi', `${secured.host}/priv/bb:1`])).status).toBe(0);
    } finally {
      await secured.stop();
    }
    // docker.io through a mirror: library/busybox served by the local registry
    expect((await e.docker(['tag', id, `${reg.host}/library/busybox:mirrored`])).status).toBe(0);
    expect((await e.docker(['push', `${reg.host}/library/busybox:mirrored`])).status).toBe(0);
    expect((await e.docker(['rmi', `${reg.host}/library/busybox:mirrored`])).status).toBe(0);
    const mirrored = new ImageService({ client: e.client, events: e.events, registryMirrors: { 'docker.io': [`http://${reg.host}`] } });
    const lines: string[] = [];
    const img = await mirrored.pull('busybox:mirrored', { onProgress: (m) => lines.push(m.status ?? '') });
    expect(img.id).toBe(id);
    expect(lines).toContain('Pulling from library/busybox');
    expect(lines.at(-1)).toBe('Status: Downloaded newer image for busybox:mirrored');
    expect((await e.docker(['rmi', 'busybox:mirrored'])).status).toBe(0);
  });

  it('removing every image leaves the manager empty', async () => {
    const left = [...(await e.images.catalog.images()).keys()];
    expect(left).toEqual([id, (await e.images.resolve('strata/tiny:1')).id].filter((x, i, a) => a.indexOf(x) === i));
    // forced while a container uses it: the names go, the image stays (dangling) for the container
    e.inUse.set(id, 'f'.repeat(64));
    const forced = await e.docker(['rmi', '-f', id]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('Untagged: ');
    expect(forced.stdout).not.toContain('Deleted:');
    const kept = await e.images.resolve(id);
    expect(kept.repoTags).toEqual([]);
    expect(await e.client.snapshots().exists(await e.images.ensureUnpacked(kept))).toBe(true);
    e.inUse.clear();
    expect((await e.docker(['rmi', '-f', ...left])).status).toBe(0);
    expect(await managerLeftovers(e.client)).toEqual({ images: [], content: [], snapshots: [], leases: [], ingests: [] });
  });
});

async function apiCall(sock: string, method: string, p: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: p, method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
