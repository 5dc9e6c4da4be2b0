// Port forwarding over SPDY (protocol portforward.k8s.io): one session carries many forwarded
// connections. For each local connection the client opens a pair of streams with the same
// `port` and `requestID` headers: streamType=error (server -> client error text) and
// streamType=data (the bytes). The pair is complete when both have arrived; then the runtime
// connects the data stream to the port inside the pod's network namespace.
import type { Socket } from 'node:net';
import { SpdySession, type SpdyStream } from '../spdy/session';
import type { PortForwardRequest, StreamingRuntime } from '../types';
import { forwardOne, parsePort } from './forward';

interface Pair {
  port?: number;
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

export function serveSpdyPortForward(o: {
  socket: Socket;
  head: Buffer;
  req: PortForwardRequest;
  runtime: StreamingRuntime;
  streamCreationTimeoutMs: number;
  log: (msg: string) => void;
}): Promise<void> {
  const session = new SpdySession(o.socket, 'server', o.head);
  const pairs = new Map<string, Pair>();
  const active = new Set<Promise<void>>();

  session.on('stream', (s: SpdyStream) => {
    const type = s.header('streamType');
    // Clients from before requestID existed: the error stream's id names the request, and the data
    // stream follows it two ids later (kubelet: portforward/httpstream.go).
    const requestId = s.header('requestID') ?? String(type === 'data' ? s.id - 2 : s.id);
    if (type !== 'data' && type !== 'error') {
      o.log(`streaming: portforward: unexpected stream type ${JSON.stringify(type)}`);
      s.reset();
      return;
    }
    let pair = pairs.get(requestId);
    if (!pair) {
      const timer = setTimeout(() => {
        pairs.delete(requestId);
        const p = pair!;
        const msg = `timed out waiting for the ${p.data ? 'error' : 'data'} stream of request ${requestId}`;
        o.log(`streaming: portforward: ${msg}`);
        p.error?.end(msg);
        p.data?.reset();
      }, o.streamCreationTimeoutMs);
      pair = { timer };
      pairs.set(requestId, pair);
    }
    if (pair[type]) {
      s.reset(); // a second stream of the same type for one request is a protocol error
      return;
    }
    pair[type] = s;
    if (!pair.data || !pair.error) return;
    clearTimeout(pair.timer);
    pairs.delete(requestId);
    const { data, error } = pair;
    const job = (async () => {
      const port = parsePort(data.header('port'), o.req);
      if (typeof port === 'string') {
        error.end(port);
        data.reset();
        return;
      }
      const failure = await forwardOne(o.runtime, o.req.podSandboxId, port, data);
      if (failure) {
        o.log(`streaming: portforward: ${failure}`);
        await new Promise<void>((resolve) => error.end(failure, () => resolve()));
      } else error.end();
      if (!data.writableEnded) data.end();
    })();
    active.add(job);
    void job.finally(() => active.delete(job));
  });

  // The session lives until the client hangs up; forwarded connections end with it.
  return new Promise((resolve) =>
    session.on('close', () => {
      for (const p of pairs.values()) clearTimeout(p.timer);
      void Promise.allSettled([...active]).then(() => resolve());
    }),
  );
}
