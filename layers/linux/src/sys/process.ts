// Processes: pidfds, subreaper, waitpid, namespaces.
import { fn, check } from './libc';

/** pidfd_open(2) (syscall 434): a stable handle on a process, immune to pid reuse. */
export function pidfdOpen(pid: number): number {
  return check('pidfd_open', fn('long syscall(long nr, int pid, unsigned int flags)')(434, pid, 0), `pid ${pid}`);
}

/** pidfd_send_signal(2) (syscall 424). */
export function pidfdSendSignal(pidfd: number, sig: number): void {
  check('pidfd_send_signal', fn('long syscall(long nr, int pidfd, int sig, void *info, unsigned int flags)')(424, pidfd, sig, null, 0));
}

/** prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are re-parented to us (the shim). */
export function setChildSubreaper(): void {
  check('prctl(PR_SET_CHILD_SUBREAPER)', fn('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)')(36, 1, 0, 0, 0));
}

export const WNOHANG = 1;
export const __WALL = 0x40000000;

/** waitpid(2). Returns pid 0 with WNOHANG when nothing changed. */
export function waitpid(pid: number, options = 0): { pid: number; status: number } {
  const status = [0];
  const r = check('waitpid', fn('int waitpid(int pid, _Out_ int *status, int options)')(pid, status, options), `pid ${pid}`);
  return { pid: r, status: status[0] };
}

export interface WaitStatus {
  exited: boolean;
  exitCode?: number;
  signaled: boolean;
  signal?: number;
  stopped: boolean;
}

/** The W* macros of wait(2). */
export function decodeWaitStatus(status: number): WaitStatus {
  const sig = status & 0x7f;
  if (sig === 0) return { exited: true, exitCode: (status >> 8) & 0xff, signaled: false, stopped: false };
  if (sig === 0x7f) return { exited: false, signaled: false, stopped: true, signal: (status >> 8) & 0xff };
  return { exited: false, signaled: true, signal: sig, stopped: false };
}

/** Shell-style exit code: the code, or 128 + signal. */
export function exitCodeOf(status: number): number {
  const d = decodeWaitStatus(status);
  return d.exited ? d.exitCode! : 128 + (d.signal ?? 0);
}

export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWCGROUP = 0x2000000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;

/** setns(2). Only the calling thread moves (Node is multi-threaded: see the init helper). */
export function setns(fd: number, nstype: number): void {
  check('setns', fn('int setns(int fd, int nstype)')(fd, nstype));
}

/** unshare(2) of the calling thread. */
export function unshare(flags: number): void {
  check('unshare', fn('int unshare(int flags)')(flags));
}
