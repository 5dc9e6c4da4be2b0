// The koffi bindings against the real kernel.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flock, mkfifo, socketpair, sendFds, recvFds, openpty, setWinsize, getWinsize, close, SyscallError, mount, umount2, MNT_DETACH, readMountInfo } from '../src/sys';

describe.skipIf(process.getuid?.() !== 0)('libc bindings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sys-'));
  // not while the tmpfs test's mount is still there (it failed): a recursive rm would reach into it
  afterAll(() => {
    if (!readMountInfo().some((m) => m.mountPoint.startsWith(`${dir}/`))) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('flock excludes a second process', () => {
    const file = path.join(dir, 'lock');
    const fd = fs.openSync(file, 'w');
    expect(flock(fd, 'ex')).toBe(true);
    const other = spawnSync('flock', ['-n', file, 'true']);
    expect(other.status).toBe(1);
    flock(fd, 'un');
    expect(spawnSync('flock', ['-n', file, 'true']).status).toBe(0);
    fs.closeSync(fd);
  });

  it('mkfifo makes a FIFO, and errors carry the errno name', () => {
    const f = path.join(dir, 'fifo');
    mkfifo(f, 0o600);
    expect(fs.statSync(f).isFIFO()).toBe(true);
    expect(() => mkfifo(f, 0o600)).toThrow(SyscallError);
    expect(() => mkfifo(f, 0o600)).toThrow(/EEXIST/);
  });

  it('passes an open file descriptor over a socketpair (SCM_RIGHTS)', () => {
    const file = path.join(dir, 'payload');
    fs.writeFileSync(file, 'through the socket');
    const [a, b] = socketpair();
    const fd = fs.openSync(file, 'r');
    sendFds(a, [fd], Buffer.from('x'));
    const got = recvFds(b)!;
    expect(got.fds).toHaveLength(1);
    expect(got.fds[0]).not.toBe(fd);
    expect(fs.readFileSync(got.fds[0], 'utf8')).toBe('through the socket');
    for (const x of [a, b, got.fds[0]]) close(x);
    fs.closeSync(fd);
    expect(recvFds(socketpair()[0], { nonblocking: true })).toBeNull();
  });

  it('opens a pty and sets its window size', () => {
    const { master, slave, slaveName } = openpty();
    expect(slaveName).toMatch(/^\/dev\/pts\/\d+$/);
    setWinsize(master, 40, 120);
    expect(getWinsize(slave)).toEqual({ rows: 40, cols: 120 });
    close(master);
    close(slave);
  });

  it('mounts and detaches a tmpfs', () => {
    const target = path.join(dir, 'mnt');
    fs.mkdirSync(target);
    mount('tmpfs', target, 'tmpfs', 0, 'size=1m');
    try {
      expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toContain(target);
    } finally {
      umount2(target, MNT_DETACH);
    }
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(target);
  });
});
