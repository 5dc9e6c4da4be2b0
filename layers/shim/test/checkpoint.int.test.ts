// Task.Checkpoint and Create-with-checkpoint over ttrpc, as containerd drives them
// (`ctr task checkpoint`, `ctr container create --checkpoint`), for our shim and, side by side,
// containerd-shim-runc-v2 with runc. Needs a host where `criu check` passes: the Debian 12 guest
// of scripts/vm (`npm run test:checkpoint`); elsewhere only the refusal test runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATUS_NUMBER } from '../src/taskStates';
import { TtrpcError, Code } from '../src/ttrpc';
import { CheckpointOptionsType, packAny } from '../src/proto';
import { built, defaultImage, eventually, has, isRoot, PrivateContainerd, processesMatching, shimBin, uniqueId, waitFor } from './helpers';
import { leftoverCgroups, ShimHarness } from './shimHarness';

const criuWorks = has('criu') && spawnSync('criu', ['check'], { encoding: 'utf8' }).status === 0;
const shims = [
  { name: 'containerd-shim-strata-v2 + strata-runtime', binary: shimBin, runtime: undefined as string | undefined },
  { name: 'containerd-shim-runc-v2 + runc', binary: 'containerd-shim-runc-v2', runtime: 'runc' },
].filter((s) => s.binary === shimBin || (has(s.binary) && has(s.runtime!)));

const COUNTER = ['sh', '-c', 'i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'];
const numbers = (text: string) => text.split('\n').filter(Boolean).map(Number);

/** A bundle as containerd makes it, with its `work` dir (the runc shim puts CRIU's work files there). */
function ckBundle(h: ShimHarness, id: string): string {
  const b = h.bundle(id, COUNTER);
  fs.mkdirSync(path.join(b, 'work'), { recursive: true });
  return b;
}

async function codeOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof TtrpcError) return e.code;
    throw e;
  }
}

describe.skipIf(!isRoot || !built || !criuWorks)('Task.Checkpoint and restore-on-Create with CRIU', () => {
  for (const s of shims) {
    it(`${s.name}: checkpoint (exit) a counter, restore it as a new task, it continues`, async () => {
      const h = new ShimHarness(s.binary, s.runtime);
      const id = uniqueId('ck');
      const id2 = uniqueId('rs');
      const img = path.join(h.dir, 'image');
      try {
        const bundle = ckBundle(h, id);
        await h.start(bundle, id);
        const io = h.io(id);
        // stdin too is a pipe from the shim: an fd on the host's /dev/null is outside the
        // container's mounts, which CRIU cannot dump ("Can't lookup mount"), with runc as well.
        const created = await h.call('Create', { id, bundle, stdin: io.stdin, stdout: io.stdout.path, stderr: io.stderr.path, options: h.options() });
        await h.call('Start', { id });
        expect(await eventually(() => numbers(io.stdout.text).length >= 5, 120_000)).toBe(true);
        const waiting = h.call('Wait', { id }, 600_000);
        // containerd's own call: image dir in `path`, exit=true in CheckpointOptions.
        await h.call('Checkpoint', { id, path: img, options: packAny(CheckpointOptionsType, { exit: true }) }, 600_000);
        expect(fs.existsSync(path.join(img, 'inventory.img'))).toBe(true);
        const exit = await waiting;
        expect(exit.exitStatus).toBe(137); // CRIU SIGKILLs the dumped tasks
        await h.call('Delete', { id });
        const before = numbers(io.stdout.text);

        // A new task from the image, under a new id, with new FIFOs (restore-on-Create).
        const bundle2 = ckBundle(h, id2);
        const io2 = h.io(id2);
        const c2 = await h.call('Create', { id: id2, bundle: bundle2, stdin: io2.stdin, stdout: io2.stdout.path, stderr: io2.stderr.path, checkpoint: img, options: h.options() }, 600_000);
        const started = await h.call('Start', { id: id2 }, 600_000);
        expect(started.pid).toBeGreaterThan(0);
        expect(started.pid).not.toBe(created.pid);
        if (s.binary === shimBin) expect(c2.pid).toBe(0); // no process until Start, as the runc shim
        expect((await h.call('State', { id: id2 })).status).toBe(STATUS_NUMBER.running);
        expect(await eventually(() => numbers(io2.stdout.text).length >= 5, 120_000), io2.stdout.text).toBe(true);
        const after = numbers(io2.stdout.text);
        // It went on from where it was dumped: the first new line follows the last old one.
        expect(after[0], `before ...${before.slice(-3)} after ${after.slice(0, 3)}...`).toBe(before.at(-1)! + 1);
        after.forEach((v, i) => expect(v).toBe(after[0] + i));
        await h.call('Kill', { id: id2, signal: 9, all: false });
        expect((await h.call('Wait', { id: id2 }, 60_000)).exitStatus).toBe(137);
        await h.call('Delete', { id: id2 });
        expect(await h.shutdown()).toBe(true);
        const left = [...processesMatching(h.dir).map((p) => `process ${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`), ...leftoverCgroups(id), ...leftoverCgroups(id2)];
        // Ours must leave nothing. What runc leaves is runc's behaviour: printed for the README's
        // comparison (and removed by dispose), not a failure of this project.
        if (s.binary === shimBin) expect(left).toEqual([]);
        else if (left.length) console.log(`containerd-shim-runc-v2 + runc left after checkpoint/restore: ${JSON.stringify(left)}`);
      } finally {
        await h.dispose();
      }
    });

    it(`${s.name}: checkpoint without exit leaves the task running`, async () => {
      const h = new ShimHarness(s.binary, s.runtime);
      const id = uniqueId('lr');
      const img = path.join(h.dir, 'image');
      try {
        const bundle = ckBundle(h, id);
        await h.start(bundle, id);
        const io = h.io(id);
        await h.call('Create', { id, bundle, stdin: io.stdin, stdout: io.stdout.path, stderr: io.stderr.path, options: h.options() });
        const { pid } = await h.call('Start', { id });
        expect(await eventually(() => numbers(io.stdout.text).length >= 3, 120_000)).toBe(true);
        await h.call('Checkpoint', { id, path: img, options: packAny(CheckpointOptionsType, { exit: false }) }, 600_000);
        expect(fs.existsSync(path.join(img, 'inventory.img'))).toBe(true);
        expect(await h.call('State', { id })).toMatchObject({ status: STATUS_NUMBER.running, pid });
        const n = numbers(io.stdout.text).length;
        expect(await eventually(() => numbers(io.stdout.text).length >= n + 3, 120_000)).toBe(true);
        await h.call('Kill', { id, signal: 9, all: false });
        await h.call('Wait', { id }, 60_000);
        await h.call('Delete', { id });
        expect(await h.shutdown()).toBe(true);
        expect(leftoverCgroups(id)).toEqual([]);
      } finally {
        await h.dispose();
      }
    });
  }
});

describe.skipIf(!isRoot || !built)('Task.Checkpoint refusals (any host)', () => {
  it('a created task cannot be checkpointed; a Create with a bad checkpoint path leaves nothing', async () => {
    const h = new ShimHarness(shimBin);
    const id = uniqueId('ckr');
    try {
      const bundle = h.bundle(id, ['sleep', '60']);
      await h.start(bundle, id);
      const io = h.io(id);
      await h.call('Create', { id, bundle, stdin: '', stdout: io.stdout.path, stderr: io.stderr.path, options: h.options() });
      expect(await codeOf(h.call('Checkpoint', { id, path: path.join(h.dir, 'img') }))).toBe(Code.FailedPrecondition);
      expect(fs.existsSync(path.join(h.dir, 'img'))).toBe(false);
      const id2 = uniqueId('ckbad');
      const bundle2 = h.bundle(id2, ['sleep', '60']);
      const io2 = h.io(id2);
      const bad = h.call('Create', { id: id2, bundle: bundle2, stdin: io2.stdin, stdout: io2.stdout.path, stderr: io2.stderr.path, checkpoint: path.join(h.dir, 'no-image'), options: h.options() });
      expect(await codeOf(bad)).toBe(Code.InvalidArgument);
      expect(await codeOf(h.call('State', { id: id2 }))).toBe(Code.NotFound);
      await h.call('Delete', { id });
      expect(await h.shutdown()).toBe(true);
      expect(leftoverCgroups(id)).toEqual([]);
      expect(leftoverCgroups(id2)).toEqual([]);
    } finally {
      await h.dispose();
    }
  });
});

// Real containerd 1.6 and ctr, our shim as io.containerd.strata.v2: `ctr c checkpoint --task`
// stores containerd's checkpoint image (CRIU images as content), `ctr c restore --live` brings
// the container and its task back from it through Create-with-checkpoint.
const ctrReady = isRoot && built && criuWorks && has('containerd') && has('ctr') && fs.existsSync(defaultImage);
describe.skipIf(!ctrReady)('ctr container checkpoint/restore with containerd and our shim', () => {
  it('the counter continues after ctr c checkpoint --task + ctr c restore --live', () => {
    const ctd = new PrivateContainerd(['containerd-shim-strata-v2']);
    const id = uniqueId('ctr');
    const ref = `strata.local/checkpoint/${id}:1`;
    try {
      ctd.start();
      expect(ctd.ctr(['images', 'import', defaultImage]).status).toBe(0);
      // `ctr run -d` gives the task no stdio: the host's /dev/null, which CRIU cannot dump; the
      // process moves its fds inside the container first.
      const run = ctd.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', 'strata.local/busybox:latest', id, 'sh', '-c', `exec </dev/null >/dev/shm/count 2>&1; ${COUNTER[2]}`], 300_000);
      expect(run.status, run.stderr + ctd.log()).toBe(0);
      const count = () => numbers(ctd.ctr(['t', 'exec', '--exec-id', `x${Math.random().toString(36).slice(2, 8)}`, id, 'cat', '/dev/shm/count'], 300_000).stdout);
      expect(waitFor(() => count().length >= 5, 300_000)).toBe(true);
      const ck = ctd.ctr(['c', 'checkpoint', '--task', id, ref], 900_000);
      expect(ck.status, ck.stderr + ctd.log()).toBe(0);
      expect(ctd.ctr(['images', 'ls', '-q']).stdout).toContain(ref);
      // ctr c checkpoint leaves the task running (no --exit): stop and remove the original.
      ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
      expect(waitFor(() => /STOPPED/.test(ctd.ctr(['t', 'ls']).stdout), 60_000)).toBe(true);
      expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
      expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
      const rs = ctd.ctr(['c', 'restore', '--live', id, ref], 900_000);
      expect(rs.status, rs.stderr + ctd.log()).toBe(0);
      expect(ctd.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
      const n0 = count().length;
      expect(n0).toBeGreaterThanOrEqual(5);
      expect(waitFor(() => count().length >= n0 + 3, 300_000)).toBe(true);
      count().forEach((v, i) => expect(v).toBe(i));
      ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
      expect(waitFor(() => /STOPPED/.test(ctd.ctr(['t', 'ls']).stdout), 60_000)).toBe(true);
      expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
      expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
      expect(processesMatching(id)).toEqual([]);
    } finally {
      ctd.stop();
    }
  });
});
