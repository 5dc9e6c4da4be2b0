// koffi, loaded lazily: importing it costs ~6 ms, and most strata-runtime commands never call
// into libc directly. Every binding goes through `fn()`, which loads libc.so.6 on first use.
import { createRequire } from 'node:module';

type Koffi = typeof import('koffi');
let k: Koffi | undefined;
let lib: ReturnType<Koffi['load']> | undefined;
const cache = new Map<string, (...a: any[]) => any>();

export function koffi(): Koffi {
  if (!k) k = createRequire(import.meta.url)('koffi') as Koffi;
  return k;
}

/** A libc function by C prototype, e.g. fn('int flock(int fd, int op)'). */
export function fn(proto: string): (...a: any[]) => any {
  let f = cache.get(proto);
  if (!f) {
    lib ??= koffi().load('libc.so.6');
    f = lib.func(proto) as (...a: any[]) => any;
    cache.set(proto, f);
  }
  return f;
}

const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 9: 'EBADF', 10: 'ECHILD', 11: 'EAGAIN',
  12: 'ENOMEM', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL',
  24: 'EMFILE', 28: 'ENOSPC', 38: 'ENOSYS', 39: 'ENOTEMPTY', 95: 'EOPNOTSUPP', 98: 'EADDRINUSE', 111: 'ECONNREFUSED',
};

/** A failed system call: which call, which argument, and the errno by name (errno(3)). */
export class SyscallError extends Error {
  readonly code: string;
  constructor(
    readonly syscall: string,
    readonly errno: number,
    readonly detail = '',
  ) {
    const code = ERRNO_NAMES[errno] ?? `errno ${errno}`;
    const text = (fn('const char *strerror(int errnum)')(errno) as string) ?? code;
    super(`${syscall}${detail ? ` ${detail}` : ''}: ${text} (${code})`);
    this.code = code;
    this.name = 'SyscallError';
  }
}

/** Call, and throw SyscallError when the result is -1 (reading errno right after the call). */
export function check(name: string, r: number | bigint, detail?: string): number {
  if (Number(r) === -1) throw new SyscallError(name, koffi().errno(), detail);
  return Number(r);
}
