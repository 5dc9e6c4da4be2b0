// Unix sockets with raw fds, and passing file descriptors over them (unix(7) SCM_RIGHTS): how a
// pty master travels from the container init to whoever listens on --console-socket.
import { fn, check, koffi } from './libc';

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0x80000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;

let types: { iovec: any; msghdr: any } | undefined;
function structs() {
  if (!types) {
    const k = koffi();
    const iovec = k.struct('strata_iovec', { iov_base: 'void *', iov_len: 'size_t' });
    const msghdr = k.struct('strata_msghdr', { msg_name: 'void *', msg_namelen: 'uint32_t', msg_iov: 'void *', msg_iovlen: 'size_t', msg_control: 'void *', msg_controllen: 'size_t', msg_flags: 'int' });
    types = { iovec, msghdr };
  }
  return types;
}

function iov(buf: Buffer): unknown {
  const { iovec } = structs();
  const p = koffi().alloc(iovec, 1);
  koffi().encode(p, iovec, { iov_base: buf, iov_len: buf.length });
  return p;
}

/** socketpair(2): two connected AF_UNIX stream sockets, close-on-exec. */
export function socketpair(): [number, number] {
  const sv = [0, 0];
  check('socketpair', fn('int socketpair(int d, int t, int p, _Out_ int *sv)')(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  return [sv[0], sv[1]];
}

function sockaddr(path: string): Buffer {
  const b = Buffer.alloc(110);
  b.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(path) > 107) throw new Error(`unix socket path too long (max 107 bytes): ${path}`);
  b.write(path, 2);
  return b;
}

/** connect(2) to a unix socket path; returns the raw fd. */
export function connectUnix(path: string): number {
  const fd = check('socket', fn('int socket(int d, int t, int p)')(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const addr = sockaddr(path);
  try {
    check('connect', fn('int connect(int fd, const void *addr, uint32_t len)')(fd, addr, addr.length), path);
  } catch (e) {
    fn('int close(int fd)')(fd);
    throw e;
  }
  return fd;
}

/** bind(2) + listen(2) on a unix socket path; returns the raw fd. */
export function listenUnix(path: string, backlog = 16): number {
  const fd = check('socket', fn('int socket(int d, int t, int p)')(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const addr = sockaddr(path);
  check('bind', fn('int bind(int fd, const void *addr, uint32_t len)')(fd, addr, addr.length), path);
  check('listen', fn('int listen(int fd, int backlog)')(fd, backlog));
  return fd;
}

/** accept4(2), close-on-exec. */
export function acceptFd(fd: number): number {
  return check('accept4', fn('int accept4(int fd, void *addr, void *len, int flags)')(fd, null, null, SOCK_CLOEXEC));
}

/** sendmsg(2) with SCM_RIGHTS: the receiver gets duplicates of `fds`. */
export function sendFds(sockFd: number, fds: number[], payload: Buffer = Buffer.from([0])): void {
  const { msghdr } = structs();
  const ctrl = Buffer.alloc(16 + 8 * Math.ceil((fds.length * 4) / 8));
  ctrl.writeBigUInt64LE(BigInt(16 + fds.length * 4), 0); // cmsg_len = CMSG_LEN(n*4)
  ctrl.writeInt32LE(SOL_SOCKET, 8);
  ctrl.writeInt32LE(SCM_RIGHTS, 12);
  fds.forEach((f, i) => ctrl.writeInt32LE(f, 16 + 4 * i));
  const send = fn('long sendmsg(int fd, const strata_msghdr *msg, int flags)');
  void msghdr;
  check('sendmsg', send(sockFd, { msg_name: null, msg_namelen: 0, msg_iov: iov(payload), msg_iovlen: 1, msg_control: ctrl, msg_controllen: ctrl.length, msg_flags: 0 }, MSG_NOSIGNAL));
}

/** recvmsg(2) with SCM_RIGHTS. Returns null on EAGAIN when nonblocking. */
export function recvFds(sockFd: number, opts: { nonblocking?: boolean } = {}): { fds: number[]; payload: Buffer } | null {
  structs();
  const data = Buffer.alloc(4096);
  const ctrl = Buffer.alloc(256);
  const recv = fn('long recvmsg(int fd, strata_msghdr *msg, int flags)');
  const n = recv(sockFd, { msg_name: null, msg_namelen: 0, msg_iov: iov(data), msg_iovlen: 1, msg_control: ctrl, msg_controllen: ctrl.length, msg_flags: 0 }, opts.nonblocking ? MSG_DONTWAIT : 0);
  if (n === -1 && opts.nonblocking && koffi().errno() === 11) return null;
  check('recvmsg', n);
  const fds: number[] = [];
  // Walk the control messages (cmsg(3)): header is {u64 len, i32 level, i32 type}, data aligned to 8.
  let off = 0;
  while (off + 16 <= ctrl.length) {
    const len = Number(ctrl.readBigUInt64LE(off));
    if (len < 16) break;
    if (ctrl.readInt32LE(off + 8) === SOL_SOCKET && ctrl.readInt32LE(off + 12) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(ctrl.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return { fds, payload: data.subarray(0, Number(n)) };
}

/**
 * getsockopt(SOL_SOCKET, SO_PEERCRED): who is at the other end of a connected unix socket
 * (struct ucred {pid, uid, gid}, unix(7)). The shim uses it to admit only its own user.
 */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } {
  const buf = Buffer.alloc(12);
  const len = [12];
  check('getsockopt(SO_PEERCRED)', fn('int getsockopt(int fd, int level, int name, void *val, _Inout_ uint32_t *len)')(fd, SOL_SOCKET, 17, buf, len), `fd ${fd}`);
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}
