// Port forwarding over a websocket (kubelet portforward/websocket.go): one websocket per set of
// ports named in the URL (?port=80&port=443, else the CRI request's ports), one forwarded
// connection per port. Port i uses channel 2i for data (both ways) and 2i+1 for errors
// (server -> client). The first message on each channel is the port number as 2 bytes,
// little-endian, so the client can tell which port a channel belongs to.
import { describeWebsocketProtocol } from '../protocols';
import type { PortForwardRequest, StreamingRuntime } from '../types';
import { ChannelMux } from '../websocket/channels';
import type { WebSocketConnection } from '../websocket/connection';
import { forwardOne } from './forward';

export function portPrefix(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}

export async function serveWebsocketPortForward(o: {
  conn: WebSocketConnection;
  ports: number[];
  req: PortForwardRequest;
  runtime: StreamingRuntime;
  log: (msg: string) => void;
}): Promise<void> {
  const p = describeWebsocketProtocol(o.conn.protocol);
  const mux = new ChannelMux(o.conn, { base64: p.base64, closeSignal: false });
  const jobs = o.ports.map(async (port, i) => {
    const data = mux.channel(2 * i);
    const error = mux.channel(2 * i + 1);
    mux.send(2 * i, portPrefix(port));
    mux.send(2 * i + 1, portPrefix(port));
    const failure = await forwardOne(o.runtime, o.req.podSandboxId, port, data);
    if (failure) {
      o.log(`streaming: portforward: ${failure}`);
      error.write(failure);
    }
  });
  await Promise.allSettled(jobs);
  // No per-channel close exists in v4, so the end of the forwarded connection(s) is the close of
  // the websocket itself.
  if (!o.conn.isClosed) o.conn.close(1000);
}
