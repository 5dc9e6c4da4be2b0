// A Docker Engine API client over HTTP/1.1: unix sockets (unix:///run/x.sock) and TCP
// (tcp://host:port). Like the docker CLI it starts with HEAD /_ping, reads the daemon's
// Api-Version header and then prefixes every path with /v1.NN where NN = min(ours, the daemon's)
// (facts-cri-docker.md: "no header -> assumes 1.24"; 405 on HEAD -> retry with GET).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { CliError, DaemonError } from './errors';

/** The newest Engine API version this client speaks (docker CLI 28.2). */
export const MAX_API_VERSION = '1.50';
export const DEFAULT_HOST = 'unix:///run/strata-engine/strata-engine.sock';

export interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
  /** As the user wrote it, for error messages. */
  url: string;
}

export function parseHost(url: string): Endpoint {
  if (url.startsWith('unix://')) {
    const p = url.slice('unix://'.length);
    if (!p.startsWith('/')) throw new CliError(`unable to parse docker host \`${url}\`: the socket path must be absolute`);
    return { socketPath: p, url };
  }
  const m = /^(?:tcp|http):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(url);
  if (m) return { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 2375, url };
  throw new CliError(`unable to parse docker host \`${url}\``);
}

export const compareVersions = (a: string, b: string): number => {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
};

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined | null>;
  /** A JSON body (serialised), a Buffer, or a stream piped as the body (chunked). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The request is about to be hijacked (attach, exec start). */
  upgrade?: boolean;
  signal?: AbortSignal;
}

export interface Hijacked {
  socket: Duplex;
  /** application/vnd.docker.raw-stream (TTY) or application/vnd.docker.multiplexed-stream. */
  contentType: string;
  /** Bytes that arrived with the 101 response, before the socket was handed over. */
  head: Buffer;
}

export class DockerClient {
  version = MAX_API_VERSION;
  private negotiated = false;
  serverHeaders: http.IncomingHttpHeaders = {};
  /** Debug logging (--log-level debug): one line per request. */
  log?: (msg: string) => void;

  constructor(readonly endpoint: Endpoint) {}

  private cannotConnect(e: NodeJS.ErrnoException): CliError {
    if (e.code === 'EACCES') return new CliError(`permission denied while trying to connect to the Docker daemon socket at ${this.endpoint.url}: ${e.message}`);
    return new CliError(`Cannot connect to the Docker daemon at ${this.endpoint.url}. Is the docker daemon running?`);
  }

  /** HEAD /_ping (GET on 405); sets the API version to min(ours, the daemon's). */
  async negotiate(): Promise<void> {
    if (this.negotiated) return;
    let res = await this.raw('HEAD', '/_ping', {}, false);
    if (res.statusCode === 405) {
      res.resume();
      res = await this.raw('GET', '/_ping', {}, false);
    }
    res.resume();
    this.serverHeaders = res.headers;
    const v = res.headers['api-version'];
    const server = typeof v === 'string' && /^\d+\.\d+$/.test(v) ? v : '1.24';
    this.version = compareVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    this.negotiated = true;
  }

  path(p: string, query?: RequestOptions['query'], versioned = true): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (Array.isArray(v)) for (const x of v) q.append(k, x);
      else if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const qs = q.toString();
    return `${versioned ? `/v${this.version}` : ''}${p}${qs ? `?${qs}` : ''}`;
  }

  private raw(method: string, p: string, o: RequestOptions, versioned = true): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'User-Agent': 'strata/0.1', ...o.headers };
      let body: Buffer | NodeJS.ReadableStream | undefined;
      if (Buffer.isBuffer(o.body)) body = o.body;
      else if (o.body && typeof (o.body as NodeJS.ReadableStream).pipe === 'function') body = o.body as NodeJS.ReadableStream;
      else if (o.body !== undefined) {
        body = Buffer.from(JSON.stringify(o.body));
        headers['Content-Type'] ??= 'application/json';
      }
      if (Buffer.isBuffer(body)) headers['Content-Length'] = String(body.length);
      if (o.upgrade) Object.assign(headers, { Connection: 'Upgrade', Upgrade: 'tcp' });
      this.log?.(`${method} ${this.path(p, o.query, versioned)}`);
      const req = http.request({
        method,
        path: this.path(p, o.query, versioned),
        socketPath: this.endpoint.socketPath,
        host: this.endpoint.host ?? 'api.moby.localhost',
        port: this.endpoint.port,
        headers,
        agent: false,
        signal: o.signal,
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ECONNREFUSED' || e.code === 'ENOENT' || e.code === 'EACCES' ? this.cannotConnect(e) : e));
      req.on('response', resolve);
      if (o.upgrade) {
        req.on('upgrade', (res, socket, head) => {
          (res as any).hijacked = { socket, head, contentType: String(res.headers['content-type'] ?? '') };
          resolve(res);
        });
      }
      if (body && !Buffer.isBuffer(body)) body.pipe(req);
      else req.end(body);
    });
  }

  /** A request whose error statuses become DaemonError with the daemon's {"message"}. */
  async request(method: string, p: string, o: RequestOptions = {}): Promise<http.IncomingMessage> {
    await this.negotiate();
    const res = await this.raw(method, p, o);
    if ((res.statusCode ?? 500) >= 400) throw await daemonError(res);
    return res;
  }

  async json<T = any>(method: string, p: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, p, o);
    const text = (await readAll(res)).toString();
    return (text.trim() ? JSON.parse(text) : undefined) as T;
  }

  /** POST with Connection: Upgrade; resolves with the raw socket after 101 (or the 200 body's socket of old daemons). */
  async hijack(p: string, o: RequestOptions = {}): Promise<Hijacked> {
    await this.negotiate();
    const res = await this.raw('POST', p, { ...o, upgrade: true });
    const h = (res as any).hijacked as Hijacked | undefined;
    if (h) return h;
    if ((res.statusCode ?? 500) >= 400) throw await daemonError(res);
    // A daemon that does not upgrade streams the output in a 200 body; writes are not possible.
    return { socket: res.socket as Duplex, head: Buffer.alloc(0), contentType: String(res.headers['content-type'] ?? '') };
  }
}

export async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

async function daemonError(res: http.IncomingMessage): Promise<DaemonError> {
  const text = (await readAll(res)).toString();
  let message = text.trim();
  try {
    const j = JSON.parse(text);
    if (typeof j?.message === 'string') message = j.message;
  } catch {
    // not JSON: keep the text (old daemons answer text/plain)
  }
  if (!message) message = `${res.statusCode} ${res.statusMessage ?? ''}`.trim();
  return new DaemonError(res.statusCode ?? 500, message);
}
