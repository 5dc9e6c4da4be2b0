// The shim's trace lines (STRATA_TRACE=<file>, format in @strata/linux/trace): the Task API calls
// it serves (from containerd or strata-manager), the start/delete invocations of its binary, the
// engine commands it runs (strata-runtime, runc, crun: named after the binary, so a swapped engine
// shows as a different box), the events it forwards, and the exits it reaps.
//
// containerd starts shims with its own environment (plus TTRPC_ADDRESS and friends), so a
// containerd started with STRATA_TRACE set passes it on; the shim passes it to the daemon it
// launches and to every engine command, which therefore trace into the same file.
import path from 'node:path';
import { processName, traceEvent, tracing, type TraceCall } from '@strata/linux/trace';

export const SHIM = 'containerd-shim-strata-v2';

export { traced, tracedSync, tracing, now } from '@strata/linux/trace';

/** A call this shim makes or serves, as a TraceCall of the shim layer. */
export function shimCall(c: Omit<TraceCall, 'layer'>): TraceCall {
  return { layer: 'shim', ...c };
}

/** The engine's name in traces: the binary's base name (strata-runtime, runc, crun). */
export function engineName(binary: string): string {
  return path.basename(binary).replace(/\.(mjs|cjs|js)$/, '');
}

/** A reaped exit: the kernel's answer to the reaper's waitpid. */
export function traceExit(container: string, execId: string | undefined, status: number, at: Date): void {
  if (!tracing()) return;
  const t = at.getTime();
  traceEvent({ layer: 'shim', from: SHIM, to: 'kernel', protocol: 'syscall', op: 'waitpid', ids: { container, exec: execId }, detail: `exit status ${status}: the ${execId ? 'exec process' : 'container init'} ended`, start: t, end: t });
}

/** The process that runs this one (containerd for `start` and `delete`), named for traces. */
export function parentName(): string {
  return processName(process.ppid);
}
