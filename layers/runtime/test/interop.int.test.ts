// strata-runtime driven by real callers, unchanged: containerd 1.6 through containerd-shim-runc-v2
// (`ctr run --runc-binary`), and podman (`--runtime`). Both use a plain rootfs directory, so no
// image or registry is involved.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cgroup } from '@strata/linux';
import { busyboxRootfs, isRoot, built, runtimeBin, uniqueId } from './helpers';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe.skipIf(!isRoot || !built || !has('containerd') || !has('ctr'))('containerd + containerd-shim-runc-v2 drive strata-runtime', () => {
  let dir: string;
  let daemon: ChildProcess;
  let sock: string;
  const ns = `strata-test-${process.pid}`;
  const ctr = (args: string[], timeout = 30_000) => spawnSync('ctr', ['-a', sock, '-n', ns, ...args], { encoding: 'utf8', timeout });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ctd-'));
    sock = path.join(dir, 'containerd.sock');
    fs.writeFileSync(
      path.join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
        '[grpc]',
        `  address = "${sock}"`,
        '[ttrpc]',
        `  address = "${sock}.ttrpc"`,
      ].join('\n'),
    );
    daemon = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'containerd.log'), 'w')] });
    const end = Date.now() + 20_000;
    while (Date.now() < end && ctr(['version'], 5000).status !== 0) sleep(100);
    expect(ctr(['version']).status).toBe(0);
  });

  afterAll(() => {
    for (const id of (ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) ctr(['t', 'kill', '-s', '9', id]);
    sleep(300);
    for (const id of (ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) ctr(['t', 'rm', '-f', id]);
    for (const id of (ctr(['c', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) ctr(['c', 'rm', id]);
    daemon?.kill('SIGTERM');
    sleep(500);
    fs.rmSync(dir, { recursive: true, force: true });
    // ctr puts a container's cgroup at /<namespace>/<id>. The runtime removes the leaf on delete;
    // the namespace's own cgroup stays (under real containerd too), so the test removes its own.
    const parent = Cgroup.open(`/${ns}`);
    parent.destroy();
    expect(parent.exists()).toBe(false);
  });

  it('ctr run --rm runs a container through the shim and strata-runtime', () => {
    const id = uniqueId('ctr');
    const r = ctr(['run', '--rm', '--runc-binary', runtimeBin, '--rootfs', busyboxRootfs(), id, 'sh', '-c', 'echo hello from ctr; exit 4']);
    expect(r.stdout).toContain('hello from ctr');
    expect(r.status).toBe(4);
  });

  it('exec, ps, pause/resume and kill work on a detached task', () => {
    const id = uniqueId('ctr');
    expect(ctr(['run', '-d', '--runc-binary', runtimeBin, '--rootfs', busyboxRootfs(), id, 'sleep', '60']).status).toBe(0);
    const ex = ctr(['t', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec-ok; cat /proc/1/cmdline']);
    expect(ex.status, ex.stderr).toBe(0);
    expect(ex.stdout).toContain('exec-ok');
    expect(ex.stdout).toContain('sleep');
    const ps = ctr(['t', 'ps', id]);
    expect(ps.status, ps.stderr).toBe(0);
    expect(ps.stdout).toMatch(/PID/);
    expect(ctr(['t', 'pause', id]).status).toBe(0);
    expect(ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
    expect(ctr(['t', 'resume', id]).status).toBe(0);
    expect(ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
    expect(ctr(['t', 'kill', '-s', 'SIGKILL', id]).status).toBe(0);
    const end = Date.now() + 10_000;
    while (Date.now() < end && !/STOPPED/.test(ctr(['t', 'ls']).stdout)) sleep(100);
    expect(ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+STOPPED`));
    expect(ctr(['t', 'rm', id]).status).toBe(0);
    expect(ctr(['c', 'rm', id]).status).toBe(0);
  });
});

describe.skipIf(!isRoot || !built || !has('podman'))('podman drives strata-runtime', () => {
  it('podman run --rm --runtime strata-runtime', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-podman-'));
    try {
      const r = spawnSync(
        'podman',
        ['--root', `${dir}/root`, '--runroot', `${dir}/run`, '--cgroup-manager', 'cgroupfs', '--events-backend', 'file', '--runtime', runtimeBin,
          // podman asks for RLIMIT_NOFILE/NPROC above this host's hard limits and the host has no
          // CAP_SYS_RESOURCE (facts-machine.md): runc fails the same way without these two flags.
          'run', '--rm', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--network', 'none', '--rootfs', busyboxRootfs(), 'sh', '-c', 'echo hello from podman; hostname'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('hello from podman');
      expect(r.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
