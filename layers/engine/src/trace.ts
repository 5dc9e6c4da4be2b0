// strata-engine's trace lines (STRATA_TRACE=<file>, format in @strata/linux/trace): the Docker
// Engine API calls it serves (from the docker CLI or `strata`). The calls it makes to the manager
// are recorded by the manager itself (it names its caller from the strata-client header, which
// the engine's gRPC client sets to "strata-engine"), so one file shows
// docker -> strata-engine -> strata-manager -> shim -> runtime -> kernel.
import { now, traceEvent, tracing } from '@strata/linux/trace';

export const ENGINE = 'strata-engine';

/** "Docker-Client/28.2.2 (linux)" -> "docker"; "strata/0.1.0" -> "strata". */
export function callerOf(userAgent: string | undefined): string {
  if (!userAgent) return 'client';
  if (/^Docker-Client\//i.test(userAgent)) return 'docker';
  return userAgent.split(/[/\s]/)[0] || 'client';
}

/** One served API call: op is the route, e.g. "POST /containers/{id}/start". */
export function traceServed(op: string, start: number, error: unknown, caller: string, ids: Record<string, string | undefined> = {}): void {
  if (!tracing()) return;
  traceEvent({ layer: 'engine', from: caller, to: ENGINE, protocol: 'http', op, ids, start, end: now(), error, by: 'callee' });
}

export { now, tracing };

/**
 * Record the engine's own calls to the manager (as the caller), so a trace shows them even when
 * the manager below is real containerd, which writes no Strata trace lines.
 */
export function traceManagerCalls(grpc: { call: (...a: any[]) => Promise<any> }, peer: () => string): void {
  if (!tracing()) return;
  const call = grpc.call.bind(grpc);
  grpc.call = async (spec: { fullName: string }, method: string, req: Record<string, any> = {}, ...rest: any[]) => {
    const start = now();
    const op = `${spec.fullName.split('.').pop()}.${method}`;
    const ids = { container: req.containerId ?? req.id ?? req.container?.id, exec: req.execId };
    try {
      const r = await call(spec, method, req, ...rest);
      traceEvent({ layer: 'engine', from: ENGINE, to: peer(), protocol: 'grpc', op, ids, start });
      return r;
    } catch (error) {
      traceEvent({ layer: 'engine', from: ENGINE, to: peer(), protocol: 'grpc', op, ids, start, error });
      throw error;
    }
  };
}
