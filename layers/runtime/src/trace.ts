// strata-runtime's own trace lines (STRATA_TRACE=<file>, format in @strata/linux/trace): the
// command it was given (from its parent: a shim, podman, a shell) and the syscalls it makes
// itself (cgroup directories, kill, opening exec.fifo). The syscalls that set a container up
// (clone, mount, pivot_root, execve...) are traced by strata-init, the process that makes them.
import { now, processName, processStart, traceEvent, tracing } from '@strata/linux/trace';

export const RUNTIME = 'strata-runtime';

/** Runs `fn` (a syscall or a few of the same kind) and records it as one line to the kernel. */
export function kernelCall<T>(container: string, op: string, detail: string, fn: () => T, count = 1): T {
  if (!tracing() || count === 0) return fn();
  const start = now();
  try {
    const r = fn();
    traceEvent({ layer: 'runtime', from: RUNTIME, to: 'kernel', protocol: 'syscall', op, ids: { container }, detail, count: count > 1 ? count : undefined, start, by: RUNTIME });
    return r;
  } catch (error) {
    traceEvent({ layer: 'runtime', from: RUNTIME, to: 'kernel', protocol: 'syscall', op, ids: { container }, detail, count: count > 1 ? count : undefined, start, error, by: RUNTIME });
    throw error;
  }
}

/** strata-init's names for its two processes (the `by` of their lines, see strata-init.c). */
export const INIT_CHILD = 'its child, the future container process';

/**
 * A syscall made by the container's init that it cannot report itself, observed from here:
 * execve, whose success is the kernel closing the init's O_CLOEXEC descriptors.
 */
export function initSyscall(container: string, op: string, detail: string, start: number, end: number): void {
  traceEvent({ layer: 'runtime', from: RUNTIME, to: 'kernel', protocol: 'syscall', op, ids: { container }, detail, start, end, by: INIT_CHILD });
}

/**
 * The command this process runs, as its caller's call (from the parent process, named after its
 * binary). A caller that traces the same call itself (our shim) records it too; the diagram tool
 * keeps the caller's line. The call began when this process did.
 */
export function traceCommand(command: string, container: string | undefined, result: { exitCode?: number; error?: unknown }): void {
  if (!tracing()) return;
  const detail = result.exitCode !== undefined && result.error === undefined && command === 'run' ? `exit status ${result.exitCode}` : undefined;
  traceEvent({
    layer: 'runtime',
    from: processName(process.ppid),
    to: RUNTIME,
    protocol: 'runc-cli',
    op: command,
    ids: { container },
    detail,
    start: processStart(),
    by: 'callee',
    result: result.error !== undefined ? undefined : 'ok',
    error: result.error,
  });
}
