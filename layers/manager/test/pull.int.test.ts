// Pulling from a real registry (Debian's docker-registry on 127.0.0.1) into strata-manager: the
// real ctr and strata-ctr both pull client-side through the manager's Content API; a pull cut
// in the middle survives a SIGKILL of the manager and resumes with an HTTP Range request; bytes
// corrupted in flight are refused at commit, with nothing named or left behind.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentStore } from '../src/content';
import { RegistryClient, pushImage } from '../src/distribution';
import { buildImage, ImageStore } from '../src/images';
import { openDatabase } from '../src/metadata/db';
import { defaultImage, has, isRoot } from '@strata/shim/testing';
import { ManagerDaemon, managerBin, mountsBelow } from './harness';
import { haveRegistry, startProxy, startRegistry, type RunningRegistry } from './registry';

const ready = isRoot && has('ctr') && has('skopeo') && haveRegistry() && fs.existsSync(managerBin) && fs.existsSync(defaultImage);
const LAYER = 6 << 20;

describe.skipIf(!ready)('strata-manager pulls from a registry', () => {
  let reg: RunningRegistry;
  const m = new ManagerDaemon();
  let big: { layer: { digest: string; size: number } };
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pull-src-'));

  beforeAll(async () => {
    reg = await startRegistry();
    // a runnable image: the default busybox image, copied by a real tool
    const r = spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci-archive:${defaultImage}`, `docker://${reg.host}/strata/busybox:1`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // a big image of random bytes, built and pushed by our own code
    const db = openDatabase(path.join(scratch, 'meta.db'));
    const store = new ContentStore({ root: path.join(scratch, 'content'), db });
    const images = new ImageStore(db);
    const img = await buildImage(store, 'src', { layers: [{ entries: [{ name: 'random.bin', data: crypto.randomBytes(LAYER) }], compression: 'none' }] });
    images.create('src', { name: 'big', target: img.manifest });
    await pushImage({ store, images, client: new RegistryClient() }, 'src', 'big', `${reg.host}/strata/big:1`);
    big = { layer: img.layers[0] };
    db.close();
    m.start();
  }, 120_000);
  afterAll(async () => {
    m.stop();
    await reg?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('the real ctr pulls (and unpacks) into strata-manager, and the image runs', () => {
    const ref = `${reg.host}/strata/busybox:1`;
    const p = m.ctr(['images', 'pull', '--plain-http', ref], 60_000);
    expect(p.status, p.stderr).toBe(0);
    expect(m.ctr(['images', 'ls', '-q']).stdout.split('\n')).toContain(ref);
    const r = m.ctr(['run', '--rm', '--runtime', 'io.containerd.strata.v2', ref, 'pulled', 'sh', '-c', 'echo pulled-by-ctr']);
    expect(r.stdout).toBe('pulled-by-ctr\n');
  });

  it('strata-ctr pulls into strata-manager and runs it', () => {
    const ref = `${reg.host}/strata/busybox:1`;
    expect(m.strataCtr(['rmi', '--sync', ref]).status).toBe(0);
    const p = m.strataCtr(['pull', '--json', ref], { timeout: 60_000 });
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/"status":"done"/);
    const r = m.strataCtr(['run', '--rm', ref, 'pulled2', 'echo', 'pulled-by-strata-ctr']);
    expect(r.stdout).toBe('pulled-by-strata-ctr\n');
  });

  it('a pull cut mid-blob survives a manager SIGKILL and resumes with Range', async () => {
    const proxy = await startProxy(reg.host);
    try {
      const ref = `registry.k8s.io/strata/big:1`;
      const mirror = ['--mirror', `registry.k8s.io=http://${proxy.host}`];
      proxy.cut.set(big.layer.digest, 3 << 20);
      const first = await m.strataCtrAsync(['pull', '--json', ...mirror, ref], { timeout: 60_000 });
      expect(first.status).not.toBe(0);
      const active = m.ctr(['content', 'active']).stdout;
      expect(active).toContain(`layer-${big.layer.digest}`);
      m.crash();
      m.start(); // the database opens cleanly; the ingest is still there
      expect(m.ctr(['content', 'active']).stdout).toContain(`layer-${big.layer.digest}`);
      const second = await m.strataCtrAsync(['pull', '--json', ...mirror, ref], { timeout: 60_000 });
      expect(second.status, second.stderr).toBe(0);
      const range = proxy.ranges.find((x) => x.startsWith('bytes='));
      expect(range, `ranges asked: ${proxy.ranges.join(', ')}`).toMatch(/^bytes=[1-9]\d*-$/);
      expect(m.ctr(['content', 'active']).stdout.trim().split('\n').length).toBeLessThanOrEqual(1); // header only
      expect(m.ctr(['content', 'ls', '-q']).stdout).toContain(big.layer.digest);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('bytes corrupted in flight are refused: nothing committed, no image named', async () => {
    const proxy = await startProxy(reg.host);
    try {
      const other = new ManagerDaemon();
      try {
        other.start();
        proxy.corruptBlobs = true;
        const ref = `registry.k8s.io/strata/big:1`;
        const r = await other.strataCtrAsync(['pull', '--mirror', `registry.k8s.io=http://${proxy.host}`, ref], { timeout: 60_000 });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(/digest/);
        expect(other.ctr(['images', 'ls', '-q']).stdout.trim()).toBe('');
        expect(other.ctr(['content', 'ls', '-q']).stdout).not.toContain(big.layer.digest);
        // The refused bytes are not kept as a resumable ingest (that would make every later
        // pull fail the same way): once the bytes are right again, the same pull works.
        expect(other.ctr(['content', 'active']).stdout).not.toContain(big.layer.digest);
        proxy.corruptBlobs = false;
        const again = await other.strataCtrAsync(['pull', '--mirror', `registry.k8s.io=http://${proxy.host}`, ref], { timeout: 60_000 });
        expect(again.stderr).toBe('');
        expect(again.status).toBe(0);
      } finally {
        other.stop();
      }
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('leaves no mounts behind', () => {
    expect(mountsBelow(m.dir).filter((p) => !p.includes('/tmpmounts'))).toEqual([]);
  });
});
