// strata-manager against real peers: the real ctr drives it (import, run with our shim and with
// containerd-shim-runc-v2, exec, pause, metrics, events), it survives a SIGKILL with its tasks
// re-adopted, bad requests get gRPC codes, and nothing leaks.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcClient } from '../src/api/grpc';
import { CONTAINERS_SERVICE, TASKS_SERVICE } from '../src/api/protos';
import { ManagerError } from '../src/errors';
import { defaultImage, has, isRoot, processesMatching, sleep, waitFor } from '@strata/shim/testing';
import { socketAddress } from '@strata/shim';
import { IMAGE, ManagerDaemon, managerBin, mountsBelow } from './harness';

const ready = isRoot && has('ctr') && fs.existsSync(managerBin) && fs.existsSync(defaultImage);

describe.skipIf(!ready)('strata-manager driven by the real ctr', () => {
  const m = new ManagerDaemon();
  beforeAll(() => {
    m.start();
    const r = m.ctr(['images', 'import', defaultImage]);
    expect(r.status, r.stderr).toBe(0);
  }, 60_000);
  afterAll(() => m.stop());

  const noLeaks = (id: string) => {
    expect(m.bundles()).not.toContain(id);
    expect(m.ctr(['c', 'ls', '-q']).stdout.split('\n')).not.toContain(id);
    expect(mountsBelow(`${m.dir}/state`)).toEqual([]);
    expect(processesMatching(`-id\0${id}\0`)).toEqual([]); // the shim's argv (NUL-separated)
  };

  it('imports an OCI layout: image listed, layer unpacked as a committed snapshot', () => {
    expect(m.ctr(['images', 'ls', '-q']).stdout.trim().split('\n')).toContain(IMAGE);
    const snaps = m.ctr(['snapshots', 'ls']).stdout;
    expect(snaps).toMatch(/sha256:[0-9a-f]{64}\s+Committed/);
    const content = m.ctr(['content', 'ls', '-q']).stdout.trim().split('\n');
    expect(content.length).toBeGreaterThanOrEqual(3); // manifest, config, layer
  });

  for (const runtime of ['io.containerd.strata.v2', 'io.containerd.runc.v2']) {
    it(`ctr run --rm with ${runtime}: output, exit status, nothing left`, () => {
      const id = `run-${runtime.split('.')[2]}`;
      const r = m.ctr(['run', '--rm', '--runtime', runtime, IMAGE, id, 'sh', '-c', 'echo out; echo err >&2; exit 7']);
      expect(r.stdout).toBe('out\n');
      expect(r.stderr).toContain('err');
      expect(r.status).toBe(7);
      noLeaks(id);
    });
  }

  it('a detached task: exec, ps, pause/resume, metrics, kill, rm; events in order', async () => {
    const events = spawn('ctr', ['-a', m.sock, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    events.stdout.on('data', (d) => (seen += d));
    sleep(300);
    const id = 'bg';
    try {
      expect(m.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', IMAGE, id, 'sleep', '300']).status).toBe(0);
      const exec = m.ctr(['t', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec-ok; exit 3']);
      expect(exec.stdout).toBe('exec-ok\n');
      expect(exec.status).toBe(3);
      expect(m.ctr(['t', 'ps', id]).stdout).toMatch(/^\d+/m);
      expect(m.ctr(['t', 'pause', id]).status).toBe(0);
      expect(m.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`^${id}\\s+\\d+\\s+PAUSED`, 'm'));
      expect(m.ctr(['t', 'resume', id]).status).toBe(0);
      expect(m.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm'));
      expect(m.ctr(['t', 'metrics', id]).stdout).toMatch(/memory\.usage_in_bytes|memory\.usage/);
      expect(m.ctr(['t', 'kill', '-s', '9', id]).status).toBe(0);
      expect(waitFor(() => /STOPPED/.test(m.ctr(['t', 'ls']).stdout))).toBe(true);
      expect(m.ctr(['t', 'rm', id]).status).toBe(0);
      expect(m.ctr(['c', 'rm', id]).status).toBe(0);
      noLeaks(id);
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      events.kill('SIGKILL');
    }
    const topics = [...seen.matchAll(/ (\/[a-z-]+\/[a-z-]+) /g)].map((x) => x[1]);
    const order = ['/snapshot/prepare', '/containers/create', '/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/paused', '/tasks/resumed', '/tasks/exit', '/tasks/delete', '/containers/delete'];
    // an exec's exit is a /tasks/exit too: the task's own exit is the last one
    const positions = order.map((t) => (t === '/tasks/exit' ? topics.lastIndexOf(t) : topics.indexOf(t)));
    expect(positions.every((p) => p >= 0), `topics seen: ${topics.join(' ')}`).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('survives a SIGKILL: the task keeps running and is re-adopted after the restart', () => {
    const id = 'survivor';
    expect(m.ctr(['run', '-d', IMAGE, id, 'sleep', '300']).status).toBe(0);
    const pid = Number(m.ctr(['t', 'ls']).stdout.split('\n').find((l) => l.startsWith(id))?.split(/\s+/)[1]);
    expect(pid).toBeGreaterThan(0);
    m.crash();
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    m.start();
    expect(m.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`^${id}\\s+${pid}\\s+RUNNING`, 'm'));
    expect(m.ctr(['t', 'exec', '--exec-id', 'after', id, 'echo', 'still-here']).stdout).toBe('still-here\n');
    m.ctr(['t', 'kill', '-s', '9', id]);
    expect(waitFor(() => /STOPPED/.test(m.ctr(['t', 'ls']).stdout))).toBe(true);
    expect(m.ctr(['t', 'rm', id]).status).toBe(0);
    expect(m.ctr(['c', 'rm', id]).status).toBe(0);
    noLeaks(id);
  }, 60_000);

  it('cleans up after a shim that died while the manager was down', () => {
    const id = 'orphan';
    expect(m.ctr(['run', '-d', IMAGE, id, 'sleep', '300']).status).toBe(0);
    const pid = Number(m.ctr(['t', 'ls']).stdout.split('\n').find((l) => l.startsWith(id))?.split(/\s+/)[1]);
    m.crash();
    const shims = processesMatching(`-id\0${id}\0`);
    expect(shims.length).toBeGreaterThan(0);
    for (const p of shims) process.kill(p, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    m.start();
    expect(m.bundles()).not.toContain(id);
    expect(m.ctr(['t', 'ls']).stdout).not.toMatch(new RegExp(`^${id}\\s`, 'm'));
    expect(m.ctr(['c', 'rm', id]).status).toBe(0); // the record stays, as in containerd
    noLeaks(id);
  }, 60_000);

  it('answers bad requests with gRPC codes and useful messages', async () => {
    expect(m.ctr(['c', 'rm', 'nosuch']).stderr).toMatch(/container "nosuch": not found/);
    expect(m.ctr(['t', 'start', 'nosuch']).status).not.toBe(0);
    const g = new GrpcClient(m.sock, m.ns);
    const code = async (p: Promise<unknown>) => p.then(() => 'OK', (e) => (e instanceof ManagerError ? e.code : String(e)));
    try {
      expect(await code(g.call(CONTAINERS_SERVICE, 'Create', { container: { id: 'bad/id', runtime: { name: 'io.containerd.runc.v2' }, spec: { typeUrl: 'x', value: new Uint8Array([123, 125]) } } }))).toBe('INVALID_ARGUMENT');
      expect(await code(g.call(CONTAINERS_SERVICE, 'Create', { container: { id: 'nospec', runtime: { name: 'io.containerd.runc.v2' } } }))).toBe('INVALID_ARGUMENT');
      expect(await code(g.call(TASKS_SERVICE, 'Start', { containerId: 'nosuch' }))).toBe('NOT_FOUND');
      expect(await code(g.call(TASKS_SERVICE, 'Kill', { containerId: '', signal: 9 }))).toBe('INVALID_ARGUMENT');
      expect(await code(g.call(CONTAINERS_SERVICE, 'List', {}, { namespace: '' }))).toBe('INVALID_ARGUMENT');
      // a task exists: the record cannot be deleted under it; a second task cannot be made
      expect(m.ctr(['run', '-d', IMAGE, 'held', 'sleep', '300']).status).toBe(0);
      expect(await code(g.call(CONTAINERS_SERVICE, 'Delete', { id: 'held' }))).toBe('FAILED_PRECONDITION');
      expect(await code(g.call(TASKS_SERVICE, 'Create', { containerId: 'held' }))).toBe('ALREADY_EXISTS');
      expect(await code(g.call(TASKS_SERVICE, 'Delete', { containerId: 'held' }))).toBe('FAILED_PRECONDITION');
      // a spec the runtime refuses: the shim started, Task.Create failed; the manager stops the
      // shim, runs its delete and removes the bundle (checked below with the other leaks)
      const badSpec = { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Spec', value: new Uint8Array(Buffer.from(JSON.stringify({ ociVersion: '1.0.2', process: { cwd: 'relative', args: ['true'], user: { uid: 0, gid: 0 } }, root: { path: 'rootfs' } }))) };
      expect(await code(g.call(CONTAINERS_SERVICE, 'Create', { container: { id: 'badspec', runtime: { name: 'io.containerd.strata.v2' }, spec: badSpec } }))).toBe('OK');
      const refused = await g.call(TASKS_SERVICE, 'Create', { containerId: 'badspec' }).then(() => undefined, (e) => e as ManagerError);
      expect(refused?.message).toMatch(/cwd/);
      expect(m.bundles()).not.toContain('badspec');
      expect(processesMatching(`-id\0badspec\0`)).toEqual([]);
      expect(fs.existsSync(socketAddress(m.sock, m.ns, 'badspec').replace(/^unix:\/\//, ''))).toBe(false); // the shim's socket
      expect(mountsBelow(`${m.dir}/state/io.containerd.runtime.v2.task/${m.ns}/badspec`)).toEqual([]);
      expect(await code(g.call(CONTAINERS_SERVICE, 'Delete', { id: 'badspec' }))).toBe('OK');
      // a runtime whose shim does not exist: refused, nothing left behind
      expect(m.ctr(['run', '--rm', '--runtime', 'io.containerd.nosuch.v1', IMAGE, 'noshim', 'true']).stderr).toMatch(/containerd-shim-nosuch-v1/);
      expect(m.bundles()).not.toContain('noshim');
      m.ctr(['c', 'rm', 'noshim']);
    } finally {
      g.close();
      m.ctr(['t', 'kill', '-s', '9', 'held']);
      waitFor(() => /STOPPED/.test(m.ctr(['t', 'ls']).stdout));
      m.ctr(['t', 'rm', 'held']);
      m.ctr(['c', 'rm', 'held']);
    }
    noLeaks('held');
  });

  it('garbage-collects an image\'s content and snapshots after rmi --sync', () => {
    const other = new ManagerDaemon();
    try {
      other.start();
      expect(other.ctr(['images', 'import', defaultImage]).status).toBe(0);
      expect(other.ctr(['content', 'ls', '-q']).stdout.trim()).not.toBe('');
      expect(other.ctr(['images', 'rm', '--sync', IMAGE]).status).toBe(0);
      expect(other.ctr(['content', 'ls', '-q']).stdout.trim()).toBe('');
      expect(other.ctr(['snapshots', 'ls']).stdout.trim().split('\n').length).toBe(1); // header only
      expect(fs.readdirSync(`${other.dir}/root/io.containerd.content.v1.content/blobs/sha256`)).toEqual([]);
    } finally {
      other.stop();
    }
  }, 60_000);
});
