// strata-manager's trace lines (STRATA_TRACE=<file>, format in @strata/linux/trace): the API
// calls it serves (containerd gRPC, from ctr or strata-ctr), the shim binaries it runs (start,
// delete) and the Task API calls it makes to them over ttrpc. The shims it starts inherit
// STRATA_TRACE (as containerd's do), so one file holds the whole path down to the kernel.
import { now, traced, traceEvent, tracing, type TraceCall } from '@strata/linux/trace';

export const MANAGER = 'strata-manager';
export { now, traced, tracing };

export function managerCall(c: Omit<TraceCall, 'layer'>): TraceCall {
  return { layer: 'manager', ...c };
}

/** An API call this daemon served: "Tasks.Create" from /containerd.services.tasks.v1.Tasks/Create. */
export function traceServed(method: string, ms: number, error: unknown, caller: string): void {
  if (!tracing()) return;
  const m = /\/containerd\.services\.(\w+)\.v1\.(\w+)\/(\w+)$/.exec(method);
  const op = m ? `${m[2]}.${m[3]}` : method.replace(/^\//, '');
  const end = now();
  traceEvent({ ...managerCall({ from: caller, to: MANAGER, protocol: 'grpc', op, by: 'callee' }), start: end - ms, end, error });
}
