// Pure logic of the container side: request checks, image config merge, mounts, signals, status
// texts and filters, ps parsing, restart back-off, and path resolution inside a container root.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scopedPath } from '../src/containers/archiveRoutes';
import { mergeImageConfig, parseMounts, validateCreate } from '../src/containers/create';
import { restartDecision } from '../src/containers/restartPolicy';
import { resolveUser } from '../src/containers/rootfs';
import { parseSignal } from '../src/containers/signals';
import { capabilitySet } from '../src/containers/spec';
import { validateName } from '../src/containers/store';
import { parsePs } from '../src/containers/top';
import { humanDuration, matchFilters, statusText } from '../src/containers/views';
import type { ContainerRecord } from '../src/containers/types';

const record = (o: Partial<ContainerRecord['State']> = {}, extra: Partial<ContainerRecord> = {}): ContainerRecord =>
  ({
    Id: 'a'.repeat(64),
    Created: new Date().toISOString(),
    Name: '/web',
    Image: 'sha256:' + 'b'.repeat(64),
    Config: { Image: 'busybox', Labels: { tier: 'front' } },
    HostConfig: { NetworkMode: 'bridge', RestartPolicy: { Name: 'no' } },
    NetworkSettings: { Ports: {}, SandboxKey: '', Networks: {} },
    Mounts: [],
    RestartCount: 0,
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 1, ExitCode: 0, Error: '', StartedAt: new Date(Date.now() - 2000).toISOString(), FinishedAt: new Date(Date.now() - 3000).toISOString(), ...o },
    Strata: { imageRef: 'docker.io/library/busybox:latest', snapshotter: 'overlayfs', runtime: 'x', manuallyStopped: false, hasBeenStarted: true },
    ...extra,
  }) as ContainerRecord;

describe('create checks', () => {
  it("refuses what dockerd refuses, with dockerd's words", () => {
    expect(() => validateCreate({})).toThrow('no image specified');
    expect(() => validateCreate({ Image: 'b', HostConfig: { Memory: 1024 } })).toThrow('Minimum memory limit allowed is 6MB');
    expect(() => validateCreate({ Image: 'b', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } })).toThrow("can't create 'AutoRemove' container with restart policy");
    expect(() => validateCreate({ Image: 'b', HostConfig: { RestartPolicy: { Name: 'sometimes' } } })).toThrow("unknown policy 'sometimes'");
    expect(() => validateCreate({ Image: 'b', HostConfig: { NanoCpus: 1e9, CpuQuota: 5000 } })).toThrow('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    expect(() => validateCreate({ Image: 'b', HostConfig: { CapAdd: ['NOT_A_CAP'] } })).toThrow('unknown capability: "NOT_A_CAP"');
    expect(() => validateCreate({ Image: 'b', Cmd: 'ls' })).toThrow('invalid Cmd');
    expect(() => validateName('a')).toThrow('Invalid container name (a)');
    expect(validateName('web-1')).toBe('/web-1');
  });

  it('merges the image config as docker does', () => {
    const img = { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Entrypoint: null, WorkingDir: '/w', User: 'daemon', Labels: { l: 'img' } };
    const c = mergeImageConfig({ Image: 'x', Env: ['A=2', 'B=3'], Labels: { m: 'me' } }, img);
    expect(c.Env).toEqual(['PATH=/bin', 'A=2', 'B=3']);
    expect(c.Cmd).toEqual(['sh']);
    expect(c.WorkingDir).toBe('/w');
    expect(c.User).toBe('daemon');
    expect(c.Labels).toEqual({ l: 'img', m: 'me' });
    // --entrypoint drops the image's Cmd
    const e = mergeImageConfig({ Image: 'x', Entrypoint: ['echo'] }, img);
    expect([e.Entrypoint, e.Cmd]).toEqual([['echo'], null]);
  });

  it('parses -v and --mount', () => {
    const m = parseMounts({ Binds: ['/h:/c:ro', 'vol:/v', '/anon'], Mounts: [{ Type: 'tmpfs', Target: '/t' }] }, { Volumes: { '/img': {} } });
    expect(m.map((x) => [x.Type, x.Source, x.Target, !!x.ReadOnly])).toEqual([
      ['bind', '/h', '/c', true],
      ['volume', 'vol', '/v', false],
      ['volume', '', '/anon', false],
      ['tmpfs', '', '/t', false],
      ['volume', '', '/img', false],
    ]);
    expect(() => parseMounts({ Binds: ['/a:/c', '/b:/c'] }, {})).toThrow('Duplicate mount point: /c');
    expect(() => parseMounts({ Binds: ['/a:rel'] }, {})).toThrow('must be absolute');
    expect(() => parseMounts({ Binds: ['/a:/c:bogus'] }, {})).toThrow('invalid mode: bogus');
  });

  it('computes capabilities from the default set', () => {
    expect(capabilitySet(false, ['NET_ADMIN'], ['chown'])).toContain('CAP_NET_ADMIN');
    expect(capabilitySet(false, ['NET_ADMIN'], ['chown'])).not.toContain('CAP_CHOWN');
    expect(capabilitySet(false, [], ['ALL'])).toEqual([]);
    expect(capabilitySet(true).length).toBeGreaterThan(38);
  });
});

describe('signals, status and filters', () => {
  it('parses signal names and numbers', () => {
    expect([parseSignal('9'), parseSignal('KILL'), parseSignal('sigterm'), parseSignal('SIGRTMIN+1')]).toEqual([9, 9, 15, 35]);
    expect(() => parseSignal('NOPE')).toThrow('Invalid signal: NOPE');
    expect(() => parseSignal('99')).toThrow('Invalid signal: 99');
  });

  it('writes docker ps status texts', () => {
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(90_000)).toBe('About a minute');
    expect(humanDuration(150_000)).toBe('2 minutes');
    expect(humanDuration(3600_000)).toBe('About an hour');
    expect(statusText(record())).toBe('Up 2 seconds');
    expect(statusText(record({ Status: 'paused', Paused: true }))).toBe('Up 2 seconds (Paused)');
    expect(statusText(record({ Status: 'exited', Running: false, ExitCode: 3 }))).toBe('Exited (3) 3 seconds ago');
    expect(statusText(record({ Status: 'created', Running: false }))).toBe('Created');
  });

  it('filters like docker ps --filter', () => {
    const c = record();
    const find = () => undefined;
    expect(matchFilters(c, { status: ['running'] }, find)).toBe(true);
    expect(matchFilters(c, { status: ['exited'] }, find)).toBe(false);
    expect(matchFilters(c, { name: ['we'] }, find)).toBe(true);
    expect(matchFilters(c, { label: ['tier=front'] }, find)).toBe(true);
    expect(matchFilters(c, { label: ['tier=back'] }, find)).toBe(false);
    expect(matchFilters(c, { ancestor: ['busybox'] }, find)).toBe(true);
    expect(matchFilters(c, { id: ['aaa'] }, find)).toBe(true);
    expect(() => matchFilters(c, { status: ['sleeping'] }, find)).toThrow("invalid filter 'status=sleeping'");
    expect(() => matchFilters(c, { colour: ['x'] }, find)).toThrow("invalid filter 'colour'");
  });

  it('keeps the container rows of ps output', () => {
    const out = 'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 100\nroot 11 1 0 10:00 ? 00:00:00 other thing\n';
    expect(parsePs(out, new Set([10]))).toEqual({ Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [['root', '10', '1', '0', '10:00', '?', '00:00:00', 'sleep 100']] });
  });
});

describe('restart policies', () => {
  it('restart on failure up to N times, with a doubling delay', () => {
    const c = record({ ExitCode: 1 }, { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    expect(restartDecision(c, 100)).toEqual({ restart: true, delayMs: 100 });
    c.RestartCount = 1;
    expect(restartDecision(c, 100)).toEqual({ restart: true, delayMs: 200 });
    c.RestartCount = 2;
    expect(restartDecision(c, 100).restart).toBe(false);
    const ok = record({ ExitCode: 0 }, { HostConfig: { RestartPolicy: { Name: 'on-failure' } } });
    expect(restartDecision(ok, 100).restart).toBe(false);
    const always = record({ ExitCode: 0 }, { HostConfig: { RestartPolicy: { Name: 'always' } } });
    expect(restartDecision(always, 100).restart).toBe(true);
    always.Strata.manuallyStopped = true;
    expect(restartDecision(always, 100).restart).toBe(false);
  });
});

describe('paths inside a container root', () => {
  it('follows symlinks as the container would, never out of the root', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-scoped-'));
    try {
      fs.mkdirSync(path.join(root, 'etc'));
      fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nweb:x:33:44::/w:/bin/sh\n');
      fs.writeFileSync(path.join(root, 'etc/group'), 'web:x:44:\nextra:x:50:web\n');
      fs.symlinkSync('/etc', path.join(root, 'abs'));
      fs.symlinkSync('../../../../etc', path.join(root, 'up'));
      expect(scopedPath(root, '/abs/passwd')).toBe(path.join(root, 'etc/passwd'));
      expect(scopedPath(root, '/up/passwd')).toBe(path.join(root, 'etc/passwd'));
      expect(scopedPath(root, '/../../etc/shadow')).toBe(path.join(root, 'etc/shadow'));
      expect(resolveUser('web', root)).toEqual({ uid: 33, gid: 44, additionalGids: [50] });
      expect(resolveUser('1000:50', root)).toEqual({ uid: 1000, gid: 50, additionalGids: [] });
      expect(() => resolveUser('nobody', root)).toThrow('unable to find user nobody: no matching entries in passwd file');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
