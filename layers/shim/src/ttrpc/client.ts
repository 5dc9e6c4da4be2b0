// A ttrpc client: one connection, many concurrent calls told apart by odd stream ids.
import net from 'node:net';
import { decode, encode, TtrpcRequestType, TtrpcResponseType, type ServiceSpec } from '../proto';
import { encodeFrame, FrameReader, FrameType } from './frame';
import { Code, TtrpcError } from './errors';

export interface CallOptions {
  timeoutMs?: number;
  metadata?: Record<string, string>;
}

export class TtrpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();
  private closedError?: Error;

  private constructor(private readonly socket: net.Socket) {
    const reader = new FrameReader((f) => {
      if (f.type !== FrameType.Response) return;
      const p = this.pending.get(f.streamId);
      if (!p) return;
      this.pending.delete(f.streamId);
      clearTimeout(p.timer);
      try {
        const res = decode(TtrpcResponseType, f.payload);
        if (res.status && res.status.code !== Code.OK) p.reject(new TtrpcError(res.status.code, res.status.message));
        else p.resolve(res.payload);
      } catch (e) {
        p.reject(e as Error);
      }
    });
    socket.on('data', (c: Buffer) => reader.push(c));
    socket.on('error', (e) => (this.closedError = e));
    socket.on('close', () => {
      const err = new TtrpcError(Code.Unavailable, `ttrpc: connection closed${this.closedError ? `: ${this.closedError.message}` : ''}`);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
      this.closedError ??= err;
    });
  }

  /** Connect to a unix socket path (or a unix:// address). */
  static connect(address: string, timeoutMs = 5_000): Promise<TtrpcClient> {
    const path = address.replace(/^unix:\/\//, '');
    return new Promise((resolve, reject) => {
      const s = net.createConnection(path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new TtrpcError(Code.Unavailable, `ttrpc: connecting to ${path} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new TtrpcClient(s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(new TtrpcError(Code.Unavailable, `ttrpc: cannot connect to ${path}: ${e.message}`));
      });
    });
  }

  /** One call with raw payload bytes. */
  callRaw(service: string, method: string, payload: Uint8Array, o: CallOptions = {}): Promise<Uint8Array> {
    if (this.closedError || this.socket.destroyed) return Promise.reject(new TtrpcError(Code.Unavailable, 'ttrpc: connection closed'));
    const id = this.nextId;
    this.nextId += 2;
    const metadata = Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value }));
    const body = encode(TtrpcRequestType, { service, method, payload, timeoutNano: o.timeoutMs ? o.timeoutMs * 1e6 : 0, metadata });
    return new Promise((resolve, reject) => {
      const entry: { resolve: (b: Uint8Array) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout } = { resolve, reject };
      if (o.timeoutMs) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new TtrpcError(Code.DeadlineExceeded, `${service}/${method}: no answer within ${o.timeoutMs} ms`));
        }, o.timeoutMs + 1_000);
      }
      this.pending.set(id, entry);
      this.socket.write(encodeFrame(id, FrameType.Request, body));
    });
  }

  /** One typed call of a schema service. */
  async call<Res = any>(spec: ServiceSpec, method: string, request: object, o: CallOptions = {}): Promise<Res> {
    const m = spec.methods[method];
    if (!m) throw new TtrpcError(Code.Unimplemented, `${spec.fullName} has no method ${method}`);
    const out = await this.callRaw(spec.fullName, method, encode(m.input, request), o);
    return decode(m.output, out) as Res;
  }

  /** Applies `describe` to the connection's socket (e.g. to name the server's process). */
  describePeer<T>(describe: (socket: net.Socket) => T): T {
    return describe(this.socket);
  }

  /** Run `fn` once when the connection is gone (closed by either side). */
  onClose(fn: () => void): void {
    if (this.socket.destroyed) queueMicrotask(fn);
    else this.socket.once('close', fn);
  }

  close(): void {
    this.socket.destroy();
  }
}
