// The ImageService of strata-cri, through gRPC on its socket, against a private strata-manager
// and private docker-registries on 127.0.0.1: pulls through --registry-mirror (registry.k8s.io
// is never contacted), pulls with credentials (HTTP Basic via username/password and via "auth",
// a bearer registry_token from a token server), status by every kind of name, list with filter,
// remove, ImageFsInfo, and the error codes of bad requests.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, startTokenServer, haveRegistry, type RunningRegistry } from '@strata/manager/testing';
import { isRoot } from '@strata/shim/testing';
import { BUSYBOX, built, CriDaemon, pushBusybox } from './harness';
import type { CriClient } from '../src/cli/crictl/client';
import type { Image, ImageFsInfoResponse, ImageStatusResponse, ListImagesResponse } from '../src/api/protos';

const ready = isRoot && haveRegistry() && built();
const PRIVATE = 'private.strata.test';
const TOKEN_HOST = 'token.strata.test';

async function code(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: (e as { grpcCode: number }).grpcCode, message: (e as Error).message };
  }
  throw new Error('expected the call to fail');
}

describe.skipIf(!ready)('strata-cri ImageService', () => {
  const cri = new CriDaemon();
  let authReg: RunningRegistry;
  let tokenReg: RunningRegistry;
  let tokens: Awaited<ReturnType<typeof startTokenServer>>;
  let c: CriClient;
  const status = (image: string, verbose = false) => c.image<ImageStatusResponse>('ImageStatus', { image: { image }, verbose });

  beforeAll(async () => {
    authReg = await startRegistry({ auth: { htpasswd: { alice: 'wonderland' } } });
    tokens = await startTokenServer({ dir: cri.dir, users: { bob: 'builder' }, grant: (user) => (user === 'bob' ? ['pull', 'push'] : []) });
    tokenReg = await startRegistry({ auth: { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certFile } } });
    cri.manager.start();
    await pushBusybox(cri.manager, authReg, 'alice:wonderland');
    await pushBusybox(cri.manager, tokenReg, 'bob:builder');
    await cri.start({ args: ['--registry-mirror', `${PRIVATE}=${authReg.url}`, '--registry-mirror', `${TOKEN_HOST}=${tokenReg.url}`], importPause: false, managerStarted: true });
    c = cri.client();
  }, 120_000);

  afterAll(async () => {
    c?.close();
    await cri.stop();
    await authReg?.stop();
    await tokenReg?.stop();
    await tokens?.stop();
    expect(cri.leaks()).toEqual([]);
  }, 60_000);

  it('serves on a root-only socket', () => {
    expect(fs.statSync(cri.sock).mode & 0o777).toBe(0o600);
  });

  let pulled: Image;
  it('pulls registry.k8s.io/busybox through the local mirror; the id is the config digest', async () => {
    const r = await c.image('PullImage', { image: { image: BUSYBOX } }, { timeoutMs: 60_000 });
    expect(r.imageRef).toMatch(/^sha256:[0-9a-f]{64}$/);
    const s = await status(BUSYBOX, true);
    pulled = s.image!;
    expect(pulled.id).toBe(r.imageRef);
    expect(pulled.repoTags).toEqual([BUSYBOX]);
    expect(pulled.repoDigests).toEqual([expect.stringMatching(/^registry\.k8s\.io\/busybox@sha256:[0-9a-f]{64}$/)]);
    expect(pulled.size).toBeGreaterThan(100_000);
    const info = JSON.parse(s.info.info);
    expect(info.imageSpec.rootfs.diff_ids).toHaveLength(1);
    // The manager holds the three names containerd's CRI plugin uses, in namespace k8s.io.
    const names = cri.manager.strataCtr(['images', '-q'], { namespace: 'k8s.io' }).stdout.trim().split('\n').sort();
    expect(names).toEqual([BUSYBOX, pulled.repoDigests[0], pulled.id].sort());
  });

  it('finds the image by tag, short name, id, bare hex id, id prefix and repo digest', async () => {
    for (const name of [BUSYBOX, 'registry.k8s.io/busybox', pulled.id, pulled.id.slice(7), pulled.id.slice(7, 19), pulled.repoDigests[0]]) {
      expect((await status(name)).image?.id, name).toBe(pulled.id);
    }
  });

  it('answers an absent image with no image, not an error', async () => {
    const s = await status('registry.k8s.io/nothing:here');
    expect(s.image).toBeUndefined();
  });

  it('lists images, and filters by name', async () => {
    const all = await c.image<ListImagesResponse>('ListImages', {});
    expect(all.images.map((i) => i.id)).toContain(pulled.id);
    const one = await c.image<ListImagesResponse>('ListImages', { filter: { image: { image: BUSYBOX } } });
    expect(one.images.map((i) => i.id)).toEqual([pulled.id]);
    const none = await c.image<ListImagesResponse>('ListImages', { filter: { image: { image: 'registry.k8s.io/nothing:here' } } });
    expect(none.images).toEqual([]);
  });

  it('pulls with HTTP Basic credentials (username/password and auth), refuses without or with wrong ones', async () => {
    const ref = `${PRIVATE}/busybox:latest`;
    const anon = await code(c.image('PullImage', { image: { image: ref } }, { timeoutMs: 60_000 }));
    expect(anon.code).toBe(7); // PERMISSION_DENIED
    expect(anon.message).toMatch(/username and password/);
    const wrong = await code(c.image('PullImage', { image: { image: ref }, auth: { username: 'alice', password: 'nope' } }, { timeoutMs: 60_000 }));
    expect([7, 16]).toContain(wrong.code);
    const ok = await c.image('PullImage', { image: { image: ref }, auth: { username: 'alice', password: 'wonderland' } }, { timeoutMs: 60_000 });
    expect(ok.imageRef).toBe(pulled.id);
    expect((await status(ref)).image?.repoTags).toEqual([BUSYBOX, ref].sort());
    // by digest this time, with the docker config "auth" form of the same credentials
    const digest = pulled.repoDigests[0].split('@')[1];
    const byDigest = `${PRIVATE}/busybox@${digest}`;
    const viaAuth = await c.image('PullImage', { image: { image: byDigest }, auth: { auth: Buffer.from('alice:wonderland').toString('base64') } }, { timeoutMs: 60_000 });
    expect(viaAuth.imageRef).toBe(pulled.id);
    expect((await status(byDigest)).image?.repoDigests).toContain(byDigest);
  });

  it('pulls with a registry_token (bearer, no token server round trip)', async () => {
    const ref = `${TOKEN_HOST}/busybox:latest`;
    const before = tokens.requests.length;
    const res = await fetch(`${tokens.url}/token?service=${tokens.service}&scope=repository:busybox:pull`, { headers: { Authorization: `Basic ${Buffer.from('bob:builder').toString('base64')}` } });
    const { token } = (await res.json()) as { token: string };
    const fetched = tokens.requests.length;
    expect(fetched).toBe(before + 1);
    const r = await c.image('PullImage', { image: { image: ref }, auth: { registryToken: token } }, { timeoutMs: 60_000 });
    expect(r.imageRef).toBe(pulled.id);
    expect(tokens.requests.length).toBe(fetched); // strata-cri asked the token server for nothing
    const bad = await code(c.image('PullImage', { image: { image: ref }, auth: { registryToken: 'not-a-token' } }, { timeoutMs: 60_000 }));
    expect([7, 16]).toContain(bad.code);
  });

  it('reports the image filesystem usage', async () => {
    const r = await c.image<ImageFsInfoResponse>('ImageFsInfo', {});
    expect(r.imageFilesystems).toHaveLength(1);
    const fsu = r.imageFilesystems[0];
    expect(fsu.usedBytes!.value).toBeGreaterThan(100_000);
    expect(fsu.inodesUsed!.value).toBeGreaterThan(3);
    expect(Math.abs(fsu.timestamp / 1e6 - Date.now())).toBeLessThan(60_000);
    expect(fsu.fsId!.mountpoint).toMatch(/overlayfs/);
  });

  it.each([
    ['PullImage', { image: { image: '' } }, 'image.image: must not be empty'],
    ['PullImage', {}, 'image.image: must not be empty'],
    ['PullImage', { image: { image: 'Registry.K8s.io/UPPER' } }, 'image.image:'],
    ['PullImage', { image: { image: `sha256:${'a'.repeat(64)}` } }, 'image.image: sha256:'],
    ['PullImage', { image: { image: BUSYBOX }, auth: { auth: 'bm9jb2xvbg==' } }, 'auth.auth: must be base64 of "username:password"'],
    ['ImageStatus', { image: { image: '' } }, 'image.image: must not be empty'],
    ['RemoveImage', {}, 'image.image: must not be empty'],
    ['ListImages', { filter: { image: { image: 'a b' } } }, 'filter.image.image:'],
  ])('%s %j -> INVALID_ARGUMENT naming the field', async (method, req, msg) => {
    const r = await code(c.image(method, req as object));
    expect(r.code).toBe(3);
    expect(r.message).toContain(msg);
  });

  it('answers NOT_FOUND for an image the mirror does not have (and never goes past the mirror)', async () => {
    const r = await code(c.image('PullImage', { image: { image: 'registry.k8s.io/not-in-the-mirror:1' } }, { timeoutMs: 60_000 }));
    expect(r.code).toBe(5);
    expect(r.message).toMatch(/not-in-the-mirror/);
  });

  it('answers UNIMPLEMENTED for the RPCs it does not serve', async () => {
    const r = await code(c.runtime('CheckpointContainer', { containerId: 'x' }));
    expect(r.code).toBe(12);
    expect(r.message).toMatch(/CheckpointContainer/);
  });

  it('removes every name of an image; removing again is fine', async () => {
    await c.image('RemoveImage', { image: { image: BUSYBOX } });
    expect((await status(BUSYBOX)).image).toBeUndefined();
    expect((await status(pulled.id)).image).toBeUndefined();
    expect((await c.image<ListImagesResponse>('ListImages', {})).images.map((i) => i.id)).not.toContain(pulled.id);
    await c.image('RemoveImage', { image: { image: BUSYBOX } });
    expect(cri.manager.strataCtr(['images', '-q'], { namespace: 'k8s.io' }).stdout).toBe('');
  });

  it('stops cleanly on SIGTERM: exit 0, socket removed', async () => {
    c.close();
    expect(await cri.terminate()).toBe(0);
    expect(fs.existsSync(cri.sock)).toBe(false);
    expect(cri.log()).toMatch(/received SIGTERM/);
    expect(path.basename(cri.sock)).toBe('cri.sock');
  });
});
