// gRPC transport for the manager's API. containerd serves its API as gRPC (HTTP/2) on a unix
// socket; we do the same with @grpc/grpc-js for HTTP/2 and gRPC framing, and our own protobuf
// codec (@strata/shim/proto) for the messages, driven by our own .proto text (api/defs/).
//
// Why grpc-js here when ttrpc is hand-written: ttrpc is the protocol this project teaches in
// full (frames you can read in 20 lines); gRPC adds HTTP/2 (flow control, HPACK, streams) which
// is not container knowledge, and grpc-js is the reference implementation for Node.
//
// Handlers are written against three small shapes (unary, server stream, client/bidi stream)
// and never see grpc-js. Errors become status codes only here, at the edge (like containerd's
// errgrpc.ToGRPC): a ManagerError keeps its kind, anything else is UNKNOWN with its message.
import * as grpc from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { decode, encode, type MethodSpec, type ServiceSpec } from '@strata/shim/proto';
import { GRPC_CODE, ManagerError, type ManagerErrorCode } from '../errors';
import { AsyncLocalStorage } from 'node:async_hooks';

/** The metadata key containerd's clients put the namespace in. */
export const NAMESPACE_HEADER = 'containerd-namespace';
/** Strata's clients name their program here (traces draw the caller by name); servers ignore it. */
export const CLIENT_HEADER = 'strata-client';
const CLIENT_NAME = path.basename(process.argv[1] ?? 'node').replace(/\.(mjs|js|ts)$/, '');

export interface CallContext {
  /** From the containerd-namespace header ('' when absent: handlers that need one refuse). */
  namespace: string;
  metadata: Record<string, string>;
  /** Aborted when the client cancels or disconnects (server streams stop on it). */
  signal: AbortSignal;
}

export type UnaryHandler = (req: any, ctx: CallContext) => Promise<any> | any;
export type ServerStreamHandler = (req: any, ctx: CallContext, send: (msg: any) => void) => Promise<void>;
export type StreamHandler = (incoming: AsyncIterable<any>, ctx: CallContext, send: (msg: any) => void) => Promise<any>;
/** One shape for all: `req` is the request (or, for client streams, an AsyncIterable of them). */
export type Handler = (req: any, ctx: CallContext, send: (msg: any) => void) => any;

// Errors of the layers above (CRI, engine) may carry their own gRPC code as `grpcCode`.
const codeOf = (e: unknown): number =>
  e instanceof ManagerError ? GRPC_CODE[e.code] : typeof (e as { grpcCode?: unknown })?.grpcCode === 'number' ? (e as { grpcCode: number }).grpcCode : 2 /* UNKNOWN */;

function toServiceError(e: unknown): grpc.ServiceError {
  const err = Object.assign(new Error((e as Error)?.message ?? String(e)), { code: codeOf(e), details: (e as Error)?.message ?? String(e), metadata: new grpc.Metadata() });
  return err as grpc.ServiceError;
}

function contextOf(call: { metadata: grpc.Metadata; cancelled?: boolean; on(ev: string, f: () => void): unknown }): CallContext {
  const md: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.metadata.getMap())) md[k] = String(v);
  const ac = new AbortController();
  call.on('cancelled', () => ac.abort());
  call.on('close', () => ac.abort());
  return { namespace: md[NAMESPACE_HEADER] ?? '', metadata: md, signal: ac.signal };
}

function definitionOf(spec: ServiceSpec): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<any, any>> = {};
  for (const m of Object.values(spec.methods)) {
    def[m.name] = {
      path: `/${spec.fullName}/${m.name}`,
      requestStream: !!m.clientStream,
      responseStream: !!m.serverStream,
      requestSerialize: (v: any) => Buffer.from(encode(m.input, v)),
      requestDeserialize: (b: Buffer) => decode(m.input, b),
      responseSerialize: (v: any) => Buffer.from(encode(m.output, v)),
      responseDeserialize: (b: Buffer) => decode(m.output, b),
      originalName: m.name,
    };
  }
  return def as grpc.ServiceDefinition;
}

/**
 * An async iterable over a grpc-js readable call (client or bidi stream). Hand-made rather than
 * `for await (... of call)`: leaving that loop early (a handler that throws) destroys the stream,
 * and a destroyed grpc-js stream can no longer send its error status to the client.
 */
function incomingOf(call: grpc.ServerReadableStream<any, any> | grpc.ServerDuplexStream<any, any>): AsyncIterable<any> {
  const queue: any[] = [];
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  call.on('data', (m) => {
    queue.push(m);
    poke();
  });
  call.on('end', () => {
    ended = true;
    poke();
  });
  call.on('error', (e: Error) => {
    failed ??= e;
    poke();
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (queue.length) yield queue.shift();
        else if (failed) throw failed;
        else if (ended) return;
        else await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

/** Called after each call with its method, duration and error (the daemon logs it at debug). */
export type CallObserver = (method: string, ms: number, error: unknown, ctx: CallContext) => void;

/**
 * End a streaming call with an error status. grpc-js sends a stream's status when the stream
 * ends: record the error (the 'error' event sets it) and then end; destroy() would drop it.
 */
function failStream(call: grpc.ServerWritableStream<any, any> | grpc.ServerDuplexStream<any, any>, e: unknown): void {
  call.emit('error', toServiceError(e));
  call.end();
}

function adapt(m: MethodSpec, h: Handler, path: string, observe: CallObserver = () => {}): grpc.UntypedHandleCall {
  if (!m.clientStream && !m.serverStream) {
    return (call: grpc.ServerUnaryCall<any, any>, cb: grpc.sendUnaryData<any>) => {
      const t0 = performance.now();
      const ctx = contextOf(call);
      Promise.resolve()
        .then(() => (h as UnaryHandler)(call.request, ctx))
        .then(
          (res) => {
            observe(path, performance.now() - t0, undefined, ctx);
            cb(null, res ?? {});
          },
          (e) => {
            observe(path, performance.now() - t0, e, ctx);
            cb(toServiceError(e));
          },
        );
    };
  }
  const timer = (ctx: CallContext) => {
    const t0 = performance.now();
    return (e?: unknown) => observe(path, performance.now() - t0, e, ctx);
  };
  if (!m.clientStream) {
    return (call: grpc.ServerWritableStream<any, any>) => {
      const ctx = contextOf(call);
      const done = timer(ctx);
      (h as ServerStreamHandler)(call.request, ctx, (msg) => {
        if (!ctx.signal.aborted) call.write(msg);
      }).then(
        () => {
          done();
          call.end();
        },
        (e) => {
          done(e);
          failStream(call, e);
        },
      );
    };
  }
  if (!m.serverStream) {
    return (call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>) => {
      const ctx = contextOf(call);
      const done = timer(ctx);
      (h as StreamHandler)(incomingOf(call), ctx, () => {}).then(
        (res) => {
          done();
          cb(null, res ?? {});
        },
        (e) => {
          done(e);
          cb(toServiceError(e));
        },
      );
    };
  }
  return (call: grpc.ServerDuplexStream<any, any>) => {
    const ctx = contextOf(call);
    const done = timer(ctx);
    (h as StreamHandler)(incomingOf(call), ctx, (msg) => {
      if (!ctx.signal.aborted) call.write(msg);
    }).then(
      () => {
        done();
        call.end();
      },
      (e) => {
        done(e);
        failStream(call, e);
      },
    );
  };
}

/**
 * Metadata for the calls made inside one asynchronous operation (what a Go client carries in its
 * context.Context, e.g. containerd-lease): kept per async context, never on the shared client, so
 * that two operations running at once on one client (20 pods started together) cannot see, use or
 * delete each other's lease.
 */
const callMetadata = new AsyncLocalStorage<Record<string, string>>();

/** Run fn with these headers added to every call it makes (nested calls add to the outer ones). */
export function withCallMetadata<T>(md: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return callMetadata.run({ ...(callMetadata.getStore() ?? {}), ...md }, fn);
}

/** A header of the current operation's call metadata (see withCallMetadata). */
export const currentCallMetadata = (key: string): string | undefined => callMetadata.getStore()?.[key];

const WINDOW = 16 << 20;

export class GrpcServer {
  private readonly server = new grpc.Server({
    // containerd's defaults: 16 MiB messages both ways.
    'grpc.max_receive_message_length': 16 << 20,
    'grpc.max_send_message_length': 16 << 20,
  });

  constructor(
    private readonly observe?: CallObserver,
    /** Who answers UNIMPLEMENTED ("strata-manager", "strata-cri"). */
    private readonly serverName = 'strata-manager',
  ) {}

  register(spec: ServiceSpec, impl: Record<string, Handler>): this {
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const m of Object.values(spec.methods)) {
      const h = impl[m.name];
      const path = `/${spec.fullName}/${m.name}`;
      handlers[m.name] = h
        ? adapt(m, h, path, this.observe)
        : adapt(m, () => {
            throw new ManagerError('UNIMPLEMENTED', `${spec.fullName}/${m.name} is not implemented by ${this.serverName}`);
          }, path, this.observe);
    }
    this.server.addService(definitionOf(spec), handlers);
    return this;
  }

  /** Listen on a unix socket, root-only (0600) like containerd's. */
  async listen(socketPath: string): Promise<void> {
    fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o711 });
    fs.rmSync(socketPath, { force: true });
    await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    fs.chmodSync(socketPath, 0o600);
    this.widenFlowControl();
  }

  /**
   * HTTP/2 flow control: a receiver grants the sender a window of bytes it may send before an
   * acknowledgement. Node's default is 64 KiB per stream and per connection, so a 100 MB
   * Content.Write would stop for a window update every 64 KiB. grpc-go (containerd) grows its
   * windows as it measures the link; grpc-js offers no server option, so each new connection is
   * given 16 MiB windows here (the session's SETTINGS and its connection window).
   */
  private widenFlowControl(): void {
    const servers = (this.server as unknown as { http2Servers?: Map<import('node:http2').Http2Server, unknown> }).http2Servers;
    for (const h2 of servers?.keys() ?? []) {
      h2.on('session', (session) => {
        try {
          session.settings({ initialWindowSize: WINDOW });
          session.setLocalWindowSize(WINDOW);
        } catch {
          /* a session closing already */
        }
      });
    }
  }

  async close(graceMs = 2_000): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}

// --- client --------------------------------------------------------------------------------------

/** A gRPC status from the server, turned back into the manager's error kinds (errgrpc.ToNative). */
export function fromStatus(e: unknown): Error {
  const se = e as grpc.ServiceError;
  if (typeof se?.code !== 'number') return e as Error;
  const kind = (Object.entries(GRPC_CODE).find(([, n]) => n === se.code)?.[0] ?? 'INTERNAL') as ManagerErrorCode;
  const err = new ManagerError(kind, se.details || se.message);
  (err as ManagerError & { grpcCode: number }).grpcCode = se.code;
  return err;
}

/**
 * A client for one API connection. Used by strata-ctr, the tests, and the layers above (CRI,
 * engine), against strata-manager or real containerd alike: it only speaks the protocol.
 */
export class GrpcClient {
  private readonly client: grpc.Client;

  constructor(
    readonly address: string,
    public namespace = 'default',
  ) {
    const target = address.startsWith('unix:') ? address : `unix://${address}`;
    this.client = new grpc.Client(target, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 << 20,
      'grpc.max_send_message_length': 16 << 20,
      // large HTTP/2 windows for blob reads (see GrpcServer.widenFlowControl)
      'grpc-node.flow_control_window': WINDOW,
    });
  }

  /** Sent with every call of this client. */
  readonly metadata: Record<string, string> = {};

  private meta(ns?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    const n = ns ?? this.namespace;
    if (n) md.set(NAMESPACE_HEADER, n);
    md.set(CLIENT_HEADER, CLIENT_NAME);
    for (const [k, v] of Object.entries(this.metadata)) md.set(k, v);
    for (const [k, v] of Object.entries(callMetadata.getStore() ?? {})) md.set(k, v);
    return md;
  }

  private path(spec: ServiceSpec, method: string): MethodSpec {
    const m = spec.methods[method];
    if (!m) throw new Error(`${spec.fullName} has no method ${method}`);
    return m;
  }

  call<Res = any>(spec: ServiceSpec, method: string, req: object, o: { namespace?: string; timeoutMs?: number } = {}): Promise<Res> {
    const m = this.path(spec, method);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/${spec.fullName}/${m.name}`,
        (v: any) => Buffer.from(encode(m.input, v)),
        (b: Buffer) => decode(m.output, b),
        req,
        this.meta(o.namespace),
        { deadline: o.timeoutMs ? Date.now() + o.timeoutMs : Infinity },
        (err, res) => (err ? reject(fromStatus(err)) : resolve(res as Res)),
      );
    });
  }

  /** A server stream as an async iterable (Content.Read, Events.Subscribe, List streams). */
  async *stream<Res = any>(spec: ServiceSpec, method: string, req: object, o: { namespace?: string; signal?: AbortSignal } = {}): AsyncIterable<Res> {
    const m = this.path(spec, method);
    const call = this.client.makeServerStreamRequest(
      `/${spec.fullName}/${m.name}`,
      (v: any) => Buffer.from(encode(m.input, v)),
      (b: Buffer) => decode(m.output, b),
      req,
      this.meta(o.namespace),
    );
    const abort = () => call.cancel();
    o.signal?.addEventListener('abort', abort, { once: true });
    try {
      for await (const msg of call as AsyncIterable<Res>) yield msg;
    } catch (e) {
      if ((e as grpc.ServiceError).code === grpc.status.CANCELLED && o.signal?.aborted) return;
      throw fromStatus(e);
    } finally {
      o.signal?.removeEventListener('abort', abort);
      call.cancel();
    }
  }

  /** A bidirectional stream (Content.Write): send requests, read answers in order. */
  duplex<Req = any, Res = any>(spec: ServiceSpec, method: string, o: { namespace?: string } = {}): DuplexCall<Req, Res> {
    const m = this.path(spec, method);
    const call = this.client.makeBidiStreamRequest(
      `/${spec.fullName}/${m.name}`,
      (v: any) => Buffer.from(encode(m.input, v)),
      (b: Buffer) => decode(m.output, b),
      this.meta(o.namespace),
    );
    return new DuplexCall<Req, Res>(call);
  }

  close(): void {
    this.client.close();
  }
}

/**
 * Request/answer over one bidi stream, one answer per request, in order (how containerd's content
 * writer talks). Several requests may be in flight: answers resolve them first-in, first-out.
 */
export class DuplexCall<Req, Res> {
  private readonly answers: Res[] = [];
  private readonly waiting: { resolve: (r: Res) => void; reject: (e: Error) => void }[] = [];
  private failed?: Error;

  constructor(private readonly call: grpc.ClientDuplexStream<any, any>) {
    call.on('data', (msg: Res) => {
      const w = this.waiting.shift();
      if (w) w.resolve(msg);
      else this.answers.push(msg);
    });
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const w of this.waiting.splice(0)) w.reject(this.failed);
    };
    call.on('error', (e: Error) => fail(fromStatus(e)));
    call.on('end', () => fail(new ManagerError('UNAVAILABLE', 'stream closed by the server')));
  }

  send(req: Req): Promise<Res> {
    if (this.failed) return Promise.reject(this.failed);
    this.call.write(req);
    const queued = this.answers.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  end(): void {
    this.call.end();
  }
}
