// The overlay and native snapshotters against the real kernel (root): kinds and parent chains,
// containerd's mount shapes and errors, whiteouts and opaque directories seen through real
// mounts, usage, atomic creation, cleanup, and no leaked mounts or directories.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isManagerError } from '../src/errors';
import { readMountInfo } from '@strata/linux';
import { cleanupTempMounts, DirSnapshotter, mountOne, mountsUnder, openSnapshotters, overlaySupported, snapshotLifecycle, type SnapshotKind, type Snapshotter } from '../src/snapshots';
import { describeTree, tarLayer } from './archiveFixtures';
import { commitLayer, isRoot, leftovers, makeEnv, orphanDirs, withMounted } from './snapFixtures';

const env = isRoot ? makeEnv('strata-snap-') : undefined;
afterAll(() => env?.close());
afterEach(() => {
  if (env) expect(leftovers(env)).toEqual([]);
});

const code = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e) => (isManagerError(e) ? e.code : `not a ManagerError: ${e}`),
  );

// Three layers exercising every kind of change (image-spec layer.md#changesets, #whiteouts).
const layer1 = () =>
  tarLayer([
    { name: 'etc', type: 'dir' },
    { name: 'etc/hostname', type: 'file', content: 'one\n' },
    { name: 'etc/gone', type: 'file', content: 'deleted by layer 2\n' },
    { name: 'tmp', type: 'dir', mode: 0o1777 },
    { name: 'opq', type: 'dir', mode: 0o750, uid: 7, gid: 8 },
    { name: 'opq/old1', type: 'file', content: 'hidden by the opaque marker' },
    { name: 'opq/sub', type: 'dir' },
    { name: 'opq/sub/old2', type: 'file', content: 'hidden too' },
    { name: 'dir-gone', type: 'dir' },
    { name: 'dir-gone/f', type: 'file', content: 'the whole directory goes' },
    { name: 'bin', type: 'dir' },
    { name: 'bin/tool', type: 'file', content: '#!/bin/sh\n', mode: 0o755 },
    { name: 'bin/tool-link', type: 'hardlink', linkname: 'bin/tool' },
    { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
  ]);
const layer2 = () =>
  tarLayer(
    [
      { name: 'etc/.wh.gone', type: 'file' },
      { name: '.wh.dir-gone', type: 'file' },
      { name: 'opq/.wh..wh..opq', type: 'file' },
      { name: 'opq/new', type: 'file', content: 'only this survives in opq' },
      { name: 'tmp/created-in-2', type: 'file', content: 'tmp must keep mode 1777' },
      { name: 'etc/hostname', type: 'file', content: 'two\n' },
    ],
    { gzip: true },
  );
const layer3 = () =>
  tarLayer([
    { name: 'etc/gone', type: 'file', content: 'back again in layer 3\n' },
    { name: 'opq/sub', type: 'dir' },
    { name: 'opq/sub/fresh', type: 'file', content: 'new in 3' },
    { name: 'bin/tool', type: 'file', content: 'replaced\n', mode: 0o700 },
    { name: 'dev', type: 'dir' },
    { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'fifo', type: 'fifo', mode: 0o600 },
  ]);

/** The tree the three layers must produce, whatever the snapshotter. */
function expectFinalTree(root: string): void {
  const t = describeTree(root);
  const paths = Object.keys(t).sort();
  expect(paths).toEqual(
    ['.', 'bin', 'bin/tool', 'bin/tool-link', 'dev', 'dev/null', 'etc', 'etc/gone', 'etc/hostname', 'fifo', 'lib', 'opq', 'opq/new', 'opq/sub', 'opq/sub/fresh', 'tmp', 'tmp/created-in-2'].sort(),
  );
  expect(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('two\n');
  expect(fs.readFileSync(path.join(root, 'etc/gone'), 'utf8')).toBe('back again in layer 3\n');
  expect(fs.readFileSync(path.join(root, 'bin/tool'), 'utf8')).toBe('replaced\n');
  expect(fs.readFileSync(path.join(root, 'bin/tool-link'), 'utf8')).toBe('#!/bin/sh\n'); // the old inode
  expect(fs.lstatSync(path.join(root, 'tmp')).mode & 0o7777).toBe(0o1777);
  expect(fs.lstatSync(path.join(root, 'opq')).mode & 0o7777).toBe(0o750);
  expect(fs.lstatSync(path.join(root, 'opq')).uid).toBe(7);
  expect(fs.lstatSync(path.join(root, 'bin/tool')).mode & 0o7777).toBe(0o700);
  expect(fs.readlinkSync(path.join(root, 'lib'))).toBe('usr/lib');
  expect(fs.lstatSync(path.join(root, 'dev/null')).isCharacterDevice()).toBe(true);
  expect(fs.lstatSync(path.join(root, 'fifo')).isFIFO()).toBe(true);
}

describe.skipIf(!isRoot)('snapshotters', () => {
  it('detects overlayfs with a real trial mount, and opens both snapshotters', async () => {
    expect(await overlaySupported(path.join(env!.dir, 'probe'))).toBe(true);
    const all = await openSnapshotters({ db: env!.db, root: (n) => path.join(env!.dir, 'opened', n) });
    expect(Object.keys(all).sort()).toEqual(['native', 'overlayfs']);
    expect(fs.readdirSync(path.join(env!.dir, 'probe'))).toEqual([]);
  });

  it('has the lifecycle as data: only active snapshots commit, only committed ones are parents', () => {
    expect(snapshotLifecycle.operations.commit).toEqual({ from: ['active'], to: 'committed' });
    expect(snapshotLifecycle.operations.prepare.parent).toEqual(['committed']);
  });

  describe('overlayfs mount shapes (containerd snapshots/overlay/overlay.go)', () => {
    const ns = 'shapes';
    it('bind for no parent, overlay with upper/work/lower chain for active, bind or lowerdir-only overlay for views', async () => {
      const sn = env!.overlay;
      const dir = (id: string) => path.join(sn.root, 'snapshots', id, 'fs');
      const idOf = (key: string) => String((env!.db.prepare("SELECT id FROM snapshots WHERE namespace = ? AND key = ? AND snapshotter = 'overlayfs'").get(ns, key) as { id: number }).id);
      const index = fs.existsSync('/sys/module/overlay/parameters/index') ? ['index=off'] : [];

      const base = await sn.prepare(ns, 'base-active', '');
      expect(base).toEqual([{ type: 'bind', source: dir(idOf('base-active')), options: ['rw', 'rbind'] }]);
      expect(fs.statSync(path.join(sn.root, 'snapshots', idOf('base-active'), 'work')).isDirectory()).toBe(true);
      await sn.commit(ns, 'base', 'base-active');
      const l1 = idOf('base');

      expect(await sn.view(ns, 'empty-view', '')).toEqual([{ type: 'bind', source: dir(idOf('empty-view')), options: ['ro', 'rbind'] }]);
      expect(await sn.view(ns, 'view1', 'base')).toEqual([{ type: 'bind', source: dir(l1), options: ['ro', 'rbind'] }]);
      const child = await sn.prepare(ns, 'child-active', 'base');
      const c = idOf('child-active');
      expect(child).toEqual([
        {
          type: 'overlay',
          source: 'overlay',
          options: [...index, `workdir=${path.join(sn.root, 'snapshots', c, 'work')}`, `upperdir=${dir(c)}`, `lowerdir=${dir(l1)}`],
        },
      ]);
      await sn.commit(ns, 'second', 'child-active');
      expect(await sn.view(ns, 'view2', 'second')).toEqual([{ type: 'overlay', source: 'overlay', options: [...index, `lowerdir=${dir(c)}:${dir(l1)}`] }]);
      expect(await sn.mounts(ns, 'view2')).toEqual(await sn.mounts(ns, 'view2'));
      // a view owns no work dir
      expect(fs.existsSync(path.join(sn.root, 'snapshots', idOf('view2'), 'work'))).toBe(false);
      for (const k of ['view2', 'view1', 'empty-view', 'second', 'base']) await sn.remove(ns, k);
    });
  });

  describe('native mount shapes (containerd snapshots/native/native.go)', () => {
    it('binds the snapshot dir; a view of a parent binds the parent read-only', async () => {
      const sn = env!.native;
      const ns = 'shapes';
      const d = (key: string) => path.join(sn.root, 'snapshots', String((env!.db.prepare("SELECT id FROM snapshots WHERE namespace = ? AND key = ? AND snapshotter = 'native'").get(ns, key) as { id: number }).id));
      expect(await sn.prepare(ns, 'a', '')).toEqual([{ type: 'bind', source: d('a'), options: ['rbind', 'rw'] }]);
      await sn.commit(ns, 'A', 'a');
      expect(await sn.prepare(ns, 'b', 'A')).toEqual([{ type: 'bind', source: d('b'), options: ['rbind', 'rw'] }]);
      expect(await sn.view(ns, 'v', 'A')).toEqual([{ type: 'bind', source: d('A'), options: ['rbind', 'ro'] }]);
      expect(fs.existsSync(d('v'))).toBe(false); // a view gets no copy
      for (const k of ['v', 'b', 'A']) await sn.remove(ns, k);
    });
  });

  for (const which of ['overlay', 'native'] as const) {
    describe(`${which} snapshotter`, () => {
      const sn = (): Snapshotter => env![which];
      const ns = `ns-${which}`;

      it('applies a chain of 3 layers with whiteouts and opaque dirs; the mounted view shows the merged tree', async () => {
        const s = sn();
        await commitLayer(s, ns, 'L1', '', await layer1());
        await commitLayer(s, ns, 'L2', 'L1', await layer2());
        await commitLayer(s, ns, 'L3', 'L2', await layer3());
        expect((await s.stat(ns, 'L3')).parent).toBe('L2');
        // the view (read-only) and a fresh active child both show the same merged tree
        await withMounted(await s.view(ns, 'final-view', 'L3'), (root) => expectFinalTree(root));
        await withMounted(await s.prepare(ns, 'final-rw', 'L3'), (root) => expectFinalTree(root));
        if (which === 'overlay') {
          // on disk, layer 2 holds overlayfs' own whiteout forms
          const upper2 = (await s.mounts(ns, 'final-view'))[0].options.find((o) => o.startsWith('lowerdir='))!.slice(9).split(':')[1];
          const wh = fs.lstatSync(path.join(upper2, 'etc/gone'), { bigint: true });
          expect(wh.isCharacterDevice() && wh.rdev === 0n).toBe(true);
          const { lgetxattr } = await import('../src/archive/syscalls');
          expect(lgetxattr(path.join(upper2, 'opq'), 'trusted.overlay.opaque')?.toString()).toBe('y');
        }
        await s.remove(ns, 'final-view');
        await s.remove(ns, 'final-rw');
      });

      it('keeps a view read-only and an active snapshot writable', async () => {
        const s = sn();
        await withMounted(await s.view(ns, 'ro', 'L3'), (root) => {
          expect(() => fs.writeFileSync(path.join(root, 'x'), 'x')).toThrow(/EROFS/);
        });
        await withMounted(await s.prepare(ns, 'rw', 'L3'), (root) => {
          fs.writeFileSync(path.join(root, 'etc/hostname'), 'changed in active\n');
        });
        // the change is the active snapshot's only: the parent chain is untouched
        await withMounted(await s.mounts(ns, 'rw'), (root) => expect(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('changed in active\n'));
        await withMounted(await s.mounts(ns, 'ro'), (root) => expect(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('two\n'));
        await s.remove(ns, 'ro');
        await s.remove(ns, 'rw');
      });

      it('commits, then prepares a child of the commit that sees its files', async () => {
        const s = sn();
        await withMounted(await s.prepare(ns, 'work', 'L3'), (root) => fs.writeFileSync(path.join(root, 'added'), 'from the container'));
        await s.commit(ns, 'C', 'work', { note: 'committed' });
        const info = await s.stat(ns, 'C');
        expect(info).toMatchObject({ kind: 'committed' satisfies SnapshotKind, name: 'C', parent: 'L3', labels: { note: 'committed' } });
        expect(await code(s.stat(ns, 'work'))).toBe('NOT_FOUND'); // the key became the name
        await withMounted(await s.prepare(ns, 'child', 'C'), (root) => {
          expect(fs.readFileSync(path.join(root, 'added'), 'utf8')).toBe('from the container');
          expect(fs.readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('two\n');
        });
        await s.remove(ns, 'child');
      });

      it("refuses what containerd refuses, with containerd's error kinds", async () => {
        const s = sn();
        await s.prepare(ns, 'act', 'L1');
        expect(await code(s.prepare(ns, 'act', 'L1'))).toBe('ALREADY_EXISTS');
        expect(await code(s.prepare(ns, 'x', 'no-such-parent'))).toBe('NOT_FOUND');
        expect(await code(s.prepare(ns, 'x', 'act'))).toBe('INVALID_ARGUMENT'); // parent must be committed
        expect(await code(s.commit(ns, 'L1', 'act'))).toBe('ALREADY_EXISTS'); // name taken
        expect(await code(s.commit(ns, 'new', 'missing'))).toBe('NOT_FOUND');
        expect(await code(s.commit(ns, 'new', 'L1'))).toBe('FAILED_PRECONDITION'); // committed is not active
        await s.view(ns, 'v', 'L1');
        expect(await code(s.commit(ns, 'new', 'v'))).toBe('FAILED_PRECONDITION'); // views never commit
        expect(await code(s.mounts(ns, 'L1'))).toBe('FAILED_PRECONDITION'); // committed has no mounts
        expect(await code(s.remove(ns, 'L1'))).toBe('FAILED_PRECONDITION'); // it has children
        await expect(s.remove(ns, 'L1')).rejects.toThrow(/with child/);
        expect(await code(s.remove(ns, 'missing'))).toBe('NOT_FOUND');
        expect(await code(s.stat(ns, 'missing'))).toBe('NOT_FOUND');
        expect(await code(s.prepare(ns, '', ''))).toBe('INVALID_ARGUMENT');
        expect(await code(s.update(ns, { name: 'L1' }, ['parent']))).toBe('INVALID_ARGUMENT');
        // nothing of the failed calls is left: no rows, no directories
        expect(orphanDirs(env!)).toEqual([]);
        await s.remove(ns, 'v');
        await s.remove(ns, 'act');
      });

      it('keeps namespaces apart: the same key in two namespaces is two snapshots', async () => {
        const s = sn();
        await s.prepare('other', 'L1', '');
        expect((await s.stat('other', 'L1')).kind).toBe('active');
        expect((await s.stat(ns, 'L1')).kind).toBe('committed');
        expect(await code(s.stat('third', 'L1'))).toBe('NOT_FOUND');
        await s.remove('other', 'L1');
        expect((await s.stat(ns, 'L1')).kind).toBe('committed');
      });

      it('updates labels by field path, and walks with a filter', async () => {
        const s = sn();
        await s.update(ns, { name: 'L2', labels: { a: '1', b: '2' } });
        expect((await s.update(ns, { name: 'L2', labels: { b: '20', c: 'ignored' } }, ['labels.b'])).labels).toEqual({ a: '1', b: '20' });
        expect((await s.update(ns, { name: 'L2', labels: {} }, ['labels.a'])).labels).toEqual({ b: '20' }); // empty value removes
        const all = await s.walk(ns);
        expect(all.map((i) => i.name)).toEqual(['C', 'L1', 'L2', 'L3']);
        expect((await s.walk(ns, (i) => i.labels.b === '20')).map((i) => i.name)).toEqual(['L2']);
        expect((await s.walk(ns, (i) => i.parent === 'L1')).map((i) => i.name)).toEqual(['L2']);
        expect(await code(s.update(ns, { name: 'L2', labels: { k: 'v'.repeat(5000) } }))).toBe('INVALID_ARGUMENT');
      });

      it('reports usage: bytes and inodes of the snapshot itself, nothing for a view', async () => {
        const s = sn();
        const mounts = await s.prepare(ns, 'usage', 'L3');
        const before = await s.usage(ns, 'usage');
        await withMounted(mounts, (root) => {
          fs.writeFileSync(path.join(root, 'big'), Buffer.alloc(256 * 1024, 1));
          fs.mkdirSync(path.join(root, 'newdir'));
          fs.writeFileSync(path.join(root, 'newdir/small'), 'x');
          fs.linkSync(path.join(root, 'big'), path.join(root, 'big-link')); // counted once
        });
        const after = await s.usage(ns, 'usage');
        expect(after.size - before.size).toBeGreaterThanOrEqual(256 * 1024);
        expect(after.size - before.size).toBeLessThan(256 * 1024 + 64 * 1024);
        expect(after.inodes - before.inodes).toBe(3);
        await s.commit(ns, 'usage-c', 'usage');
        expect(await s.usage(ns, 'usage-c')).toEqual(after);
        await s.view(ns, 'usage-v', 'usage-c');
        expect(await s.usage(ns, 'usage-v')).toEqual({ size: 0, inodes: 0 });
        if (which === 'overlay') expect(before.inodes).toBe(1); // an overlay upper starts empty
        await s.remove(ns, 'usage-v');
        await s.remove(ns, 'usage-c');
      });

      it('creates atomically: a failure while building leaves no row and no directory', async () => {
        const s = sn() as DirSnapshotter;
        const proto = Object.getPrototypeOf(s) as { fillDir: (...a: unknown[]) => Promise<void> };
        const original = proto.fillDir;
        (s as unknown as { fillDir: typeof original }).fillDir = async function (this: unknown, ...a: unknown[]) {
          await original.apply(this, a);
          throw new Error('disk full (simulated)');
        };
        try {
          await expect(s.prepare(ns, 'doomed', 'L3')).rejects.toThrow('disk full (simulated)');
        } finally {
          delete (s as unknown as { fillDir?: unknown }).fillDir;
        }
        expect(await code(s.stat(ns, 'doomed'))).toBe('NOT_FOUND');
        expect(orphanDirs(env!)).toEqual([]);
      });

      it('lets exactly one of two concurrent prepares of the same key win', async () => {
        const s = sn();
        const results = await Promise.all([code(s.prepare(ns, 'race', 'L3')), code(s.prepare(ns, 'race', 'L3'))]);
        expect(results.sort()).toEqual(['ALREADY_EXISTS', 'ok']);
        expect(orphanDirs(env!)).toEqual([]);
        await s.remove(ns, 'race');
      });

      it('removes directories on remove, and cleanup() deletes what no snapshot owns', async () => {
        const s = sn() as DirSnapshotter;
        await s.prepare(ns, 'tmp-snap', 'L3');
        const id = (env!.db.prepare('SELECT id FROM snapshots WHERE namespace = ? AND key = ? AND snapshotter = ?').get(ns, 'tmp-snap', s.name) as { id: number }).id;
        expect(fs.existsSync(s.dirOf(id))).toBe(true);
        await s.remove(ns, 'tmp-snap');
        expect(fs.existsSync(s.dirOf(id))).toBe(false);
        // what a crash leaves: a renamed dir without its row, a half-built temp dir
        fs.mkdirSync(path.join(s.root, 'snapshots', '999999', 'fs'), { recursive: true });
        fs.mkdirSync(path.join(s.root, 'snapshots', 'new-crashed'));
        const removed = await s.cleanup();
        expect(removed.map((d) => path.basename(d)).sort()).toEqual(['999999', 'new-crashed']);
        expect(orphanDirs(env!)).toEqual([]);
        expect((await s.walk(ns)).length).toBeGreaterThan(0); // owned snapshots untouched
      });

      it('tears the chain down leaf first, leaving nothing', async () => {
        const s = sn();
        for (const k of ['C', 'L3', 'L2', 'L1']) await s.remove(ns, k);
        expect(await s.walk(ns)).toEqual([]);
        expect(fs.readdirSync(path.join(s.root, 'snapshots'))).toEqual([]);
      });
    });
  }

  it('cleans up temp mounts a crashed run left behind', async () => {
    const stray = path.join(env!.tmpMounts, 'strata-mount-crashed');
    fs.mkdirSync(stray);
    mountOne({ type: 'bind', source: env!.dir, options: ['rbind', 'ro'] }, stray);
    expect(mountsUnder(env!.tmpMounts)).toContain(stray);
    expect(await cleanupTempMounts()).toContain(stray);
    expect(mountsUnder(env!.tmpMounts)).toEqual([]);
    expect(fs.readdirSync(env!.tmpMounts)).toEqual([]);
  });

  it('leaves no overlay or bind mount of ours in /proc/self/mountinfo', () => {
    const ours = readMountInfo('self').filter((m) => m.mountPoint.startsWith(env!.dir) || m.superOptions.includes(env!.dir));
    expect(ours).toEqual([]);
  });
});
