// Two kernel calls Node's fs module does not offer:
//   - extended attributes: lgetxattr(2), llistxattr(2), lsetxattr(2). The "l" variants never
//     follow a symlink, which is what extraction needs;
//   - utimensat(2) with nanoseconds and AT_SYMLINK_NOFOLLOW: fs.lutimes takes seconds as a
//     double, which cannot carry every nanosecond, and the walking differ compares mtimes to the
//     nanosecond (a copied tree must keep them exactly).
//
// These bindings belong with the other libc wrappers in @strata/linux (src/sys/files.ts); they
// live here until they move there. They load libc through koffi lazily, like @strata/linux does.
import { createRequire } from 'node:module';
import { SyscallError } from '@strata/linux';

type Koffi = typeof import('koffi');
let k: Koffi | undefined;
let lib: ReturnType<Koffi['load']> | undefined;
const cache = new Map<string, (...a: any[]) => any>();

function fn(proto: string): (...a: any[]) => any {
  let f = cache.get(proto);
  if (!f) {
    k ??= createRequire(import.meta.url)('koffi') as Koffi;
    lib ??= k.load('libc.so.6');
    f = lib.func(proto) as (...a: any[]) => any;
    cache.set(proto, f);
  }
  return f;
}
const errno = (): number => k!.errno();

const ENODATA = 61;
const ENOTSUP = 95;
const ERANGE = 34;

/** lgetxattr(2): the value, or undefined when the attribute is absent (ENODATA) or unsupported. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const get = fn('intptr_t lgetxattr(const char *path, const char *name, void *value, size_t size)');
  for (;;) {
    const n = Number(get(path, name, null, 0));
    if (n === -1) {
      const e = errno();
      if (e === ENODATA || e === ENOTSUP) return undefined;
      throw new SyscallError('lgetxattr', e, `${path} ${name}`);
    }
    const buf = Buffer.alloc(n);
    if (n === 0) return buf;
    const m = Number(get(path, name, buf, n));
    if (m === -1) {
      const e = errno();
      if (e === ERANGE) continue; // the value grew between the two calls
      if (e === ENODATA || e === ENOTSUP) return undefined;
      throw new SyscallError('lgetxattr', e, `${path} ${name}`);
    }
    return buf.subarray(0, m);
  }
}

/** llistxattr(2): the attribute names (empty when the filesystem has none or no support). */
export function llistxattr(path: string): string[] {
  const list = fn('intptr_t llistxattr(const char *path, void *list, size_t size)');
  for (;;) {
    const n = Number(list(path, null, 0));
    if (n === -1) {
      if (errno() === ENOTSUP) return [];
      throw new SyscallError('llistxattr', errno(), path);
    }
    if (n === 0) return [];
    const buf = Buffer.alloc(n);
    const m = Number(list(path, buf, n));
    if (m === -1) {
      if (errno() === ERANGE) continue;
      throw new SyscallError('llistxattr', errno(), path);
    }
    return buf.subarray(0, m).toString('utf8').split('\0').filter(Boolean);
  }
}

/** lsetxattr(2). */
export function lsetxattr(path: string, name: string, value: Buffer | string, flags = 0): void {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  const r = Number(fn('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)')(path, name, v, v.length, flags));
  if (r === -1) throw new SyscallError('lsetxattr', errno(), `${path} ${name}`);
}

/** Every attribute of a path, as name -> value. */
export function readXattrs(path: string, skip?: (name: string) => boolean): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of llistxattr(path)) {
    if (skip?.(name)) continue;
    const v = lgetxattr(path, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;

/** utimensat(AT_FDCWD, path, [atime, mtime], AT_SYMLINK_NOFOLLOW), times in nanoseconds since the epoch. */
export function lutimesNs(path: string, atimeNs: bigint, mtimeNs: bigint): void {
  const ts = Buffer.alloc(32); // struct timespec[2] on 64-bit Linux: { int64 tv_sec; long tv_nsec }
  [atimeNs, mtimeNs].forEach((t, i) => {
    let sec = t / 1_000_000_000n;
    let nsec = t % 1_000_000_000n;
    if (nsec < 0n) {
      nsec += 1_000_000_000n;
      sec -= 1n;
    }
    ts.writeBigInt64LE(sec, i * 16);
    ts.writeBigInt64LE(nsec, i * 16 + 8);
  });
  const r = Number(fn('int utimensat(int dirfd, const char *path, const void *times, int flags)')(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
  if (r === -1) throw new SyscallError('utimensat', errno(), path);
}
