// HTTP for the registry client, on node:http / node:https only: one request, the response
// headers, and the body as a stream the caller reads (a blob may be gigabytes). Errors become
// ManagerErrors a student can act on: UNAVAILABLE for "cannot reach", with the URL.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { ManagerError } from '../errors';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** A buffer, or a function opening a fresh stream (so a request can be sent again after a 401). */
  body?: Buffer | (() => Readable);
  /** Idle time after which the socket is considered dead (ms). */
  timeoutMs?: number;
}

export interface TlsOptions {
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | Buffer;
  /** false skips certificate verification (a registry marked insecure with https). */
  rejectUnauthorized?: boolean;
}

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

export function sendRequest(req: HttpRequest, tls: TlsOptions = {}): Promise<IncomingMessage> {
  const isHttps = req.url.protocol === 'https:';
  const mod = isHttps ? https : http;
  const headers: Record<string, string> = { 'User-Agent': 'strata-manager/0.1', ...(req.headers ?? {}) };
  if (Buffer.isBuffer(req.body)) headers['Content-Length'] = String(req.body.length);
  const opts: https.RequestOptions = {
    method: req.method,
    headers,
    agent: isHttps ? (tls.ca || tls.rejectUnauthorized === false ? undefined : agents.https) : agents.http,
  };
  if (isHttps && tls.ca) opts.ca = tls.ca;
  if (isHttps && tls.rejectUnauthorized === false) opts.rejectUnauthorized = false;
  const what = `${req.method} ${req.url.href}`;
  const timeout = req.timeoutMs ?? 60_000;
  return new Promise<IncomingMessage>((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const r = mod.request(req.url, opts, (res) => {
      // From here the caller owns the body; a dead socket surfaces as an error on `res`.
      response = res;
      resolve(res);
    });
    r.setTimeout(timeout, () => {
      if (response) response.destroy(new ManagerError('UNAVAILABLE', `${what}: no data for ${timeout / 1000} s`));
      else r.destroy(new ManagerError('UNAVAILABLE', `${what}: no answer for ${timeout / 1000} s`));
    });
    r.on('error', (e) => reject(e instanceof ManagerError ? e : new ManagerError('UNAVAILABLE', `${what}: ${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim())));
    if (req.body === undefined) r.end();
    else if (Buffer.isBuffer(req.body)) r.end(req.body);
    else {
      const body = req.body();
      body.on('error', (e) => r.destroy(e));
      body.pipe(r);
    }
  });
}

/** Read a (small) response body to the end. */
export async function readBody(res: IncomingMessage, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > limit) {
      res.destroy();
      throw new ManagerError('INVALID_ARGUMENT', `response body larger than ${limit} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Throw the response body away so the keep-alive socket goes back to the pool. Always read it:
 * a response that is complete but unread keeps its socket busy, and 16 of them stall the agent.
 */
export function drain(res: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    res.once('end', () => resolve());
    res.once('error', () => resolve());
    res.once('close', () => resolve());
    res.resume();
    if (res.readableEnded || res.destroyed) resolve();
  });
}

export const header = (res: IncomingMessage, name: string): string | undefined => {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};
