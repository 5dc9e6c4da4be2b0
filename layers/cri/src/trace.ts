// strata-cri's trace lines (STRATA_TRACE=<file>, format in @strata/linux/trace): the CRI calls it
// serves (from crictl, strata-crictl, the kubelet, critest), drawn as arrows from the caller to
// strata-cri. The manager it calls writes its own lines into the same file (it serves those
// calls), so one file shows kubelet -> strata-cri -> strata-manager -> shim -> runtime -> kernel.
import { now, traceEvent, tracing, type TraceCall } from '@strata/linux/trace';

export const CRI_DAEMON = 'strata-cri';
export { now, tracing };

export function criCall(c: Omit<TraceCall, 'layer'>): TraceCall {
  return { layer: 'cri', ...c };
}

/** A CRI call this daemon served: "RuntimeService.RunPodSandbox" from /runtime.v1.RuntimeService/RunPodSandbox. */
export function traceServed(method: string, ms: number, error: unknown, caller: string, ids?: Record<string, string | undefined>): void {
  if (!tracing()) return;
  const m = /\/runtime\.v1\.(\w+)\/(\w+)$/.exec(method);
  const op = m ? `${m[1]}.${m[2]}` : method.replace(/^\//, '');
  const end = now();
  traceEvent({ ...criCall({ from: caller, to: CRI_DAEMON, protocol: 'grpc', op, ids, by: 'callee' }), start: end - ms, end, error });
}
