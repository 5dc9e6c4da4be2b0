// strata-ctr's import, export and push against both daemons it can talk to: a private
// strata-manager and a private real containerd 1.6, with Debian's docker-registry on 127.0.0.1.
// The commands run images/layout.ts and distribution/push.ts in the client over the remote
// stores (client/remoteStores.ts), so every blob goes through the Content API. The real ctr
// checks the results from the outside: `ctr images export` gives the same manifest, `ctr images
// import` reads our archives, `ctr content active` shows no ingest left behind.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { built, defaultImage, has, isRoot, PrivateContainerd, processesMatching } from '@strata/shim/testing';
import { readAll, readTar, tarBuffer } from '../src/archive';
import { ManagerClient } from '../src/client/client';
import { RemoteContentStore, RemoteImageStore } from '../src/client/remoteStores';
import { sha256 } from '../src/content/digest';
import { IMAGE, ManagerDaemon, ctrBin, managerBin, mountsBelow } from './harness';
import { haveRegistry, startRegistry, type RunningRegistry } from './registry';

const ready = isRoot && has('ctr') && has('containerd') && built && fs.existsSync(managerBin) && fs.existsSync(ctrBin) && fs.existsSync(defaultImage) && haveRegistry();

/** One daemon as the tests see it: its socket and namespace, the real ctr on it, where it keeps things. */
interface Daemon {
  name: string;
  sock: string;
  ns: string;
  dir: string;
  contentRoot: string;
  ctr(args: string[]): SpawnSyncReturns<string>;
  bundles(): string[];
}

/**
 * The real ctr, once more when its random lease id was refused: ctr names its leases
 * "<nanoseconds>-<base64url of random bytes>"; when the base64 part puts a "-" or "_" first, last
 * or next to another, the id breaks containerd's identifier rule (strata-manager applies the
 * same rule), so `ctr images import` and `ctr run` fail now and then against either daemon.
 */
function retryLeaseId(run: () => SpawnSyncReturns<string>): SpawnSyncReturns<string> {
  let r = run();
  for (let i = 0; i < 3 && r.status !== 0 && /lease\.id: .*must be alphanumerics/.test(r.stderr ?? ''); i++) r = run();
  return r;
}

/** strata-ctr with bytes in and out (archives through stdin/stdout). */
function strataCtr(d: Daemon, args: string[], input?: Buffer) {
  const r = spawnSync(process.execPath, [ctrBin, '-a', d.sock, '-n', d.ns, ...args], { input, timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, out: r.stdout?.toString() ?? '', err: r.stderr?.toString() ?? '' };
}

/** Every entry of a tar file, bodies gathered (small archives). */
async function tarEntries(data: Buffer): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const e of readTar(Readable.from([data]))) out.set(e.header.name.replace(/^\.\//, ''), await readAll(e.body));
  return out;
}

const blobNames = (entries: Map<string, Buffer>) => [...entries.keys()].filter((n) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(n)).sort();

describe.skipIf(!ready)('strata-ctr import / export / push against strata-manager and real containerd', () => {
  let reg: RunningRegistry;
  let manager: ManagerDaemon;
  let containerd: PrivateContainerd;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ctr-images-'));
  const exports = new Map<string, Buffer>(); // daemon name -> our OCI export of the pulled image
  // Both daemons push to the same repository: the second finds the blobs there ("exists").
  const remote = () => `${reg.host}/strata/busybox:1`;
  const daemons: Daemon[] = [];

  beforeAll(async () => {
    reg = await startRegistry();
    manager = new ManagerDaemon();
    manager.start();
    // containerd finds our shim on its PATH, so `strata-ctr run` (runtime io.containerd.strata.v2) works there too.
    containerd = new PrivateContainerd(['containerd-shim-strata-v2']);
    containerd.start();
    const m = manager;
    const c = containerd;
    daemons.push(
      {
        name: 'strata-manager',
        sock: m.sock,
        ns: m.ns,
        dir: m.dir,
        contentRoot: path.join(m.dir, 'root', 'io.containerd.content.v1.content'),
        ctr: (a) => retryLeaseId(() => m.ctr(a)),
        bundles: () => m.bundles(),
      },
      {
        name: 'containerd',
        sock: c.sock,
        ns: c.ns,
        dir: c.dir,
        contentRoot: path.join(c.dir, 'root', 'io.containerd.content.v1.content'),
        ctr: (a) => retryLeaseId(() => c.ctr(a)),
        bundles: () => {
          const b = path.join(c.dir, 'state', 'io.containerd.runtime.v2.task', c.ns);
          return fs.existsSync(b) ? fs.readdirSync(b) : [];
        },
      },
    );
  }, 90_000);

  afterAll(async () => {
    try {
      manager?.stop();
    } finally {
      try {
        containerd?.stop();
      } finally {
        await reg?.stop();
        fs.rmSync(work, { recursive: true, force: true });
      }
    }
  }, 60_000);

  for (const name of ['strata-manager', 'containerd']) {
    describe(name, () => {
      const d = () => daemons.find((x) => x.name === name)!;
      const imageNames = () => d().ctr(['images', 'ls', '-q']).stdout.trim().split('\n').filter(Boolean);

      it('import unpacks the default image; run works on it', () => {
        const r = strataCtr(d(), ['import', defaultImage]);
        expect(r.status, r.err).toBe(0);
        expect(r.out).toMatch(new RegExp(`^unpacking ${IMAGE} \\(sha256:[0-9a-f]{64}\\)\\.\\.\\.done$`, 'm'));
        expect(imageNames()).toContain(IMAGE);
        expect(d().ctr(['snapshots', 'ls']).stdout).toMatch(/sha256:[0-9a-f]{64}\s+Committed/);
        const run = strataCtr(d(), ['run', '--rm', IMAGE, 'x', 'echo', 'hi']);
        expect(run.err).toBe('');
        expect(run.out).toBe('hi\n');
        expect(run.status).toBe(0);
      });

      it('push to the registry; rmi --sync leaves no content; pull back and run', async () => {
        const target = d().ctr(['images', 'ls']).stdout.match(/sha256:[0-9a-f]{64}/)![0];
        const push = strataCtr(d(), ['push', '--json', IMAGE, remote()]);
        expect(push.status, push.err).toBe(0);
        expect(push.out).toContain(`${remote()}: pushed ${target}`);
        const events = push.out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { ref: string; status: string });
        expect(events.some((e) => e.ref.startsWith('layer-sha256:') && (e.status === 'done' || e.status === 'exists'))).toBe(true);
        // The registry has it under the tag, with the same digest.
        const res = await fetch(`${reg.url}/v2/strata/busybox/manifests/1`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('docker-content-digest')).toBe(target);

        const rmi = strataCtr(d(), ['rmi', '--sync', IMAGE]);
        expect(rmi.status, rmi.err).toBe(0);
        expect(d().ctr(['content', 'ls', '-q']).stdout.trim()).toBe('');
        expect(d().ctr(['snapshots', 'ls']).stdout.trim().split('\n')).toHaveLength(1); // the header only

        const pull = strataCtr(d(), ['pull', '--json', remote()]);
        expect(pull.status, pull.err).toBe(0);
        expect(pull.out).toContain(`${remote()}: pulled ${target}, unpacked`);
        const run = strataCtr(d(), ['run', '--rm', remote(), 'y', 'sh', '-c', 'echo pulled']);
        expect(run.out, run.err).toBe('pulled\n');
        expect(run.status).toBe(0);
      });

      it('export: the same archive as ctr images export gives, to a file or stdout; the real ctr imports ours (OCI and docker)', async () => {
        const ours = path.join(work, `${name}-ours.tar`);
        const theirs = path.join(work, `${name}-ctr.tar`);
        const e = strataCtr(d(), ['export', ours, remote()]);
        expect(e.status, e.err).toBe(0);
        expect(d().ctr(['images', 'export', theirs, remote()]).status).toBe(0);
        const a = await tarEntries(fs.readFileSync(ours));
        const b = await tarEntries(fs.readFileSync(theirs));
        const index = (m: Map<string, Buffer>) => JSON.parse(m.get('index.json')!.toString()) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
        expect(index(a).manifests.map((x) => x.digest)).toEqual(index(b).manifests.map((x) => x.digest));
        expect(index(a).manifests[0].annotations?.['io.containerd.image.name']).toBe(remote());
        expect(blobNames(a)).toEqual(blobNames(b));
        expect(blobNames(a)).toHaveLength(3); // manifest, config, layer
        for (const n of blobNames(a)) expect(a.get(n)!.equals(b.get(n)!)).toBe(true);
        expect(JSON.parse(a.get('manifest.json')!.toString())[0].RepoTags).toEqual([remote()]);
        exports.set(name, fs.readFileSync(ours));
        // "-": the same bytes on stdout.
        const stdout = strataCtr(d(), ['export', '-', remote()]);
        expect(stdout.status, stdout.err).toBe(0);
        expect(stdout.stdout.equals(fs.readFileSync(ours))).toBe(true);
        expect(fs.readdirSync(work).filter((f) => f.includes('.tmp'))).toEqual([]); // no temp file left

        // The real ctr reads our OCI archive (and unpacks it) ... Each rm is --sync, so the import
        // writes every blob again instead of racing the collection the rm scheduled.
        expect(d().ctr(['images', 'rm', '--sync', remote()]).status).toBe(0);
        const imp = d().ctr(['images', 'import', ours]);
        expect(imp.status, imp.stderr).toBe(0);
        expect(imageNames()).toContain(remote());
        const run = d().ctr(['run', '--rm', '--runtime', 'io.containerd.strata.v2', remote(), 'z', 'echo', 'imported']);
        expect(run.stdout, run.stderr).toBe('imported\n');
        // ... and our docker save archive (containerd builds a docker manifest around it).
        const docker = path.join(work, `${name}-docker.tar`);
        expect(strataCtr(d(), ['export', '--format', 'docker', docker, remote()]).status).toBe(0);
        const entries = await tarEntries(fs.readFileSync(docker));
        expect(JSON.parse(entries.get('manifest.json')!.toString())[0].RepoTags).toEqual([remote()]);
        expect(d().ctr(['images', 'rm', '--sync', remote()]).status).toBe(0);
        const dimp = d().ctr(['images', 'import', docker]);
        expect(dimp.status, dimp.stderr).toBe(0);
        expect(imageNames()).toContain(remote());
        const drun = strataCtr(d(), ['run', '--rm', remote(), 'w', 'echo', 'docker']);
        expect(drun.out, drun.err).toBe('docker\n');
        // Our import reads it back from stdin too.
        expect(d().ctr(['images', 'rm', '--sync', remote()]).status).toBe(0);
        const back = strataCtr(d(), ['import', '--no-unpack', '-'], fs.readFileSync(ours));
        expect(back.status, back.err).toBe(0);
        expect(back.out).toContain(remote());
        // And the docker archive: its gzip layer is checked against the config's diff_ids through
        // the remote reader, a docker manifest is made around the files.
        const dback = strataCtr(d(), ['import', docker]);
        expect(dback.status, dback.err).toBe(0);
        expect(dback.out).toContain(`unpacking ${remote()} (sha256:`);
        expect(d().ctr(['images', 'ls']).stdout).toContain('application/vnd.docker.distribution.manifest.v2+json');
      });

      it('remote stores: put resumes an interrupted write from the STAT offset; readers verify what the server sends', async () => {
        const c = new ManagerClient(d().sock, d().ns);
        try {
          // Under a lease, as clients write: a blob nothing references is garbage otherwise.
          await c.withLease(async () => {
            const store = new RemoteContentStore(c);
            const data = crypto.randomBytes((3 << 20) + 12_345); // several 1 MiB WRITE messages
            const digest = sha256(data);
            const half = 1_500_000;
            // An earlier put got half-way (the same ref the store uses), then its client went away.
            const w = await c.content.writer(`put-${digest}`, data.length, digest);
            await w.write(data.subarray(0, half));
            w.close();
            await expect.poll(async () => (await c.content.statuses()).find((s) => s.ref === `put-${digest}`)?.offset, { timeout: 5_000 }).toBe(half);
            // The source's first half is garbage: the commit can only succeed if those bytes were
            // skipped (the ingest has them already) rather than sent again.
            const source = Buffer.concat([Buffer.alloc(half, 0xaa), data.subarray(half)]);
            const chunks = Array.from({ length: Math.ceil(source.length / 65_536) }, (_, i) => source.subarray(i * 65_536, (i + 1) * 65_536));
            expect(await store.put(d().ns, { digest, size: data.length }, Readable.from(chunks))).toEqual({ digest, size: data.length, existed: false });
            expect(await store.put(d().ns, { digest, size: data.length }, data, { 'strata.test/x': '1' })).toEqual({ digest, size: data.length, existed: true });
            expect((await store.info(d().ns, digest)).labels['strata.test/x']).toBe('1');
            expect((await store.readBlob(d().ns, { digest, size: data.length })).equals(data)).toBe(true);
            expect((await store.read(d().ns, digest, 10, 5)).equals(data.subarray(10, 15))).toBe(true);
            // A put with no digest: computed here, named by it.
            const small = await store.put(d().ns, {}, 'no digest given');
            expect(small).toEqual({ digest: sha256('no digest given'), size: 15, existed: false });
            // Wrong size in the descriptor: DATA_LOSS from the client-side check.
            await expect(store.readBlob(d().ns, { digest, size: data.length + 1 })).rejects.toMatchObject({ code: 'DATA_LOSS' });
            // A blob edited on disk: strata-manager refuses it as it reads; containerd sends it and
            // our reader's hash catches it.
            const file = path.join(d().contentRoot, 'blobs', 'sha256', digest.slice(7));
            const fd = fs.openSync(file, 'r+');
            fs.writeSync(fd, Buffer.from([data[100] ^ 0xff]), 0, 1, 100);
            fs.closeSync(fd);
            await expect(store.readBlob(d().ns, digest)).rejects.toMatchObject({ code: 'DATA_LOSS' });
            // Another namespace is refused, not silently served.
            await expect(store.has('some-other-namespace', digest)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
            await expect(new RemoteImageStore(c).get('some-other-namespace', IMAGE)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
            await c.content.delete(digest);
            await c.content.delete(small.digest);
            expect(await c.content.statuses()).toEqual([]);
          });
        } finally {
          c.close();
        }
      });

      it('a forged or truncated archive is refused, leaving no ingest and no blob', async () => {
        const good = Buffer.from('{"not":"what the name says"}');
        const forged = 'e'.repeat(64);
        const bad = tarBuffer([
          { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
          { name: `blobs/sha256/${forged}`, data: good },
          { name: 'index.json', data: '{"schemaVersion":2,"manifests":[]}' },
        ]);
        const r = strataCtr(d(), ['import', '-'], bad);
        expect(r.status).toBe(1);
        expect(r.err).toMatch(/archive entry blobs\/sha256\/e{64}: .*unexpected commit digest/);
        const big = crypto.randomBytes(300_000);
        const cut = tarBuffer([{ name: `blobs/sha256/${sha256(big).slice(7)}`, data: big }]).subarray(0, 200_000);
        const t = strataCtr(d(), ['import', '-'], cut);
        expect(t.status).toBe(1);
        expect(t.err).toMatch(/unexpected end of stream inside entry blobs\/sha256\//);
        const content = d().ctr(['content', 'ls', '-q']).stdout;
        expect(content).not.toContain(sha256(good));
        expect(content).not.toContain(sha256(big));
      });

      it('nothing left behind: ingests, leases, containers, bundles, mounts, shims', () => {
        expect(d().ctr(['content', 'active']).stdout.trim().split('\n').slice(1)).toEqual([]);
        expect(d().ctr(['leases', 'ls']).stdout).not.toContain('strata-ctr-');
        expect(d().ctr(['c', 'ls', '-q']).stdout.trim()).toBe('');
        expect(d().bundles()).toEqual([]);
        expect(mountsBelow(d().dir)).toEqual([]);
        for (const id of ['x', 'y', 'z', 'w']) expect(processesMatching(`-id\0${id}\0`)).toEqual([]);
      });
    });
  }

  it('both daemons export the pulled image byte for byte alike', () => {
    expect(exports.size).toBe(2);
    expect(exports.get('strata-manager')!.equals(exports.get('containerd')!)).toBe(true);
  });
});
