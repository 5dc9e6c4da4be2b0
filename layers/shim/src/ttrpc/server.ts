// A ttrpc server: services are the .proto services of the schema, methods are async functions
// from a decoded request to a response object. Calls on one connection run concurrently and are
// answered as they finish (a pending Wait does not hold up State).
import fs from 'node:fs';
import net from 'node:net';
import { decode, encode, TtrpcRequestType, TtrpcResponseType, type RpcStatus, type ServiceSpec } from '../proto';
import { encodeFrame, FrameReader, FrameType, MAX_PAYLOAD } from './frame';
import { Code, TtrpcError } from './errors';

export interface CallContext {
  service: string;
  method: string;
  /** Request metadata; containerd sends its namespace as containerd-namespace-ttrpc. */
  metadata: Record<string, string[]>;
  /** Aborted when the call's timeout passes or the connection closes. */
  signal: AbortSignal;
  /** Who called, when the server names its peers (describePeer): e.g. "containerd". */
  peer?: string;
}

export type Handler = (request: any, ctx: CallContext) => Promise<unknown>;

/** Anything thrown with a numeric `grpcCode` or `code` keeps that status code; others are Unknown. */
function statusOf(e: unknown): RpcStatus {
  const err = e as { grpcCode?: number; code?: unknown; message?: string };
  const code = typeof err?.grpcCode === 'number' ? err.grpcCode : e instanceof TtrpcError ? e.code : Code.Unknown;
  return { code, message: err?.message ?? String(e), details: [] };
}

export class TtrpcServer {
  private readonly handlers = new Map<string, { spec: ServiceSpec; impl: Record<string, Handler> }>();
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();

  /** Optional peer check on every new connection (the shim admits only its own uid/gid). */
  authorize?: (socket: net.Socket) => boolean;

  /** Optional: name the peer of each new connection (once), passed to handlers as ctx.peer. */
  describePeer?: (socket: net.Socket) => string | undefined;

  register(spec: ServiceSpec, impl: Record<string, Handler>): this {
    this.handlers.set(spec.fullName, { spec, impl });
    return this;
  }

  /** Serve on a listening net.Server (e.g. one made from an inherited fd). */
  serve(server: net.Server): this {
    server.on('connection', (s) => this.accept(s));
    this.servers.push(server);
    return this;
  }

  /** Listen on a unix socket path with the given file mode. */
  async listen(path: string, mode = 0o600): Promise<net.Server> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    fs.chmodSync(path, mode);
    this.serve(server);
    return server;
  }

  private accept(socket: net.Socket): void {
    if (this.authorize && !this.authorize(socket)) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    const peer = this.describePeer?.(socket);
    const closed = new AbortController();
    socket.on('close', () => {
      this.sockets.delete(socket);
      closed.abort();
    });
    socket.on('error', () => undefined);
    const reply = (streamId: number, status: RpcStatus | undefined, payload: Uint8Array) => {
      let body = encode(TtrpcResponseType, { status, payload });
      if (body.length > MAX_PAYLOAD) body = encode(TtrpcResponseType, { status: { code: Code.ResourceExhausted, message: `response of ${body.length} bytes exceeds the 4 MiB limit`, details: [] } });
      if (!socket.destroyed) socket.write(encodeFrame(streamId, FrameType.Response, body));
    };
    const reader = new FrameReader(
      (f) => {
        if (f.type !== FrameType.Request) return; // streams (type 3) are not used by the Task API
        void this.dispatch(f.payload, closed.signal, peer).then(([status, payload]) => reply(f.streamId, status, payload));
      },
      (streamId, length) => reply(streamId, { code: Code.ResourceExhausted, message: `message of ${length} bytes exceeds the 4 MiB limit`, details: [] }, new Uint8Array(0)),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  private async dispatch(bytes: Uint8Array, closed: AbortSignal, peer?: string): Promise<[RpcStatus | undefined, Uint8Array]> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const req = decode(TtrpcRequestType, bytes);
      const svc = this.handlers.get(req.service);
      const method = svc?.spec.methods[req.method];
      const fn = svc?.impl[req.method];
      if (!svc || !method || !fn) return [{ code: Code.Unimplemented, message: `${req.service}/${req.method}: not implemented`, details: [] }, new Uint8Array(0)];
      const ac = new AbortController();
      closed.addEventListener('abort', () => ac.abort(), { once: true });
      if (req.timeoutNano > 0) {
        timer = setTimeout(() => ac.abort(), Math.ceil(req.timeoutNano / 1e6));
        timer.unref();
      }
      const metadata: Record<string, string[]> = {};
      for (const kv of req.metadata) (metadata[kv.key] ??= []).push(kv.value);
      let input: unknown;
      try {
        input = decode(method.input, req.payload);
      } catch (e) {
        // ttrpc-go answers an undecodable payload with Internal, before any handler runs.
        return [{ code: Code.Internal, message: `ttrpc: error unmarshalling payload: ${(e as Error).message}`, details: [] }, new Uint8Array(0)];
      }
      const output = await fn(input, { service: req.service, method: req.method, metadata, signal: ac.signal, peer });
      return [undefined, encode(method.output, (output ?? {}) as object)];
    } catch (e) {
      return [statusOf(e), new Uint8Array(0)];
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop listening and close every connection. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
