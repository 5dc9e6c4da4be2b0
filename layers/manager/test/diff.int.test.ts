// Layer extraction, Diff.Apply, Diff.Compare and unpack against the real kernel (root):
// malicious layers refused with nothing written outside the root, safe replacement of
// symlinks, compare() output re-applied with the native snapshotter reproducing the upper tree,
// unpack chain IDs and diff_id checks, and no leaked mounts or directories.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkfifo } from '@strata/linux';
import { applyLayer, lgetxattr, lsetxattr } from '../src/archive';
import { apply, chainIds, compare, LABEL_SNAPSHOT_REF, MEDIA_TYPE_LAYER, MEDIA_TYPE_LAYER_GZIP, unpack, type UnpackLayer } from '../src/diff';
import { isManagerError } from '../src/errors';
import type { Snapshotter } from '../src/snapshots';
import type { Descriptor } from '../src/types';
import { describeTree, readAllEntries, sha256, tarLayer, type FixtureEntry } from './archiveFixtures';
import { applyBlob, isRoot, leftovers, makeEnv, orphanDirs, withMounted } from './snapFixtures';

const env = isRoot ? makeEnv('strata-diff-') : undefined;
afterAll(() => env?.close());
afterEach(() => {
  if (env) expect(leftovers(env)).toEqual([]);
});

const apiDesc = (blob: Buffer, mediaType = MEDIA_TYPE_LAYER): Descriptor => ({ mediaType, digest: sha256(blob), size: blob.length });

describe.skipIf(!isRoot)('extraction of malicious layers', () => {
  let box: string;
  let root: string;
  let canary: string;
  let canaryBefore: Record<string, string>;
  beforeAll(() => {
    box = fs.mkdtempSync(path.join(env!.dir, 'box-'));
    canary = path.join(box, 'canary');
    fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(canary, 'secret'), 'do not touch\n', { mode: 0o600 });
    canaryBefore = describeTree(canary, { times: true });
  });
  const fresh = () => {
    root = fs.mkdtempSync(path.join(box, 'root-'));
    return root;
  };
  /** Nothing outside the root changed: the canary is as it was, and nothing named pwned exists outside. */
  const outsideUntouched = () => {
    expect(describeTree(canary, { times: true })).toEqual(canaryBefore);
    const pwned = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.name.startsWith('root-')) return []; // extraction roots: whatever a layer may write
        return [...(e.name.includes('pwned') ? [p] : []), ...(e.isDirectory() ? pwned(p) : [])];
      });
    expect(pwned(box)).toEqual([]);
  };

  // "a -> /" cannot be allowed to reach the real /etc/passwd even if this test failed: the
  // entries aim at the canary through the same symlink shapes.
  const canaryFromRoot = () => path.relative('/', canary); // e.g. tmp/strata-diff-x/box-y/canary
  const cases: { title: string; accepted?: boolean; entries: () => FixtureEntry[]; refused: (digest: string) => string | RegExp }[] = [
    {
      title: '../x',
      entries: () => [{ name: '../canary/pwned', type: 'file', content: 'x' }],
      refused: (d) => `layer ${d}: entry ../canary/pwned escapes the root`,
    },
    {
      title: 'an absolute path /etc/x',
      entries: () => [{ name: `${canary}/pwned`, type: 'file', content: 'x' }],
      refused: (d) => `layer ${d}: entry ${canary}/pwned is an absolute path`,
    },
    {
      title: 'a/../../x',
      entries: () => [{ name: 'a/../../canary/pwned', type: 'file', content: 'x' }],
      refused: () => /escapes the root/,
    },
    {
      title: 'symlink a -> / then a/<path>/passwd',
      entries: () => [
        { name: 'a', type: 'symlink', linkname: '/' },
        { name: `a/${canaryFromRoot()}/pwned-passwd`, type: 'file', content: 'root::0:0::/:/bin/sh\n' },
      ],
      refused: (d) => `layer ${d}: entry a/${canaryFromRoot()}/pwned-passwd has a parent a that is a symlink`,
    },
    {
      title: 'symlink a -> ../../.. then a file under it',
      entries: () => [
        { name: 'a', type: 'symlink', linkname: '../../..' },
        { name: 'a/pwned', type: 'file', content: 'x' },
      ],
      refused: () => /entry a\/pwned has a parent a that is a symlink/,
    },
    {
      title: 'symlink a -> canary then a directory entry a/ and a file in it',
      accepted: true,
      entries: () => [
        { name: 'd', type: 'dir' },
        { name: 'd/a', type: 'symlink', linkname: canary },
        { name: 'd/a', type: 'dir', mode: 0o777 },
        { name: 'd/a/pwned', type: 'file', content: 'x' },
      ],
      // the directory entry replaces the symlink (safe), the file then lands in the new directory
      refused: () => '',
    },
    {
      title: 'a hardlink to ../outside',
      entries: () => [{ name: 'pwned-link', type: 'hardlink', linkname: '../canary/secret' }],
      refused: (d) => `layer ${d}: entry pwned-link: hardlink target ../canary/secret escapes the root`,
    },
    {
      title: 'a hardlink through a symlink',
      entries: () => [
        { name: 's', type: 'symlink', linkname: canary },
        { name: 'pwned-link', type: 'hardlink', linkname: 's/secret' },
      ],
      refused: () => /entry pwned-link: hardlink target s\/secret goes through the symlink s;/,
    },
    {
      title: 'a whiteout of ".."',
      entries: () => [{ name: 'x/.wh...', type: 'file' }],
      refused: () => /entry x\/\.wh\.\.\. is not a valid whiteout/,
    },
    {
      title: 'a whiteout through a symlink',
      entries: () => [
        { name: 's', type: 'symlink', linkname: canary },
        { name: 's/.wh.secret', type: 'file' },
      ],
      refused: () => /entry s\/\.wh\.secret has a parent s that is a symlink/,
    },
  ];

  for (const c of cases) {
    for (const whiteouts of ['delete', 'overlay'] as const) {
      it(`${c.accepted ? 'neutralises' : 'refuses'} ${c.title} (${whiteouts} mode)`, async () => {
        const blob = await tarLayer(c.entries());
        const name = `layer ${sha256(blob)}`;
        const dir = fresh();
        const run = applyLayer(dir, Readable.from([blob]), { whiteouts, name });
        if (c.accepted) {
          await run;
          expect(fs.lstatSync(path.join(dir, 'd/a')).isDirectory()).toBe(true);
          expect(fs.readFileSync(path.join(dir, 'd/a/pwned'), 'utf8')).toBe('x');
        } else {
          const want = c.refused(sha256(blob));
          const err = await run.then(
            () => undefined,
            (e) => e,
          );
          expect(isManagerError(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
          if (typeof want === 'string') expect(err.message).toContain(want);
          else expect(err.message).toMatch(want);
        }
        outsideUntouched();
      });
    }
  }

  it('refuses to write through a symlink already in the tree (a lower layer made it)', async () => {
    const dir = fresh();
    fs.symlinkSync(canary, path.join(dir, 'evil'));
    const blob = await tarLayer([{ name: 'evil/pwned', type: 'file', content: 'x' }]);
    await expect(applyLayer(dir, Readable.from([blob]), { whiteouts: 'delete' })).rejects.toThrow(/entry evil\/pwned has a parent evil that is a symlink/);
    outsideUntouched();
  });

  it('removes a whited-out symlink itself, not what it points to (both modes)', async () => {
    for (const whiteouts of ['delete', 'overlay'] as const) {
      const dir = fresh();
      fs.symlinkSync(canary, path.join(dir, 's'));
      await applyLayer(dir, Readable.from([await tarLayer([{ name: '.wh.s', type: 'file' }])]), { whiteouts });
      const st = fs.lstatSync(path.join(dir, 's'), { throwIfNoEntry: false });
      if (whiteouts === 'delete') expect(st).toBeUndefined();
      else expect(st?.isCharacterDevice() && st.rdev).toBe(0);
      outsideUntouched();
    }
  });

  it('replaces a symlink by a file without writing through it, and never chmods through a hardlinked symlink', async () => {
    const dir = fresh();
    const blob = await tarLayer([
      { name: 'f', type: 'symlink', linkname: path.join(canary, 'secret') },
      { name: 'f', type: 'file', content: 'replaced', mode: 0o644 },
      { name: 's', type: 'symlink', linkname: path.join(canary, 'secret') },
      { name: 'h', type: 'hardlink', linkname: 's', mode: 0o777, uid: 4242 },
    ]);
    await applyLayer(dir, Readable.from([blob]), { whiteouts: 'delete' });
    expect(fs.lstatSync(path.join(dir, 'f')).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'f'), 'utf8')).toBe('replaced');
    expect(fs.lstatSync(path.join(dir, 'h')).isSymbolicLink()).toBe(true); // a second link to the symlink itself
    outsideUntouched();
  });

  it('sets owners, modes (setuid too), times, devices and xattrs; ignores trusted.* from the archive', async () => {
    const dir = fresh();
    const blob = await tarLayer([
      { name: 'bin', type: 'dir', mode: 0o711, mtime: 1_500_000_000 },
      { name: 'bin/su', type: 'file', content: 'x', mode: 0o4755, uid: 0, gid: 0, mtime: 1_400_000_000 },
      { name: 'home', type: 'dir', uid: 1000, gid: 1000, mode: 0o700 },
      { name: 'home/f', type: 'file', content: 'y', uid: 1000, gid: 1000, mode: 0o640 },
      { name: 'dev', type: 'dir' },
      { name: 'dev/tty', type: 'char', devmajor: 5, devminor: 0, mode: 0o666 },
      { name: 'dev/loop0', type: 'block', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'caps', type: 'file', content: 'z', xattrs: { 'user.keep': Buffer.from('v'), 'trusted.overlay.opaque': Buffer.from('y') } },
    ]);
    const r = await applyLayer(dir, Readable.from([blob]), { whiteouts: 'delete' });
    expect(r.diffId).toBe(sha256(blob));
    expect(r.size).toBe(blob.length);
    expect(r.warnings.join('\n')).toMatch(/trusted\.overlay\.opaque ignored/);
    const st = (p: string) => fs.lstatSync(path.join(dir, p));
    expect(st('bin/su').mode & 0o7777).toBe(0o4755);
    expect(st('bin/su').mtimeMs).toBe(1_400_000_000_000);
    expect(st('bin').mtimeMs).toBe(1_500_000_000_000); // set after its children were created
    expect(st('bin').mode & 0o7777).toBe(0o711);
    expect([st('home/f').uid, st('home/f').gid, st('home/f').mode & 0o777]).toEqual([1000, 1000, 0o640]);
    expect(st('dev/tty').isCharacterDevice() && st('dev/tty').rdev).toBe((5 << 8) | 0);
    expect(st('dev/loop0').isBlockDevice() && st('dev/loop0').gid).toBe(6);
    expect(lgetxattr(path.join(dir, 'caps'), 'user.keep')?.toString()).toBe('v');
    expect(lgetxattr(path.join(dir, 'caps'), 'trusted.overlay.opaque')).toBeUndefined();
  });
});

describe.skipIf(!isRoot)('Diff.Apply', () => {
  const ns = 'apply';
  it('applies into an overlay upperdir and returns the diff_id; the blob digest and size are verified', async () => {
    const sn = env!.overlay;
    const tar = await tarLayer([{ name: 'hello', type: 'file', content: 'world' }]);
    const gz = zlib.gzipSync(tar);
    const mounts = await sn.prepare(ns, 'a1', '');
    expect(await apply(apiDesc(gz, MEDIA_TYPE_LAYER_GZIP), mounts, Readable.from([gz]))).toEqual({ mediaType: MEDIA_TYPE_LAYER, digest: sha256(tar), size: tar.length });
    await sn.commit(ns, 'A1', 'a1');
    const m2 = await sn.prepare(ns, 'a2', 'A1');
    const wrong = { ...apiDesc(gz), digest: sha256('something else') };
    await expect(apply(wrong, m2, Readable.from([gz]))).rejects.toMatchObject({ code: 'DATA_LOSS', message: /not sha256:/ });
    await expect(apply({ ...apiDesc(gz), size: gz.length + 1 }, m2, Readable.from([gz]))).rejects.toMatchObject({ code: 'DATA_LOSS', message: /bytes read/ });
    const v = await sn.view(ns, 'v', 'A1');
    await expect(apply(apiDesc(gz), v, Readable.from([gz]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /read-only/ });
    for (const k of ['v', 'a2', 'A1']) await sn.remove(ns, k);
  });

  it('mounts anything else on a temp dir, applies there and unmounts', async () => {
    const a = fs.mkdtempSync(path.join(env!.dir, 'bind-a-'));
    const b = fs.mkdtempSync(path.join(env!.dir, 'bind-b-'));
    const tar = await tarLayer([{ name: 'landed', type: 'file', content: 'in b' }]);
    // two stacked mounts: the second one is what the temp dir shows
    const d = await apply(apiDesc(tar), [
      { type: 'bind', source: a, options: ['rbind', 'rw'] },
      { type: 'bind', source: b, options: ['rbind', 'rw'] },
    ], Readable.from([tar]));
    expect(d.digest).toBe(sha256(tar));
    expect(fs.readFileSync(path.join(b, 'landed'), 'utf8')).toBe('in b');
    expect(fs.existsSync(path.join(a, 'landed'))).toBe(false);
  });

  it('unmounts and removes its temp dir when the layer is bad', async () => {
    const b = fs.mkdtempSync(path.join(env!.dir, 'bind-c-'));
    const bad = await tarLayer([{ name: '../escape', type: 'file', content: 'x' }]);
    const mounts = [
      { type: 'bind', source: b, options: ['rbind', 'rw'] },
      { type: 'bind', source: b, options: ['rbind', 'rw'] },
    ];
    await expect(apply(apiDesc(bad), mounts, Readable.from([bad]))).rejects.toThrow(/escapes the root/);
    const garbage = Buffer.alloc(2048, 0x41);
    await expect(apply(apiDesc(garbage), mounts, Readable.from([garbage]))).rejects.toThrow(/invalid tar archive/);
    // afterEach: no mount and no temp dir left
  });
});

// ---- the default busybox image, read with our own tar reader ----
const IMAGE = '/var/lib/strata/images/busybox.oci.tar';
interface Image {
  layers: { desc: Descriptor; blob: Buffer; diffId: string }[];
}
async function loadImage(): Promise<Image> {
  const outer = await readAllEntries(fs.readFileSync(IMAGE));
  const blob = (d: string) => outer.find((e) => e.header.name === `./blobs/sha256/${d.slice(7)}`)!.body;
  const index = JSON.parse(outer.find((e) => e.header.name === './index.json')!.body.toString());
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  const config = JSON.parse(blob(manifest.config.digest).toString());
  return { layers: manifest.layers.map((l: Descriptor, i: number) => ({ desc: l, blob: blob(l.digest), diffId: config.rootfs.diff_ids[i] })) };
}
const applyFrom = (img: Image) => (desc: Descriptor, mounts: import('../src/types').Mount[]) => {
  const l = img.layers.find((x) => x.desc.digest === desc.digest)!;
  return apply(desc, mounts, Readable.from([l.blob]));
};

describe.skipIf(!isRoot || !fs.existsSync(IMAGE))('unpack', () => {
  const ns = 'unpack';
  let img: Image;
  beforeAll(async () => {
    img = await loadImage();
  });

  for (const which of ['overlay', 'native'] as const) {
    it(`unpacks the busybox image into ${which} snapshots named by chain ID, once`, async () => {
      const sn: Snapshotter = env![which];
      const seen: string[] = [];
      const layers: UnpackLayer[] = img.layers.map((l) => ({ desc: l.desc, diffId: l.diffId }));
      const r = await unpack(layers, sn, ns, applyFrom(img), { onApplied: (l) => void seen.push(l.desc.digest) });
      expect(r.chainId).toBe(img.layers[0].diffId); // ChainID(L0) = DiffID(L0)
      expect(r.applied).toHaveLength(1);
      expect(seen).toEqual([img.layers[0].desc.digest]);
      const info = await sn.stat(ns, r.chainId);
      expect(info).toMatchObject({ kind: 'committed', parent: '', labels: { [LABEL_SNAPSHOT_REF]: r.chainId } });
      expect((await sn.walk(ns)).filter((i) => i.name.startsWith('extract-'))).toEqual([]);
      const again = await unpack(layers, sn, ns, applyFrom(img));
      expect(again).toMatchObject({ chainId: r.chainId, applied: [], reused: 1 });
      await withMounted(await sn.view(ns, 'bb-view', r.chainId), (root) => {
        expect(fs.statSync(path.join(root, 'bin/sh')).size).toBeGreaterThan(500_000);
        expect(fs.statSync(path.join(root, 'bin/sh')).ino).toBe(fs.statSync(path.join(root, 'bin/ls')).ino); // applets stay hardlinks
        expect(fs.statSync(path.join(root, 'tmp')).mode & 0o7777).toBe(0o1777);
      });
      await sn.remove(ns, 'bb-view');
    });
  }

  it('names a chain of 3 layers by image-spec chain IDs, each on its parent', async () => {
    const sn = env!.overlay;
    const blobs = [
      await tarLayer([{ name: 'one', type: 'file', content: '1' }]),
      await tarLayer([{ name: 'two', type: 'file', content: '2' }], { gzip: true }),
      await tarLayer([{ name: '.wh.one', type: 'file' }]),
    ];
    const diffIds = [sha256(blobs[0]), sha256(zlib.gunzipSync(blobs[1])), sha256(blobs[2])];
    const chain = chainIds(diffIds);
    expect(chain[0]).toBe(diffIds[0]);
    expect(chain[1]).toBe(sha256(`${diffIds[0]} ${diffIds[1]}`));
    expect(chain[2]).toBe(sha256(`${chain[1]} ${diffIds[2]}`));
    const layers = blobs.map((b, i) => ({ desc: apiDesc(b), diffId: diffIds[i] }));
    const r = await unpack(layers, sn, 'chain3', (d, m) => apply(d, m, Readable.from([blobs.find((b) => sha256(b) === d.digest)!])));
    expect(r.chainId).toBe(chain[2]);
    expect((await sn.stat('chain3', chain[2])).parent).toBe(chain[1]);
    expect((await sn.stat('chain3', chain[1])).parent).toBe(chain[0]);
    await withMounted(await sn.view('chain3', 'v', chain[2]), (root) => expect(fs.readdirSync(root)).toEqual(['two']));
    await sn.remove('chain3', 'v');
  });

  it('detects a diff_id mismatch: error, the extraction snapshot removed, earlier layers kept', async () => {
    for (const sn of [env!.overlay, env!.native] as Snapshotter[]) {
      const blobs = [await tarLayer([{ name: 'ok', type: 'file', content: 'ok' }]), await tarLayer([{ name: 'bad', type: 'file', content: 'b' }])];
      const layers = [
        { desc: apiDesc(blobs[0]), diffId: sha256(blobs[0]) },
        { desc: apiDesc(blobs[1]), diffId: sha256('what the config claims') },
      ];
      const applyFn = (d: Descriptor, m: import('../src/types').Mount[]) => apply(d, m, Readable.from([blobs.find((b) => sha256(b) === d.digest)!]));
      await expect(unpack(layers, sn, 'mismatch', applyFn)).rejects.toMatchObject({ code: 'DATA_LOSS', message: /wrong diff id calculated on extraction/ });
      const names = (await sn.walk('mismatch')).map((i) => i.name);
      expect(names).toEqual([layers[0].diffId]);
      expect(orphanDirs(env!)).toEqual([]);
      // a blob whose bytes do not match its digest is refused the same way
      const tampered = [{ desc: { ...apiDesc(blobs[1]), digest: sha256('other') }, diffId: sha256(blobs[1]) }];
      await expect(unpack(tampered, sn, 'tampered', (d, m) => apply(d, m, Readable.from([blobs[1]])))).rejects.toMatchObject({ code: 'DATA_LOSS' });
      expect(await sn.walk('tampered')).toEqual([]);
      expect(orphanDirs(env!)).toEqual([]);
    }
  });

  it('lets two concurrent unpacks of the same image share one snapshot', async () => {
    const sn = env!.native;
    const layers = img.layers.map((l) => ({ desc: l.desc, diffId: l.diffId }));
    const [a, b] = await Promise.all([unpack(layers, sn, 'twice', applyFrom(img)), unpack(layers, sn, 'twice', applyFrom(img))]);
    expect(a.chainId).toBe(b.chainId);
    expect(a.applied.length + b.applied.length).toBe(1);
    expect((await sn.walk('twice')).map((i) => i.name)).toEqual([a.chainId]);
  });
});

describe.skipIf(!isRoot || !fs.existsSync(IMAGE))('Diff.Compare', () => {
  const ns = 'compare';
  let img: Image;
  let base: string;
  let upperTree: Record<string, string>;
  beforeAll(async () => {
    img = await loadImage();
    const layers = img.layers.map((l) => ({ desc: l.desc, diffId: l.diffId }));
    base = (await unpack(layers, env!.overlay, ns, applyFrom(img))).chainId;
    await unpack(layers, env!.native, ns, applyFrom(img));
    // a container's changes, made through the mounted overlay
    await withMounted(await env!.overlay.prepare(ns, 'container', base), (root) => {
      const p = (x: string) => path.join(root, x);
      fs.writeFileSync(p('etc/added'), 'new file\n', { mode: 0o600 });
      fs.chownSync(p('etc/added'), 1000, 1000);
      lsetxattr(p('etc/added'), 'user.origin', 'compare-test');
      fs.appendFileSync(p('etc/passwd'), 'app:x:1000:1000::/home/app:/bin/sh\n');
      fs.chmodSync(p('etc/hostname'), 0o600); // metadata-only change
      fs.rmSync(p('bin/ls')); // one name of the busybox inode
      fs.rmSync(p('etc/group'));
      fs.rmSync(p('home'), { recursive: true });
      fs.rmSync(p('mnt'), { recursive: true });
      fs.writeFileSync(p('mnt'), 'a file where a directory was');
      fs.rmSync(p('usr/sbin'), { recursive: true }); // dozens of applets...
      fs.mkdirSync(p('usr/sbin'));
      fs.writeFileSync(p('usr/sbin/only'), 'the only one now'); // ...replaced: overlayfs makes usr/sbin opaque
      fs.symlinkSync('/usr/share/zoneinfo/UTC', p('etc/localtime'));
      fs.linkSync(p('bin/sh'), p('bin/sh2'));
      fs.mkdirSync(p('srv/data/deep'), { recursive: true });
      fs.writeFileSync(p('srv/data/deep/f'), crypto.randomBytes(100_000));
      mkfifo(p('srv/fifo'), 0o600);
    });
    upperTree = await withMounted(await env!.overlay.mounts(ns, 'container'), (root) => describeTree(root));
  });

  for (const mediaType of [MEDIA_TYPE_LAYER_GZIP, MEDIA_TYPE_LAYER]) {
    it(`writes a ${mediaType === MEDIA_TYPE_LAYER ? 'plain' : 'gzip'} layer that, applied on the lower with the native snapshotter, yields the upper`, async () => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const lower = await env!.overlay.view(ns, 'lower-view', base);
      const r = await compare(lower, await env!.overlay.mounts(ns, 'container'), { mediaType, out });
      await env!.overlay.remove(ns, 'lower-view');
      const blob = Buffer.concat(chunks);
      expect(r.desc).toEqual({ mediaType, digest: sha256(blob), size: blob.length });
      const tar = mediaType === MEDIA_TYPE_LAYER ? blob : zlib.gunzipSync(blob);
      expect(r.diffId).toBe(sha256(tar));
      expect(r.uncompressedSize).toBe(tar.length);

      const names = (await readAllEntries(tar)).map((e) => e.header.name);
      expect(names).toEqual(expect.arrayContaining(['bin/.wh.ls', 'etc/.wh.group', '.wh.home', 'usr/sbin/', 'usr/sbin/.wh..wh..opq', 'usr/sbin/only', 'etc/added', 'etc/passwd', 'mnt', 'srv/', 'srv/data/deep/f']));
      expect(names.filter((n) => n.startsWith('usr/sbin/.wh.') && !n.endsWith('.opq'))).toEqual([]); // one opaque marker, no per-file whiteouts
      expect(names.indexOf('etc/')).toBeLessThan(names.indexOf('etc/added')); // parents first
      expect(names.filter((n) => n.startsWith('bin/') && !n.startsWith('bin/.wh.') && n !== 'bin/')).toEqual(expect.arrayContaining(['bin/sh', 'bin/sh2']));

      // apply on a copy of the lower made by the native snapshotter
      const key = `verify-${mediaType.length}`;
      const mounts = await env!.native.prepare(ns, key, base);
      expect((await apply(r.desc, mounts, Readable.from([blob]))).digest).toBe(r.diffId);
      await withMounted(mounts, (root) => {
        const got = describeTree(root);
        expect(got).toEqual(upperTree);
        expect(fs.readFileSync(path.join(root, 'usr/sbin/only'), 'utf8')).toBe('the only one now');
        expect(lgetxattr(path.join(root, 'etc/added'), 'user.origin')?.toString()).toBe('compare-test');
      });
      // and on the overlay snapshotter: the same merged tree
      const om = await env!.overlay.prepare(ns, `o-${key}`, base);
      await apply(r.desc, om, Readable.from([blob]));
      await withMounted(om, (root) => expect(describeTree(root)).toEqual(upperTree));
      await env!.native.remove(ns, key);
      await env!.overlay.remove(ns, `o-${key}`);
    });
  }

  it('writes an empty layer when nothing changed', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const m = await env!.native.prepare(ns, 'unchanged', base);
    const lower = await env!.native.view(ns, 'unchanged-lower', base);
    const r = await compare(lower, m, { mediaType: MEDIA_TYPE_LAYER, out });
    expect(r.uncompressedSize).toBe(1024); // just the end-of-archive marker
    expect(Buffer.concat(chunks).equals(Buffer.alloc(1024))).toBe(true);
    await env!.native.remove(ns, 'unchanged');
    await env!.native.remove(ns, 'unchanged-lower');
  });

  it('diffs against nothing (no parent: lower is an empty dir)', async () => {
    const m = await env!.native.prepare(ns, 'from-scratch', '');
    await withMounted(m, (root) => fs.writeFileSync(path.join(root, 'only'), 'x'));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await compare([], m, { mediaType: MEDIA_TYPE_LAYER, out });
    expect((await readAllEntries(Buffer.concat(chunks))).map((e) => e.header.name)).toEqual(['only']);
    await env!.native.remove(ns, 'from-scratch');
  });

  it('cleans up its mounts when the destination fails midway', async () => {
    const out = new PassThrough({
      write(_c, _e, cb) {
        cb(new Error('content store full (simulated)'));
      },
    });
    const lower = await env!.overlay.view(ns, 'fail-lower', base);
    await expect(compare(lower, await env!.overlay.mounts(ns, 'container'), { mediaType: MEDIA_TYPE_LAYER, out })).rejects.toThrow(/content store full/);
    await env!.overlay.remove(ns, 'fail-lower');
    // afterEach: no mount and no temp dir left
  });

  it('refuses media types it cannot write', async () => {
    await expect(compare([], [], { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', out: new PassThrough() })).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
  });
});

describe.skipIf(!isRoot)('applyBlob fixture', () => {
  it('works on a fresh native snapshot (sanity for the other files)', async () => {
    const m = await env!.native.prepare('fixture', 'k', '');
    await applyBlob(m, await tarLayer([{ name: 'x', type: 'file', content: '1' }]));
    await env!.native.remove('fixture', 'k');
  });
});
