// Checkpoint and restore through strata-manager (Tasks.Checkpoint, Tasks.Create with
// `checkpoint`) and strata-ctr (containers checkpoint/restore, tasks checkpoint).
//   everywhere: the refusals and failure paths, which need no working CRIU: a checkpoint where
//     `criu check` fails (CRIU's reason reaches the caller, the task keeps running, nothing
//     stays behind), wrong states, bad descriptors, restore onto an existing id, a non-live
//     restore with the rw layer, strata-ctr's messages and exit codes;
//   where `criu check` passes (the Debian 12 guest of scripts/vm, `npm run test:checkpoint`):
//     the counter checkpointed and restored with our shim and with containerd-shim-runc-v2 + runc;
//     the real ctr against strata-manager; strata-ctr against the real containerd 1.6.
// Time limits are generous (SLOW_MS): under the guest's software emulation every process start
// takes seconds, and a loaded CI host is slow too.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnyType, encode } from '@strata/shim/proto';
import { built, defaultImage, has, isRoot, PrivateContainerd, processesMatching, shimBin, waitFor } from '@strata/shim/testing';
import { CheckpointAnnotation } from '../src/client/checkpoint';
import { ManagerClient } from '../src/client/client';
import { RemoteContentStore } from '../src/client/remoteStores';
import { ManagerError } from '../src/errors';
import { CheckpointMediaType, MediaType } from '../src/images/mediaTypes';
import { GC_REF_PREFIX } from '../src/images/manifest';
import { IMAGE, ManagerDaemon, ctrBin, managerBin, mountsBelow } from './harness';

const ready = isRoot && has('ctr') && built && fs.existsSync(managerBin) && fs.existsSync(ctrBin) && fs.existsSync(defaultImage);
const criuCheck = has('criu') ? spawnSync('criu', ['check'], { encoding: 'utf8' }) : undefined;
const criuWorks = criuCheck?.status === 0;
/** CRIU's own words for why it cannot work here (the first "Error (...)" line of `criu check`). */
const criuReason = criuWorks || !criuCheck ? '' : `${criuCheck.stderr}\n${criuCheck.stdout}`.split('\n').find((l) => l.includes('Error ('))?.replace(/^Error \([^)]*\):\s*/, '') ?? '';

// The counter writes inside the container (/dev/shm is the container's own tmpfs, so CRIU dumps
// its content with the processes): `run -d` gives the task the host's /dev/null, an fd CRIU
// cannot dump, so the process moves its stdio into the container first.
const COUNTER = ['sh', '-c', 'exec </dev/null >/dev/shm/count 2>&1; i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'];
const numbers = (text: string) => text.split('\n').filter(Boolean).map(Number);

/** Our shim by path: the guest VM has strata-runtime on PATH but no containerd-shim-strata-v2 link. */
const SHIM_CONFIG = `[runtimes."io.containerd.strata.v2"]\n  shim = "${shimBin}"`;

const SLOW_MS = 600_000;

const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e) => (e instanceof ManagerError ? e.code : String(e)));
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e) => e as ManagerError);

describe.skipIf(!ready)('checkpoint/restore through strata-manager: failures and refusals (any host)', () => {
  const m = new ManagerDaemon(SHIM_CONFIG);
  let c: ManagerClient;
  beforeAll(() => {
    m.start();
    expect(m.ctr(['images', 'import', defaultImage]).status).toBe(0);
    c = new ManagerClient(m.sock, m.ns);
  }, SLOW_MS);
  afterAll(() => {
    c?.close();
    m.stop();
  });

  // strata-ctr with room for software emulation (the guest), where each process start takes seconds.
  const sc = (args: string[]) => m.strataCtr(args, { timeout: 600_000 });
  const checkpointDirs = () => (fs.existsSync(`${m.dir}/state/checkpoints`) ? fs.readdirSync(`${m.dir}/state/checkpoints`) : []);
  const contentDigests = async () => (await c.content.list()).map((i) => i.digest).sort();
  const runCounter = (id: string, runtime = 'io.containerd.strata.v2') => {
    const r = sc(['run', '-d', '--runtime', runtime, IMAGE, id, ...COUNTER]);
    expect(r.status, r.stderr).toBe(0);
  };
  const status = async (id: string) => (await c.tasks.get(id)).status;
  const removeAll = (id: string) => sc(['rm', '-f', id]);

  it.skipIf(criuWorks || !has('criu'))('a checkpoint where `criu check` fails: CRIU\'s reason, the task still running, nothing left', async () => {
    const id = 'ck-nocriu';
    runCounter(id);
    try {
      const before = await contentDigests();
      const leases = (await c.leases.list()).map((l) => l.id);
      // The API call, as containerd's client makes it: under a lease.
      const e = await errorOf(c.withLease(() => c.tasks.checkpoint(id)));
      expect(e?.message).toContain('criu check failed');
      expect(e?.message).toContain(criuReason);
      expect(await status(id)).toBe(2); // RUNNING
      expect(checkpointDirs()).toEqual([]);
      expect(await contentDigests()).toEqual(before);
      expect(await c.content.statuses()).toEqual([]); // no ingest left
      expect((await c.leases.list()).map((l) => l.id)).toEqual(leases);
      // strata-ctr: the error and exit 1; the task it paused is resumed; no image is named.
      for (const args of [['c', 'checkpoint', '--task', id, 'strata.local/ck:nocriu'], ['t', 'checkpoint', id]]) {
        const r = sc(args);
        expect(r.status, r.stderr).toBe(1);
        expect(r.stderr).toContain(criuReason);
        expect(await status(id)).toBe(2);
      }
      expect((await c.images.list()).map((i) => i.name)).toEqual([IMAGE]);
      expect(checkpointDirs()).toEqual([]);
      expect(await contentDigests()).toEqual(before);
    } finally {
      removeAll(id);
    }
  }, SLOW_MS);

  it('Tasks.Checkpoint is refused without a running or paused task', async () => {
    expect(await codeOf(c.tasks.checkpoint('nosuch'))).toBe('NOT_FOUND');
    expect(await codeOf(c.tasks.checkpoint(''))).toBe('INVALID_ARGUMENT');
    runCounter('ck-states');
    try {
      await c.tasks.kill('ck-states', 9);
      await c.tasks.wait('ck-states');
      expect(await codeOf(c.tasks.checkpoint('ck-states'))).toBe('FAILED_PRECONDITION'); // stopped
      await c.tasks.delete('ck-states');
      expect(await codeOf(c.tasks.checkpoint('ck-states'))).toBe('NOT_FOUND'); // container, no task
      const mounts = await c.snapshots().mounts('ck-states');
      await c.tasks.create({ containerId: 'ck-states', rootfs: mounts });
      const e = await errorOf(c.tasks.checkpoint('ck-states')); // created: no process to dump yet
      expect(e?.code).toBe('FAILED_PRECONDITION');
      expect(e?.message).toMatch(/cannot checkpoint task ck-states in state created/);
      expect(checkpointDirs()).toEqual([]);
    } finally {
      removeAll('ck-states');
    }
  }, SLOW_MS);

  it('Tasks.Create with a bad checkpoint descriptor: InvalidArgument naming the field, NOT_FOUND for missing content, no shim started', async () => {
    const id = 'ck-badcreate';
    expect(sc(['run', '-d', IMAGE, id, 'true']).status).toBe(0);
    try {
      await c.tasks.wait(id);
      await c.tasks.delete(id);
      const mounts = await c.snapshots().mounts(id);
      const layer = (await c.content.list()).find((i) => i.size > 1000)!; // some blob that is not a criu tar
      const wrongType = await errorOf(c.tasks.create({ containerId: id, rootfs: mounts, checkpoint: { mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size, annotations: {} } }));
      expect(wrongType?.code).toBe('INVALID_ARGUMENT');
      expect(wrongType?.message).toContain('checkpoint.media_type');
      const missing = await errorOf(c.tasks.create({ containerId: id, rootfs: mounts, checkpoint: { mediaType: CheckpointMediaType.criu, digest: `sha256:${'0'.repeat(64)}`, size: 10, annotations: {} } }));
      expect(missing?.code).toBe('NOT_FOUND');
      expect(missing?.message).toContain('checkpoint.digest');
      expect(m.bundles()).not.toContain(id);
      expect(processesMatching(`-id\0${id}\0`)).toEqual([]);
    } finally {
      removeAll(id);
    }
  }, SLOW_MS);

  it('a checkpoint without --task (rw layer, image) restores afresh under a new id, with the rw layer; an existing id is refused', async () => {
    const id = 'ck-rw';
    const ref = 'strata.local/checkpoint/ck-rw:1';
    runCounter(id);
    try {
      const ex = sc(['exec', id, 'sh', '-c', 'echo kept > /marker']);
      expect(ex.status, ex.stderr).toBe(0);
      const ck = sc(['containers', 'checkpoint', '--rw', '--image', id, ref]);
      expect(ck.status, ck.stderr).toBe(0);
      expect(ck.stdout).toBe(''); // as ctr: silent
      expect(await status(id)).toBe(2); // paused for the diff, resumed
      const img = await c.images.get(ref);
      expect(img.target?.mediaType).toBe(MediaType.ociIndex);
      const index = JSON.parse((await c.content.read({ digest: img.target!.digest, size: Number(img.target!.size) })).toString());
      expect(index.annotations).toMatchObject({ [CheckpointAnnotation.imageName]: IMAGE, [CheckpointAnnotation.runtime]: 'io.containerd.strata.v2', [CheckpointAnnotation.snapshotter]: 'overlayfs' });
      expect(index.manifests.map((d: { mediaType: string }) => d.mediaType)).toEqual([(await c.images.get(IMAGE)).target!.mediaType, MediaType.ociLayerGzip]);

      // A restore needs the spec, which only a task checkpoint stores: refused, nothing made.
      const noSpec = sc(['c', 'restore', 'ck-rw2', ref]);
      expect(noSpec.status).toBe(1);
      expect(noSpec.stderr).toContain(CheckpointMediaType.config);
      expect(await codeOf(c.containers.get('ck-rw2'))).toBe('NOT_FOUND');
      expect(await c.snapshots().exists('ck-rw2')).toBe(false);

      // Add the spec part by hand (what Tasks.Checkpoint would have written): the restore works.
      const container = await c.containers.get(id);
      const store = new RemoteContentStore(c);
      const spec = await store.put(m.ns, {}, Buffer.from(encode(AnyType, container.spec)));
      index.manifests.push({ mediaType: CheckpointMediaType.config, digest: spec.digest, size: spec.size });
      const labels = Object.fromEntries(index.manifests.map((d: { digest: string }, i: number) => [`${GC_REF_PREFIX}${i}`, d.digest]));
      const put = await store.put(m.ns, {}, Buffer.from(JSON.stringify(index)), labels);
      await c.images.update({ name: ref, target: { mediaType: MediaType.ociIndex, digest: put.digest, size: put.size } }, ['target']);

      // Onto an existing id: ALREADY_EXISTS, and the existing container is untouched.
      const snapsBefore = (await c.snapshots().list()).map((s) => s.name).sort();
      const taken = sc(['c', 'restore', '--rw', id, ref]);
      expect(taken.status).toBe(1);
      expect(taken.stderr).toMatch(/already exists/);
      expect(await status(id)).toBe(2);
      expect((await c.snapshots().list()).map((s) => s.name).sort()).toEqual(snapsBefore);

      // The stored spec names the original's cgroup (containerd keeps it too): restore once it is gone.
      expect(removeAll(id).status).toBe(0);
      const rs = sc(['c', 'restore', '--rw', 'ck-rw2', ref]);
      expect(rs.status, rs.stderr).toBe(0);
      expect(await status('ck-rw2')).toBe(2);
      const cat = sc(['exec', 'ck-rw2', 'cat', '/marker']);
      expect(cat.stdout).toBe('kept\n');
    } finally {
      removeAll(id);
      removeAll('ck-rw2');
      await c.images.delete(ref).catch(() => {});
    }
    expect(mountsBelow(`${m.dir}/state`)).toEqual([]);
  }, SLOW_MS);

  it('strata-ctr: usage errors exit 2 with ctr\'s messages, API errors exit 1 naming the object', () => {
    const usage: [string[], RegExp][] = [
      [['c', 'checkpoint'], /container id must be provided/],
      [['containers', 'checkpoint', 'x'], /ref must be provided/],
      [['c', 'checkpoint', '--exit', 'x', 'r'], /--exit needs --task/],
      [['c', 'restore', 'x'], /ref must be provided/],
      [['t', 'checkpoint'], /container id must be provided/],
      [['tasks', 'checkpoint', '--bogus', 'x'], /flag provided but not defined: --bogus/],
    ];
    for (const [args, msg] of usage) {
      const r = sc(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).toMatch(msg);
    }
    const api: [string[], RegExp][] = [
      [['c', 'checkpoint', '--task', 'nosuch', 'strata.local/x:1'], /container "nosuch": not found/],
      [['t', 'checkpoint', 'nosuch'], /container "nosuch": not found/],
      [['c', 'restore', 'fresh', 'strata.local/nosuch:1'], /checkpoint image "strata.local\/nosuch:1": not found/],
      [['c', 'restore', 'fresh', IMAGE], /is not a (container )?checkpoint/],
    ];
    for (const [args, msg] of api) {
      const r = sc(args);
      expect({ args, status: r.status }).toEqual({ args, status: 1 });
      expect(r.stderr).toMatch(msg);
    }
    const help = sc(['c', 'checkpoint', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--task/);
    expect(sc(['t', '--help']).stdout).toMatch(/SUBCOMMANDS:\n\s+checkpoint/);
  }, SLOW_MS);
});

/** What the CRIU tests share: strata-ctr and the real ctr against one daemon, both ways. */
interface Target {
  sock: string;
  ns: string;
  strataCtr(args: string[], timeout?: number): SpawnSyncReturns<string>;
}

const strataCtrOn = (sock: string, ns: string) => (args: string[], timeout = 600_000) =>
  spawnSync(process.execPath, [ctrBin, '-a', sock, '-n', ns, ...args], { encoding: 'utf8', timeout, killSignal: 'SIGKILL' });

/** The counter's numbers so far, read from inside the container. */
function count(t: Target, id: string): number[] {
  return numbers(t.strataCtr(['exec', id, 'cat', '/dev/shm/count']).stdout ?? '');
}

/** Waits until the counter has at least n numbers. */
function countsTo(t: Target, id: string, n: number): boolean {
  return waitFor(() => count(t, id).length >= n, 300_000);
}

function taskStatus(t: Target, id: string): string {
  return (t.strataCtr(['tasks']).stdout ?? '').split('\n').find((l) => l.startsWith(`${id} `))?.split(/\s+/)[2] ?? 'none';
}

/** checkpoint --task --exit, remove the original, restore --live under a new id: it continues. */
function checkpointExitRestore(t: Target, runtime: string, id: string): void {
  const ref = `strata.local/checkpoint/${id}:exit`;
  const run = t.strataCtr(['run', '-d', '--runtime', runtime, IMAGE, id, ...COUNTER]);
  expect(run.status, run.stderr).toBe(0);
  expect(countsTo(t, id, 5)).toBe(true);
  const ck = t.strataCtr(['c', 'checkpoint', '--task', '--exit', id, ref]);
  expect(ck.status, ck.stderr).toBe(0);
  expect(taskStatus(t, id)).toBe('STOPPED');
  expect(t.strataCtr(['rm', id]).status).toBe(0);
  const id2 = `${id}-r`;
  const rs = t.strataCtr(['c', 'restore', '--live', id2, ref]);
  expect(rs.status, rs.stderr).toBe(0);
  expect(taskStatus(t, id2)).toBe('RUNNING');
  const n0 = count(t, id2).length;
  expect(n0).toBeGreaterThanOrEqual(5);
  expect(countsTo(t, id2, n0 + 3)).toBe(true);
  // One sequence from 0: the restored process went on from the number it was dumped at.
  const all = count(t, id2);
  all.forEach((v, i) => expect(v).toBe(i));
  console.log(`${runtime}: dumped at ${n0 - 1}, restored as ${id2}, now at ${all.at(-1)}`);
  expect(t.strataCtr(['rm', '-f', id2]).status).toBe(0);
}

/** checkpoint --task without --exit leaves the task running; `tasks checkpoint` names its image. */
function checkpointLeaveRunning(t: Target, runtime: string, id: string): void {
  const run = t.strataCtr(['run', '-d', '--runtime', runtime, IMAGE, id, ...COUNTER]);
  expect(run.status, run.stderr).toBe(0);
  expect(countsTo(t, id, 3)).toBe(true);
  const ck = t.strataCtr(['c', 'checkpoint', '--task', id, `strata.local/checkpoint/${id}:running`]);
  expect(ck.status, ck.stderr).toBe(0);
  expect(taskStatus(t, id)).toBe('RUNNING');
  const n = count(t, id).length;
  expect(countsTo(t, id, n + 3)).toBe(true);
  const tk = t.strataCtr(['t', 'checkpoint', id]);
  expect(tk.status, tk.stderr).toBe(0);
  expect(tk.stdout.trim()).toMatch(new RegExp(`^containerd\\.io/checkpoint/${id}:\\d\\d-\\d\\d-\\d{4}-\\d\\d:\\d\\d:\\d\\d$`));
  expect(taskStatus(t, id)).toBe('RUNNING');
  expect(t.strataCtr(['images', '-q']).stdout).toContain(tk.stdout.trim());
  expect(t.strataCtr(['rm', '-f', id]).status).toBe(0);
}

const runtimes = ['io.containerd.strata.v2', ...(has('containerd-shim-runc-v2') && has('runc') ? ['io.containerd.runc.v2'] : [])];

describe.skipIf(!ready || !criuWorks)('checkpoint/restore with CRIU through strata-manager', () => {
  // made in beforeAll: a skipped describe (no CRIU) must not leave the daemon's temp dir behind
  let m: ManagerDaemon;
  let t: Target;
  beforeAll(() => {
    m = new ManagerDaemon(SHIM_CONFIG);
    m.start();
    expect(m.ctr(['images', 'import', defaultImage]).status).toBe(0);
    t = { sock: m.sock, ns: m.ns, strataCtr: strataCtrOn(m.sock, m.ns) };
  }, SLOW_MS);
  afterAll(() => m?.stop());

  for (const runtime of runtimes) {
    const short = runtime.split('.')[2];
    it(`${runtime}: checkpoint --exit and restore --live under a new id: the counter continues`, () => {
      checkpointExitRestore(t, runtime, `cx-${short}`);
      expect(fs.readdirSync(`${m.dir}/state/checkpoints`)).toEqual([]);
      expect(m.bundles()).toEqual([]);
    }, SLOW_MS);
    it(`${runtime}: checkpoint without --exit leaves it running; tasks checkpoint names the image`, () => {
      checkpointLeaveRunning(t, runtime, `cl-${short}`);
    }, SLOW_MS);
  }

  it('the real ctr: ctr c checkpoint --task, then ctr c restore --live', () => {
    const id = 'ctr-ck';
    const ref = `strata.local/checkpoint/${id}:1`;
    const run = m.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', IMAGE, id, ...COUNTER], 300_000);
    expect(run.status, run.stderr).toBe(0);
    expect(countsTo(t, id, 5)).toBe(true);
    const ck = m.ctr(['c', 'checkpoint', '--task', id, ref], 900_000);
    expect(ck.status, ck.stderr + m.log()).toBe(0);
    expect(m.ctr(['images', 'ls', '-q']).stdout).toContain(ref);
    // ctr c checkpoint leaves the task running: remove the original, then restore it.
    expect(m.strataCtr(['rm', '-f', id]).status).toBe(0);
    const rs = m.ctr(['c', 'restore', '--live', id, ref], 900_000);
    expect(rs.status, rs.stderr + m.log()).toBe(0);
    expect(m.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
    const n0 = count(t, id).length;
    expect(countsTo(t, id, n0 + 3)).toBe(true);
    count(t, id).forEach((v, i) => expect(v).toBe(i));
    expect(m.strataCtr(['rm', '-f', id]).status).toBe(0);
    expect(m.bundles()).toEqual([]);
  }, SLOW_MS);
});

describe.skipIf(!ready || !criuWorks || !has('containerd'))('strata-ctr checkpoint/restore against the real containerd', () => {
  let ctd: PrivateContainerd;
  let t: Target;
  beforeAll(() => {
    ctd = new PrivateContainerd(['containerd-shim-strata-v2']);
    ctd.start();
    expect(ctd.ctr(['images', 'import', defaultImage]).status).toBe(0);
    t = { sock: ctd.sock, ns: ctd.ns, strataCtr: strataCtrOn(ctd.sock, ctd.ns) };
  }, SLOW_MS);
  afterAll(() => ctd?.stop());

  it('containers checkpoint --task --exit and containers restore --live: the counter continues', () => {
    checkpointExitRestore(t, 'io.containerd.strata.v2', 'ctd-cx');
  }, SLOW_MS);
});
