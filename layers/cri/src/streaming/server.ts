// The streaming server: the CRI's Exec/Attach/PortForward RPCs do not carry the bytes themselves;
// they return a URL on this HTTP server (http://ADDRESS:PORT/{exec,attach,portforward}/TOKEN), and
// the client connects there and upgrades the connection to SPDY/3.1 or a websocket. This mirrors
// the kubelet's streaming server (k8s.io/kubelet/pkg/cri/streaming), which runtimes embed.
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StreamingError } from './errors';
import { serveSpdyPortForward } from './portforward/spdy';
import { serveWebsocketPortForward } from './portforward/websocket';
import {
  HEADER_ACCEPTED_PROTOCOL_VERSIONS,
  HEADER_PROTOCOL_VERSION,
  PORTFORWARD_PROTOCOL,
  PORTFORWARD_PROTOCOLS_WEBSOCKET,
  REMOTECOMMAND_PROTOCOLS_SPDY,
  REMOTECOMMAND_PROTOCOLS_WEBSOCKET,
  SPDY_UPGRADE,
  headerList,
  negotiate,
} from './protocols';
import { serveRemoteCommandSpdy } from './remotecommand/spdy';
import { serveRemoteCommandWebsocket } from './remotecommand/websocket';
import { DEFAULT_TOKEN_TTL_MS, TokenCache } from './tokens';
import type { AttachRequest, ExecRequest, PortForwardRequest, StreamKind, StreamingRuntime } from './types';
import { writeHttpError, writeSwitchingProtocols, wantsUpgrade } from './upgrade';
import { WebSocketConnection } from './websocket/connection';
import { acceptKey, validClientKey } from './websocket/handshake';

export interface StreamingServerOptions {
  /** Address to listen on and to put into URLs (default 127.0.0.1, like containerd's CRI). */
  address: string;
  /** TCP port; 0 or unset = an ephemeral port. */
  port?: number;
  runtime: StreamingRuntime;
  /** Lifetime of an unused URL (default 1 minute). */
  tokenTtlMs?: number;
  /** How long a SPDY client may take to open its streams (default 30 s, the kubelet's). */
  streamCreationTimeoutMs?: number;
  log?: (msg: string) => void;
}

const KINDS: readonly StreamKind[] = ['exec', 'attach', 'portforward'];

export class StreamingServer {
  private readonly server: http.Server;
  private readonly tokens: TokenCache;
  private readonly sockets = new Set<Duplex>();
  private readonly sessions = new Set<Promise<void>>();
  private readonly log: (msg: string) => void;
  private listening = false;

  constructor(private readonly o: StreamingServerOptions) {
    this.tokens = new TokenCache(o.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS);
    this.log = o.log ?? (() => {});
    this.server = http.createServer((req, res) => {
      // Not an upgrade: resolve the route like an upgrade would (so the token is spent and a bad
      // token still says 404), then refuse, as the kubelet's handshake does.
      const route = this.route(req);
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.statusCode = route instanceof StreamingError ? route.status : 400;
      res.end((route instanceof StreamingError ? route.message : 'unable to upgrade: missing upgrade headers in request (Connection: Upgrade with Upgrade: SPDY/3.1 or websocket)') + '\n');
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<void> {
    if (this.listening) return;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.port ?? 0, this.o.address || '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
  }

  /** Stop listening, drop live sessions, and wait for their handlers to finish. */
  async close(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await Promise.allSettled([...this.sessions]);
    await closed;
  }

  /** TCP connections currently open (for leak checks and metrics). */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Exec/attach/port-forward sessions still running. */
  get activeSessions(): number {
    return this.sessions.size;
  }

  /** The base URL clients connect to (http://127.0.0.1:PORT). */
  get url(): string {
    const a = this.server.address() as AddressInfo | null;
    if (!a) throw new StreamingError('streaming server is not started');
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  /** Validate the CRI request and issue a one-time URL for it (the Exec/Attach/PortForward response). */
  async urlFor(kind: StreamKind, req: object): Promise<string> {
    if (!KINDS.includes(kind)) throw new StreamingError(`unknown stream kind ${JSON.stringify(kind)}`, 400);
    validateRequest(kind, req);
    const base = this.url; // throws when the server is not listening, before a token is spent
    return `${base}/${kind}/${this.tokens.insert(kind, req)}`;
  }

  private route(req: IncomingMessage): { kind: StreamKind; req: object; query: URLSearchParams } | StreamingError {
    const url = new URL(req.url ?? '/', 'http://streaming');
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]{1,64})$/.exec(url.pathname);
    if (!m) return new StreamingError('404 page not found', 404);
    if (req.method !== 'GET' && req.method !== 'POST') return new StreamingError(`method ${req.method} not allowed`, 405);
    const cached = this.tokens.consume(m[2]);
    if (!cached) return new StreamingError(`token ${m[2]} is unknown, already used or expired`, 404);
    if (cached.kind !== m[1]) return new StreamingError(`tokened request is not a ${m[1]} request (it is ${cached.kind})`, 400);
    return { kind: cached.kind, req: cached.req, query: url.searchParams };
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => {}); // a client vanishing mid-session is routine, not a crash
    const route = this.route(req);
    if (route instanceof StreamingError) return writeHttpError(socket, route.status, route.message);
    let session: Promise<void> | undefined;
    try {
      session = wantsUpgrade(req, 'websocket') ? this.upgradeWebsocket(req, socket, head, route) : this.upgradeSpdy(req, socket, head, route);
    } catch (e) {
      this.log(`streaming: ${route.kind}: ${(e as Error).message}`);
      socket.destroy();
    }
    if (!session) return;
    const tracked = session.catch((e: Error) => this.log(`streaming: ${route.kind}: ${e.message}`)).finally(() => {
      this.sessions.delete(tracked);
      // Let queued frames drain (destroy() would drop them), but do not wait forever for a client
      // that never hangs up.
      if (!socket.destroyed) {
        socket.end();
        setTimeout(() => socket.destroy(), 5000).unref();
      }
    });
    this.sessions.add(tracked);
  }

  private upgradeSpdy(req: IncomingMessage, socket: Socket, head: Buffer, route: { kind: StreamKind; req: object }): Promise<void> | undefined {
    if (!wantsUpgrade(req, SPDY_UPGRADE)) {
      writeHttpError(socket, 400, `unable to upgrade: missing upgrade headers in request: want Connection: Upgrade and Upgrade: ${SPDY_UPGRADE} or websocket`);
      return undefined;
    }
    const server = route.kind === 'portforward' ? [PORTFORWARD_PROTOCOL] : [...REMOTECOMMAND_PROTOCOLS_SPDY];
    const raw = req.headers[HEADER_PROTOCOL_VERSION.toLowerCase()];
    const client = headerList(raw);
    if (raw === undefined) {
      writeHttpError(socket, 400, `unable to upgrade: header ${HEADER_PROTOCOL_VERSION} does not exist in request`);
      return undefined;
    }
    if (client.length === 0) {
      writeHttpError(socket, 400, `unable to upgrade: header ${HEADER_PROTOCOL_VERSION} contains no valid protocols`);
      return undefined;
    }
    const protocol = negotiate(client, server);
    if (!protocol) {
      writeHttpError(socket, 403, `unable to upgrade: unable to negotiate protocol: client supports [${client.join(' ')}], server accepts [${server.join(' ')}]`, {
        [HEADER_ACCEPTED_PROTOCOL_VERSIONS]: server,
      });
      return undefined;
    }
    writeSwitchingProtocols(socket, { Upgrade: SPDY_UPGRADE, [HEADER_PROTOCOL_VERSION]: protocol });
    const common = { socket, head, runtime: this.o.runtime, streamCreationTimeoutMs: this.o.streamCreationTimeoutMs ?? 30_000, log: this.log };
    if (route.kind === 'portforward') return serveSpdyPortForward({ ...common, req: route.req as PortForwardRequest });
    return serveRemoteCommandSpdy({ ...common, protocol, kind: route.kind, req: route.req as ExecRequest | AttachRequest });
  }

  private upgradeWebsocket(req: IncomingMessage, socket: Socket, head: Buffer, route: { kind: StreamKind; req: object; query: URLSearchParams }): Promise<void> | undefined {
    const key = req.headers['sec-websocket-key'];
    if (req.method !== 'GET' || req.headers['sec-websocket-version'] !== '13' || !validClientKey(key)) {
      // RFC 6455 4.2.2: tell the client which version we speak
      writeHttpError(socket, 400, 'websocket: bad handshake: need GET with Sec-WebSocket-Version: 13 and a valid Sec-WebSocket-Key', { 'Sec-WebSocket-Version': '13' });
      return undefined;
    }
    let ports: number[] = [];
    if (route.kind === 'portforward') {
      const pf = route.req as PortForwardRequest;
      const asked = route.query.getAll('port');
      for (const p of asked) {
        const n = Number(p);
        if (!/^\d{1,5}$/.test(p) || n < 1 || n > 65535) {
          writeHttpError(socket, 400, `invalid port ${JSON.stringify(p)} in query parameter "port" (must be 1-65535)`);
          return undefined;
        }
        if (pf.port && pf.port.length > 0 && !pf.port.includes(n)) {
          writeHttpError(socket, 400, `port ${n} was not requested for this port-forward session`);
          return undefined;
        }
        ports.push(n);
      }
      if (ports.length === 0) ports = pf.port ?? [];
      if (ports.length === 0) {
        writeHttpError(socket, 400, 'query parameter "port" is required');
        return undefined;
      }
    }
    const server = route.kind === 'portforward' ? [...PORTFORWARD_PROTOCOLS_WEBSOCKET] : [...REMOTECOMMAND_PROTOCOLS_WEBSOCKET];
    const client = headerList(req.headers['sec-websocket-protocol']);
    // A client that names no subprotocol gets the plain "" protocol (binary channels, v1 errors).
    const protocol = client.length === 0 ? '' : negotiate(client, server);
    if (protocol === undefined) {
      writeHttpError(socket, 403, `websocket: requested protocol(s) are not supported: [${client.join(' ')}]; supports [${server.join(' ')}]`);
      return undefined;
    }
    const headers: Record<string, string> = { Upgrade: 'websocket', 'Sec-WebSocket-Accept': acceptKey(key) };
    if (protocol) headers['Sec-WebSocket-Protocol'] = protocol;
    writeSwitchingProtocols(socket, headers);
    const conn = new WebSocketConnection(socket, 'server', protocol, head);
    if (route.kind === 'portforward') return serveWebsocketPortForward({ conn, ports, req: route.req as PortForwardRequest, runtime: this.o.runtime, log: this.log });
    return serveRemoteCommandWebsocket({ conn, kind: route.kind, req: route.req as ExecRequest | AttachRequest, runtime: this.o.runtime });
  }
}

/** The checks the kubelet's streaming server makes before issuing a URL (server.go validate*). */
export function validateRequest(kind: StreamKind, req: object): void {
  const r = req as Record<string, unknown>;
  if (kind === 'portforward') {
    if (typeof r.podSandboxId !== 'string' || r.podSandboxId === '') throw new StreamingError('podSandboxId: missing required pod sandbox id', 400);
    const ports = r.port;
    if (ports !== undefined && (!Array.isArray(ports) || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))) {
      throw new StreamingError(`port: must be a list of ports 1-65535 (got ${JSON.stringify(ports)})`, 400);
    }
    return;
  }
  if (typeof r.containerId !== 'string' || r.containerId === '') throw new StreamingError('containerId: missing required container id', 400);
  if (kind === 'exec' && (!Array.isArray(r.cmd) || r.cmd.length === 0 || r.cmd.some((c) => typeof c !== 'string'))) {
    throw new StreamingError('cmd: must be a non-empty list of strings', 400);
  }
  if (r.tty && r.stderr) throw new StreamingError('tty and stderr cannot both be true', 400);
  if (!r.stdin && !r.stdout && !r.stderr) throw new StreamingError('one of stdin, stdout, or stderr must be set', 400);
}
