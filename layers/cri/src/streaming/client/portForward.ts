// Port-forward client: listen on local ports and carry each accepted connection to the pod,
// like `crictl port-forward` / `kubectl port-forward`.
//  - SPDY: one session for everything; each connection becomes an error+data stream pair tagged
//    with the remote port and a fresh requestID.
//  - websocket: the kubelet's websocket endpoint serves one connection per port per URL, and URLs
//    are single-use, so every accepted connection needs a fresh URL: pass `url` as a function that
//    asks the CRI for one (a plain string works for exactly one connection).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { StreamingError } from '../errors';
import { PORTFORWARD_PROTOCOL, PORTFORWARD_PROTOCOLS_WEBSOCKET, describeWebsocketProtocol } from '../protocols';
import { SpdySession } from '../spdy/session';
import type { PortForwardClientOptions } from '../types';
import { ChannelMux } from '../websocket/channels';
import { WebSocketConnection } from '../websocket/connection';
import { dialUpgrade } from './dial';

export interface PortMapping {
  local: number;
  remote: number;
}

export interface PortForwarding {
  /** The ports actually listened on (a local port 0 becomes the one the kernel picked). */
  ports: PortMapping[];
  /** Stop listening, drop forwarded connections and the session. */
  close(): Promise<void>;
  /** Settles when forwarding stops: resolves after close(), rejects if the session is lost. */
  done: Promise<void>;
}

/** "8080:80" (local:remote), ":80" (any local port), "80" (same on both sides), or a number. */
export function parsePortSpec(spec: string | number | PortMapping): PortMapping {
  if (typeof spec === 'object') return checkMapping(spec, JSON.stringify(spec));
  const text = String(spec);
  const m = /^(\d*):(\d+)$/.exec(text) ?? /^()(\d+)$/.exec(text);
  if (!m) throw new StreamingError(`port: ${JSON.stringify(text)} is not PORT, LOCAL:REMOTE or :REMOTE`, 400);
  const remote = Number(m[2]);
  const local = m[1] === '' ? (text.includes(':') ? 0 : remote) : Number(m[1]);
  return checkMapping({ local, remote }, text);
}

function checkMapping(p: PortMapping, text: string): PortMapping {
  if (!Number.isInteger(p.remote) || p.remote < 1 || p.remote > 65535) throw new StreamingError(`port: remote port in ${text} must be 1-65535`, 400);
  if (!Number.isInteger(p.local) || p.local < 0 || p.local > 65535) throw new StreamingError(`port: local port in ${text} must be 0-65535`, 400);
  return p;
}

export async function portForwardClient(
  url: string | (() => Promise<string>),
  ports: Array<string | number | PortMapping>,
  o: PortForwardClientOptions & { onError?: (err: StreamingError) => void } = {},
): Promise<PortForwarding> {
  const mappings = ports.map(parsePortSpec);
  if (mappings.length === 0) throw new StreamingError('port: at least one port is required', 400);
  const report = o.onError ?? (() => {});
  const conns = new Set<net.Socket>();
  let closing = false;
  let rejectDone: (e: Error) => void = () => {};
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => {});

  let forward: (conn: net.Socket, remote: number, local: number) => void;
  let session: SpdySession | undefined;
  if ((o.protocol ?? 'spdy') === 'spdy') {
    const first = typeof url === 'string' ? url : await url();
    const dialed = await dialUpgrade(first, 'spdy', [PORTFORWARD_PROTOCOL]);
    const s = new SpdySession(dialed.socket, 'client', dialed.head);
    session = s;
    s.on('close', () => {
      for (const c of conns) c.destroy();
      if (closing) resolveDone();
      else rejectDone(new StreamingError('lost connection to the pod port-forward session'));
    });
    let nextRequestId = 0;
    forward = (conn, remote, local) => void forwardOverSpdy(s, conn, remote, nextRequestId++).catch((e: Error) => {
      report(new StreamingError(`an error occurred forwarding ${local} -> ${remote}: ${e.message}`));
      conn.destroy();
    });
  } else {
    let used = false;
    const nextUrl = async () => {
      if (typeof url !== 'string') return url();
      if (used) throw new StreamingError('a websocket port-forward URL serves one connection; pass a function that fetches a new URL per connection');
      used = true;
      return url;
    };
    forward = (conn, remote, local) => void forwardOverWebsocket(nextUrl, conn, remote).catch((e: Error) => {
      report(new StreamingError(`an error occurred forwarding ${local} -> ${remote}: ${e.message}`));
      conn.destroy();
    });
  }

  const servers: net.Server[] = [];
  const bound: PortMapping[] = [];
  try {
    for (const m of mappings) {
      const server = net.createServer({ allowHalfOpen: true }, (conn) => {
        conns.add(conn);
        conn.on('close', () => conns.delete(conn));
        conn.on('error', () => {});
        forward(conn, m.remote, (server.address() as net.AddressInfo).port);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(m.local, o.address ?? '127.0.0.1', () => resolve());
      });
      servers.push(server);
      bound.push({ local: (server.address() as net.AddressInfo).port, remote: m.remote });
    }
  } catch (e) {
    for (const s of servers) s.close();
    session?.close();
    throw new StreamingError(`cannot listen on local port: ${(e as Error).message}`);
  }

  return {
    ports: bound,
    done,
    async close() {
      closing = true;
      const stopped = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      for (const c of conns) c.destroy(); // server.close() waits for accepted connections to go
      await stopped;
      if (session && !session.isClosed) session.close();
      resolveDone();
    },
  };
}

/** Copy both ways with half-close: each side's EOF is passed on, the pair ends when both are done. */
function splice(local: net.Socket, remote: Duplex): Promise<void> {
  local.pipe(remote);
  remote.pipe(local);
  return new Promise((resolve) => {
    let ended = 0;
    const one = () => ++ended === 2 && resolve();
    remote.once('end', one);
    local.once('end', one);
    remote.once('close', () => resolve());
    local.once('close', () => resolve());
  });
}

async function forwardOverSpdy(session: SpdySession, conn: net.Socket, remote: number, requestId: number): Promise<void> {
  const headers = { port: String(remote), requestID: String(requestId) };
  const error = await session.createStream({ ...headers, streamType: 'error' });
  error.end(); // the client never writes on the error stream
  const errorText: Buffer[] = [];
  error.on('data', (c: Buffer) => errorText.push(c));
  const data = await session.createStream({ ...headers, streamType: 'data' });
  await splice(conn, data);
  await new Promise<void>((resolve) => {
    if (error.readableEnded || error.destroyed) return resolve();
    error.once('end', resolve);
    error.once('close', resolve);
  });
  conn.end();
  if (!data.destroyed && !data.writableEnded) data.end();
  const msg = Buffer.concat(errorText).toString();
  if (msg) throw new StreamingError(msg);
}

async function forwardOverWebsocket(nextUrl: () => Promise<string>, conn: net.Socket, remote: number): Promise<void> {
  conn.pause();
  const base = new URL(await nextUrl());
  base.searchParams.append('port', String(remote));
  const dialed = await dialUpgrade(base.toString(), 'websocket', [...PORTFORWARD_PROTOCOLS_WEBSOCKET]);
  const p = describeWebsocketProtocol(dialed.protocol);
  const ws = new WebSocketConnection(dialed.socket, 'client', dialed.protocol, dialed.head);
  const mux = new ChannelMux(ws, { base64: p.base64, closeSignal: false });
  const data = mux.channel(0);
  const error = mux.channel(1);
  // Each channel starts with the 2-byte little-endian port; strip it before passing bytes on.
  const errorText: Buffer[] = [];
  let errorPrefix = 2;
  error.on('data', (c: Buffer) => {
    const skip = Math.min(errorPrefix, c.length);
    errorPrefix -= skip;
    if (c.length > skip) errorText.push(c.subarray(skip));
  });
  let dataPrefix = 2;
  data.on('data', (c: Buffer) => {
    const skip = Math.min(dataPrefix, c.length);
    dataPrefix -= skip;
    if (c.length > skip && !conn.write(c.subarray(skip))) {
      data.pause();
      conn.once('drain', () => data.resume());
    }
  });
  conn.pipe(data, { end: false }); // v4 has no per-channel close: our EOF cannot be sent
  conn.resume();
  await new Promise<void>((resolve) => {
    ws.once('close', resolve);
    conn.once('close', resolve);
  });
  conn.end();
  if (!ws.isClosed) ws.close();
  const msg = Buffer.concat(errorText).toString();
  if (msg) throw new StreamingError(msg);
}
