// Volumes through the real docker CLI: create/ls/inspect/rm/prune with docker's JSON, filters and
// errors, the in-use refusal, anonymous volumes, metadata kept across an engine restart, and a
// local-driver volume with mount options (tmpfs) mounted only while a container holds it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineEvents } from '../src/events';
import { VolumeStore } from '../src/volumes';
import { serveRoutes, type DockerRun } from './imageHarness';

const mountsBelow = (dir: string) =>
  fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((m) => m && m.startsWith(dir));

describe.skipIf(process.getuid?.() !== 0)('volumes through the docker CLI', () => {
  let dir: string;
  let root: string;
  let events: EngineEvents;
  let store: VolumeStore;
  let docker: DockerRun;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-engine-vol-'));
    root = path.join(dir, 'volumes');
    events = new EngineEvents();
    store = new VolumeStore({ root, events });
    await store.init();
    ({ docker, close } = await serveRoutes(dir, [...store.routes(), ...events.routes()]));
  });

  afterAll(async () => {
    await close?.();
    for (const m of mountsBelow(dir).reverse()) fs.existsSync(m) && (await import('node:child_process')).spawnSync('umount', ['-l', m]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists, inspects and removes a named volume with docker JSON', async () => {
    const c = await docker(['volume', 'create', '--label', 'team=a', 'v1']);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout.trim()).toBe('v1');
    const [v] = JSON.parse((await docker(['volume', 'inspect', 'v1'])).stdout);
    expect(v).toMatchObject({ Name: 'v1', Driver: 'local', Scope: 'local', Labels: { team: 'a' }, Options: null, Mountpoint: path.join(root, 'v1', '_data') });
    expect(v.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(fs.statSync(v.Mountpoint).isDirectory()).toBe(true);
    // create is idempotent for an existing name
    expect((await docker(['volume', 'create', 'v1'])).status).toBe(0);
    expect((await docker(['volume', 'create', 'v2'])).status).toBe(0);
    expect((await docker(['volume', 'ls', '--format', '{{.Driver}} {{.Name}}'])).stdout.trim().split('\n')).toEqual(['local v1', 'local v2']);
    expect((await docker(['volume', 'ls', '-q', '--filter', 'label=team=a'])).stdout.trim()).toBe('v1');
    expect((await docker(['volume', 'ls', '-q', '--filter', 'name=2'])).stdout.trim()).toBe('v2');
    const rm = await docker(['volume', 'rm', 'v2']);
    expect(rm.status, rm.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, 'v2'))).toBe(false);
  });

  it('refuses bad names, unknown drivers, unknown filters and missing volumes like dockerd', async () => {
    const bad = await docker(['volume', 'create', 'a/b']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('"a/b" includes invalid characters for a local volume name');
    const drv = await docker(['volume', 'create', '-d', 'nfs-plugin', 'x1']);
    expect(drv.status).toBe(1);
    expect(drv.stderr).toContain('plugin "nfs-plugin" not found');
    const opt = await docker(['volume', 'create', '-o', 'color=blue', 'x2']);
    expect(opt.stderr).toContain('invalid option: "color"');
    const filt = await docker(['volume', 'ls', '--filter', 'colour=red']);
    expect(filt.stderr).toContain("invalid filter 'colour'");
    const missing = await docker(['volume', 'inspect', 'nosuch']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no such volume');
    expect((await docker(['volume', 'rm', 'nosuch'])).status).toBe(1);
    expect((await docker(['volume', 'rm', '-f', 'nosuch'])).status).toBe(0);
    expect(fs.readdirSync(root).sort()).toEqual(['v1']);
  });

  it('refuses to remove a volume a container holds, and lists it as not dangling', async () => {
    const cid = 'a'.repeat(64);
    const v = await store.acquire('v1', cid);
    expect(v.Mountpoint).toBe(path.join(root, 'v1', '_data'));
    const rm = await docker(['volume', 'rm', 'v1']);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toContain(`remove v1: volume is in use - [${cid}]`);
    expect((await docker(['volume', 'ls', '-q', '--filter', 'dangling=true'])).stdout.trim()).toBe('');
    await store.release('v1', cid, { remove: true }); // named volumes survive rm -v
    expect((await docker(['volume', 'ls', '-q', '--filter', 'dangling=true'])).stdout.trim()).toBe('v1');
    // acquire creates a missing named volume (docker run -v new:/data)
    const fresh = await store.acquire('made-by-run', cid);
    expect(fs.existsSync(fresh.Mountpoint)).toBe(true);
    await store.release('made-by-run', cid);
  });

  it('anonymous volumes: 64-hex names, removed with their container (rm -v) and by prune', async () => {
    const cid = 'b'.repeat(64);
    const anon = await store.acquire(undefined, cid);
    expect(anon.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(anon.Labels).toEqual({ 'com.docker.volume.anonymous': '' });
    await store.release(anon.Name, cid, { remove: true });
    expect(store.has(anon.Name)).toBe(false);

    const kept = await store.acquire(undefined, cid);
    await store.release(kept.Name, cid);
    // prune (API >= 1.42) takes anonymous volumes only; -a takes named ones too
    const p = await docker(['volume', 'prune', '-f']);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toContain(kept.Name);
    expect(store.has('v1')).toBe(true);
    const all = await docker(['volume', 'prune', '-af']);
    expect(all.stdout).toContain('v1');
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('keeps volumes and their metadata across an engine restart', async () => {
    expect((await docker(['volume', 'create', '--label', 'k=v', 'persist'])).status).toBe(0);
    await store.acquire('persist', 'kept-container');
    await store.acquire('persist', 'gone-container');
    const again = new VolumeStore({ root, events });
    await again.init();
    expect(again.get('persist')).toEqual(store.get('persist'));
    // its users survive the restart until the engine says which containers still exist
    expect(again.users('persist').sort()).toEqual(['gone-container', 'kept-container']);
    await expect(again.remove('persist')).rejects.toThrow('volume is in use - [');
    again.keepUsers(new Set(['kept-container']));
    expect(again.users('persist')).toEqual(['kept-container']);
    await again.release('persist', 'kept-container');
    await again.remove('persist');
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('mounts a tmpfs volume (local driver options) only while a container holds it', async () => {
    const c = await docker(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'tmp1']);
    expect(c.status, c.stderr).toBe(0);
    const v = store.get('tmp1');
    expect(v.Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    expect(mountsBelow(root)).toEqual([]);
    await store.acquire('tmp1', 'c1');
    await store.acquire('tmp1', 'c2');
    expect(mountsBelow(root)).toEqual([v.Mountpoint]);
    await store.release('tmp1', 'c1');
    expect(mountsBelow(root)).toEqual([v.Mountpoint]);
    await store.release('tmp1', 'c2');
    expect(mountsBelow(root)).toEqual([]);
    expect((await docker(['volume', 'rm', 'tmp1'])).status).toBe(0);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it('publishes create and destroy events', () => {
    const acts = events.past({ filters: { type: ['volume'] }, since: 0 }).map((e) => `${e.Action} ${e.Actor.ID}`);
    expect(acts).toContain('create v1');
    expect(acts).toContain('destroy v1');
    expect(acts).toContain('create tmp1');
  });
});
