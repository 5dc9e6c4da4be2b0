// File-descriptor and filesystem calls Node lacks.
import { fn, check, koffi } from './libc';

/** flock(2): advisory whole-file lock; released when the fd closes or the process dies. */
export function flock(fd: number, op: 'sh' | 'ex' | 'un', nonblocking = false): boolean {
  const ops = { sh: 1, ex: 2, un: 8 } as const;
  const r = fn('int flock(int fd, int op)')(fd, ops[op] | (nonblocking ? 4 : 0));
  if (r === -1 && nonblocking && koffi().errno() === 11) return false; // EWOULDBLOCK
  check('flock', r, `fd ${fd}`);
  return true;
}

/** mkfifo(3): a named pipe (the exec fifo of create/start). */
export function mkfifo(path: string, mode: number): void {
  check('mkfifo', fn('int mkfifo(const char *path, uint32_t mode)')(path, mode), path);
}

/** mknod(2). */
export function mknod(path: string, mode: number, dev: bigint | number): void {
  check('mknod', fn('int mknod(const char *path, uint32_t mode, uint64_t dev)')(path, mode, BigInt(dev)), path);
}

/** mount(2). */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void {
  check('mount', fn('int mount(const char *src, const char *target, const char *type, unsigned long flags, const char *data)')(source, target, fstype, flags, data ?? null), target);
}

/** umount2(2); MNT_DETACH = 2. */
export function umount2(target: string, flags = 0): void {
  check('umount2', fn('int umount2(const char *target, int flags)')(target, flags), target);
}

export const MNT_DETACH = 2;

/** fcntl(2) F_SETFD/F_SETFL for FD_CLOEXEC and O_NONBLOCK. */
export function setFdFlags(fd: number, f: { cloexec?: boolean; nonblock?: boolean }): void {
  const fcntl = fn('int fcntl(int fd, int cmd, int arg)');
  if (f.cloexec !== undefined) {
    const cur = check('fcntl', fcntl(fd, 1, 0)); // F_GETFD
    check('fcntl', fcntl(fd, 2, f.cloexec ? cur | 1 : cur & ~1)); // F_SETFD
  }
  if (f.nonblock !== undefined) {
    const cur = check('fcntl', fcntl(fd, 3, 0)); // F_GETFL
    check('fcntl', fcntl(fd, 4, f.nonblock ? cur | 0o4000 : cur & ~0o4000)); // F_SETFL
  }
}

export function close(fd: number): void {
  check('close', fn('int close(int fd)')(fd), `fd ${fd}`);
}

export function dup2(oldfd: number, newfd: number): number {
  return check('dup2', fn('int dup2(int oldfd, int newfd)')(oldfd, newfd));
}

/**
 * pipe2(2) with O_CLOEXEC: [read end, write end]. Node has no pipe(); the shim needs real pipes
 * (not socketpairs) for container stdio, because programs treat sockets differently (e.g.
 * opening /dev/stdout fails with ENXIO on a socket).
 */
export function pipe(): [number, number] {
  const fds = [0, 0];
  check('pipe2', fn('int pipe2(_Out_ int *fds, int flags)')(fds, 0o2000000));
  return [fds[0], fds[1]];
}
