// The Docker Engine API over HTTP/1.1 on unix sockets (dockerd's -H unix://PATH). One Router for
// every route module; each request is: strip /v1.NN (version negotiation), match the route, run
// the handler, turn thrown errors into docker's {"message": "..."} bodies with the status of the
// error's kind (errors.ts).
//
// Hijacking: attach and exec start take over the connection. The client sends
// `Connection: Upgrade` + `Upgrade: tcp`; Node hands such requests to the 'upgrade' event with the
// raw socket and the bytes already read past the headers (a JSON body may follow, Content-Length
// long), and the handler answers `HTTP/1.1 101 UPGRADED` on the socket itself. Node's HTTP server
// sockets are half-open capable, which matters: a docker client without stdin half-closes at once
// and still reads the output.
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex, Writable } from 'node:stream';
import { EngineError } from '../errors';
import type { Logger } from '../log';
import { callerOf, now, traceServed } from '../trace';
import { Router } from './router';
import type { ApiRequest, ApiResponse, Route } from './types';
import { splitVersion } from './version';

const REASONS: Record<number, string> = { 101: 'UPGRADED', 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable' };

export interface ApiServerOptions {
  routes: Route[];
  log: Logger;
  /** Sent as the Server header ("Docker/<version> (linux)" in dockerd). */
  serverHeader: string;
  /** --experimental: every response says so in its Docker-Experimental header, as dockerd's do. */
  experimental?: boolean;
}

export class ApiServer {
  readonly router = new Router();
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Duplex>();
  /** Sent on every response (this server's Server and Docker-Experimental values). */
  private readonly headers: Record<string, string>;

  constructor(private readonly o: ApiServerOptions) {
    this.router.add(o.routes);
    this.headers = { ...DEFAULT_HEADERS, Server: o.serverHeader, 'Docker-Experimental': String(!!o.experimental) };
  }

  /** Listen on a unix socket, root-only (0600), replacing a stale socket file. */
  async listen(sockPath: string): Promise<void> {
    fs.mkdirSync(path.dirname(sockPath), { recursive: true, mode: 0o700 });
    try {
      if (fs.lstatSync(sockPath).isSocket()) fs.unlinkSync(sockPath);
    } catch {
      /* absent */
    }
    const server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 });
    server.on('request', (req, res) => void this.handle(req, httpResponse(req, res, this.headers)));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.handle(req, upgradeResponse(req, socket, this.headers), socket, head));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sockPath, () => resolve());
      });
    } finally {
      process.umask(old);
    }
    fs.chmodSync(sockPath, 0o600);
    this.servers.push(server);
  }

  /** Stop listening and drop every connection (attach and exec streams included). */
  async close(): Promise<void> {
    const closed = Promise.all(this.servers.map((s) => new Promise((r) => s.close(() => r(undefined)))));
    for (const s of this.servers) s.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    // bounded: a connection that ignores the destroy must not keep the daemon from exiting
    await Promise.race([closed, new Promise((r) => setTimeout(r, 3_000).unref())]);
  }

  private async handle(raw: IncomingMessage, res: ApiResponse, upgradeSocket?: Duplex, head?: Buffer): Promise<void> {
    const start = now();
    const url = new URL(raw.url ?? '/', 'http://localhost');
    // The path as sent: WHATWG URL parsing resolves "." and ".." segments, which would turn
    // DELETE /containers/x/checkpoints/.. into DELETE /containers/x. A dot segment stays a
    // parameter value here, and the handler refuses it as the bad name it is.
    const rawPath = (raw.url ?? '/').startsWith('/') ? (raw.url ?? '/').split(/[?#]/)[0] : url.pathname;
    const method = (raw.method ?? 'GET').toUpperCase();
    let op = `${method} ${rawPath}`;
    let error: unknown;
    const params: Record<string, string> = {};
    try {
      const { version, path: p } = splitVersion(rawPath);
      const m = this.router.match(method, p);
      if (m === 'method') throw Object.assign(new EngineError('invalid', `method ${method} not allowed for ${p}`), { status: 405 });
      if (!m) throw new EngineError('notFound', `page not found`);
      op = `${method} ${m.route.pattern}`;
      Object.assign(params, m.params);
      const body = upgradeSocket ? () => readUpgradeBody(raw, upgradeSocket, head ?? Buffer.alloc(0)) : () => readBody(raw);
      const req: ApiRequest = {
        method,
        path: p,
        params: m.params,
        query: url.searchParams,
        headers: raw.headers,
        apiVersion: version,
        raw,
        json: async <T>() => {
          const text = (await body()).toString('utf8');
          if (!text.trim()) return undefined;
          try {
            return JSON.parse(text) as T;
          } catch (e) {
            throw new EngineError('invalid', `invalid JSON body for ${method} ${m.route.pattern}: ${(e as Error).message}`);
          }
        },
      };
      await m.route.handler(req, res);
    } catch (e) {
      error = e;
      const status = (e as { status?: number }).status ?? 500;
      if (status >= 500) this.o.log('error', 'handler failed', { op, err: String((e as Error)?.stack ?? e) });
      else this.o.log('debug', 'request refused', { op, status, err: (e as Error).message });
      if (!res.raw.headersSent && !(res as { hijacked?: boolean }).hijacked) res.json(status, { message: (e as Error)?.message ?? String(e) });
      else res.raw.destroy();
    } finally {
      traceServed(op, start, error, callerOf(raw.headers['user-agent']), { container: params.id ?? params.name });
    }
  }

}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** The body of an upgrade request: Content-Length bytes from `head` and then the socket; the rest goes back. */
function readUpgradeBody(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<Buffer> {
  const want = Number(req.headers['content-length'] ?? 0);
  if (!want) {
    if (head.length) socket.unshift(head);
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => {
    let got = head;
    const finish = () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.pause();
      if (got.length > want) socket.unshift(got.subarray(want));
      resolve(got.subarray(0, want));
    };
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= want) finish();
    };
    const onEnd = () => reject(new EngineError('invalid', 'request body ended early'));
    if (got.length >= want) return finish();
    socket.on('data', onData);
    socket.on('end', onEnd);
  });
}

const DEFAULT_HEADERS: Record<string, string> = { Server: 'strata-engine', 'Api-Version': '1.50', Ostype: 'linux', 'Docker-Experimental': 'false' };

function httpResponse(req: IncomingMessage, res: ServerResponse, defaults: Record<string, string>): ApiResponse {
  for (const [k, v] of Object.entries(defaults)) res.setHeader(k, v);
  return {
    raw: res,
    json(status, body, headers = {}) {
      const text = `${JSON.stringify(body)}\n`;
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
    empty(status = 204) {
      res.writeHead(status);
      res.end();
    },
    stream(status, contentType, headers = {}): Writable {
      res.writeHead(status, { 'Content-Type': contentType, ...headers });
      res.flushHeaders();
      return res;
    },
    hijack(): Duplex {
      throw new EngineError('invalid', 'this endpoint needs a hijacked connection (Connection: Upgrade, Upgrade: tcp)');
    },
  };
}

/** Responses on a connection that asked for an upgrade: written raw, as HTTP/1.1, then the socket is ours. */
function upgradeResponse(req: IncomingMessage, socket: Duplex, defaults: Record<string, string>): ApiResponse & { hijacked: boolean } {
  const status = (code: number, headers: Record<string, string | number>) =>
    `HTTP/1.1 ${code} ${REASONS[code] ?? 'Status'}\r\n${Object.entries({ ...defaults, ...headers })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`;
  const r = {
    hijacked: false,
    raw: { headersSent: false, destroy: () => socket.destroy() } as unknown as ServerResponse,
    json(code: number, body: unknown, headers: Record<string, string> = {}) {
      const text = `${JSON.stringify(body)}\n`;
      socket.end(status(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'close', ...headers }) + text);
    },
    empty(code = 204) {
      socket.end(status(code, { Connection: 'close', ...(code === 200 ? { 'Content-Length': 0 } : {}) }));
    },
    stream(): Writable {
      throw new EngineError('invalid', 'streamed responses are not sent on upgraded connections');
    },
    hijack(contentType: string): Duplex {
      r.hijacked = true;
      socket.write(status(101, { 'Content-Type': contentType, Connection: 'Upgrade', Upgrade: 'tcp' }));
      socket.resume();
      return socket;
    },
  };
  void req;
  return r;
}
