// Test helpers for the registry client: a real Debian docker-registry (distribution v2.8) on
// 127.0.0.1 with a private storage directory, optionally with htpasswd (bcrypt) or token auth;
// a token server (RS256 JWTs with an x5c header, as distribution's token auth verifies them);
// and a proxy that can cut or corrupt blob downloads. Everything is started by pid and stopped
// by pid; every wait is bounded.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
export const haveRegistry = (): boolean => fs.existsSync(REGISTRY_BIN);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A bcrypt hash for an htpasswd file. docker-registry accepts only bcrypt; Debian's libcrypt
 * (libxcrypt) implements it, and perl's crypt() calls it, so no apache2-utils is needed.
 */
export function bcryptHash(password: string): string {
  const alphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(21);
  // 22 salt characters; the last one carries only 2 bits, so pick it from the 4 valid ones.
  const salt = [...bytes].map((b) => alphabet[b % 64]).join('') + '.Oeu'[crypto.randomInt(4)];
  const hash = execFileSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2y$05$${salt}`], { encoding: 'utf8' });
  if (!hash.startsWith('$2y$05$') || hash.length !== 60) throw new Error(`perl crypt() did not produce a bcrypt hash (got ${JSON.stringify(hash)})`);
  return hash;
}

export type RegistryAuth =
  | { htpasswd: Record<string, string> }
  | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };

export interface RunningRegistry {
  /** host:port, e.g. "127.0.0.1:40123" */
  host: string;
  port: number;
  url: string;
  /** The registry's storage root (docker/registry/v2/... below it). */
  storage: string;
  dir: string;
  pid: number;
  log(): string;
  /** Path of a blob's data file in the storage (tests tamper with it). */
  blobFile(digest: string): string;
  stop(): Promise<void>;
}

/** A key and self-signed certificate for 127.0.0.1 (subjectAltName IP), made with openssl. */
export function makeServerCert(dir: string): { cert: string; key: string; pem: string } {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], {
    stdio: 'ignore',
  });
  return { cert, key, pem: fs.readFileSync(cert, 'utf8') };
}

export async function startRegistry(opts: { auth?: RegistryAuth; tls?: { cert: string; key: string } } = {}): Promise<RunningRegistry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-registry-'));
  const storage = path.join(dir, 'storage');
  const port = await freePort();
  let authYaml = '';
  if (opts.auth && 'htpasswd' in opts.auth) {
    const file = path.join(dir, 'htpasswd');
    fs.writeFileSync(file, Object.entries(opts.auth.htpasswd).map(([u, p]) => `${u}:${bcryptHash(p)}\n`).join(''));
    authYaml = `auth:\n  htpasswd:\n    realm: strata-test\n    path: ${file}\n`;
  } else if (opts.auth && 'token' in opts.auth) {
    const t = opts.auth.token;
    authYaml = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootCertBundle}\n`;
  }
  const config = path.join(dir, 'config.yml');
  fs.writeFileSync(
    config,
    `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: ${crypto.randomBytes(16).toString('hex')}
${opts.tls ? `  tls:\n    certificate: ${opts.tls.cert}\n    key: ${opts.tls.key}\n` : ''}${authYaml}`,
  );
  const logFile = path.join(dir, 'registry.log');
  const out = fs.openSync(logFile, 'w');
  // setpriv --pdeathsig: if the test worker dies (a timeout, a crash), the kernel kills the
  // registry too instead of leaving it orphaned (no systemd here to clean up).
  const argv = fs.existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', REGISTRY_BIN] : [REGISTRY_BIN];
  const child: ChildProcess = spawn(argv[0], [...argv.slice(1), 'serve', config], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Ready when /v2/ answers (200 open, 401 with auth); at most 15 s.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const get = opts.tls ? https.get : http.get;
      const req = get({ host: '127.0.0.1', port, path: '/v2/', timeout: 1000, rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      req.on('timeout', () => req.destroy());
    });
    if (status === 200 || status === 401) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const l = log();
      await stop();
      throw new Error(`docker-registry did not start on port ${port}:\n${l}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    storage,
    dir,
    pid: child.pid!,
    log,
    blobFile: (digest) => {
      const hex = digest.replace(/^sha256:/, '');
      return path.join(storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    },
    stop,
  };
}

// ---- token server ------------------------------------------------------------------------------

export interface TokenServer {
  url: string;
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** Requests received (scope strings and the user, '' for anonymous). */
  requests: { user: string; scopes: string[] }[];
  /** Lifetime of issued tokens (seconds). */
  setLifetime(seconds: number): void;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * A Docker-style token server: GET /token?service=..&scope=repository:<name>:<actions> with
 * optional Basic credentials answers {"token", "access_token", "expires_in", "issued_at"}. The
 * token is a JWT signed RS256 with a key whose self-signed certificate is the registry's
 * rootcertbundle; the header carries the certificate in x5c. `grant` decides the actions.
 */
export async function startTokenServer(opts: {
  dir: string;
  users: Record<string, string>;
  grant: (user: string, repository: string, wanted: string[]) => string[];
}): Promise<TokenServer> {
  const keyFile = path.join(opts.dir, 'token.key');
  const certFile = path.join(opts.dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=strata-test-token-issuer'], {
    stdio: 'ignore',
  });
  const key = crypto.createPrivateKey(fs.readFileSync(keyFile));
  const certDer = new crypto.X509Certificate(fs.readFileSync(certFile)).raw;
  const service = 'strata-test-registry';
  const issuer = 'strata-test-issuer';
  const requests: { user: string; scopes: string[] }[] = [];
  let lifetime = 300;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token') {
      res.writeHead(404).end();
      return;
    }
    let user = '';
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (opts.users[u] === undefined || opts.users[u] !== rest.join(':')) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      user = u;
    }
    const scopes = url.searchParams.getAll('scope');
    requests.push({ user, scopes });
    const access = scopes
      .map((s) => /^repository:([^:]+):(.*)$/.exec(s))
      .filter((m): m is RegExpExecArray => !!m)
      .map((m) => ({ type: 'repository', name: m[1], actions: opts.grant(user, m[1], m[2].split(',')) }))
      .filter((a) => a.actions.length > 0);
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c: [certDer.toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: url.searchParams.get('service') ?? service, exp: now + lifetime, nbf: now - 1, iat: now, jti: crypto.randomUUID(), access };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = crypto.sign('sha256', Buffer.from(signingInput), key);
    const token = `${signingInput}.${b64url(signature)}`;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    setLifetime: (s) => {
      lifetime = s;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- a proxy that misbehaves ---------------------------------------------------------------------

export interface Proxy {
  host: string;
  /** Body bytes sent to clients for blob GETs. */
  blobBytes: number;
  /** Ranges asked for (the Range header of blob GETs, '' when none). */
  ranges: string[];
  /** Cut the connection after this many body bytes of the next GET of this blob (once each). */
  cut: Map<string, number>;
  /** Flip a byte in every blob body from now on. */
  corruptBlobs: boolean;
  stop(): Promise<void>;
}

/** Forward everything to `target` (host:port); blob GETs can be cut or corrupted. */
export async function startProxy(target: string): Promise<Proxy> {
  const [thost, tport] = target.split(':');
  const sockets = new Set<net.Socket>();
  const proxy: Proxy = {
    host: '',
    blobBytes: 0,
    ranges: [],
    cut: new Map(),
    corruptBlobs: false,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    const isBlobGet = req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '');
    if (isBlobGet) proxy.ranges.push(String(req.headers.range ?? ''));
    const up = http.request({ host: thost, port: Number(tport), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (!isBlobGet) {
        ur.pipe(res);
        return;
      }
      const digest = /\/blobs\/(sha256:[a-f0-9]{64})/.exec(req.url ?? '')?.[1] ?? '';
      const cut = proxy.cut.get(digest);
      proxy.cut.delete(digest);
      let sent = 0;
      let flipped = false;
      ur.on('data', (chunk: Buffer) => {
        let c = chunk;
        if (proxy.corruptBlobs && !flipped && c.length > 0) {
          c = Buffer.from(c);
          c[Math.floor(c.length / 2)] ^= 0xff;
          flipped = true;
        }
        if (cut !== undefined && sent + c.length >= cut) {
          const part = c.subarray(0, cut - sent);
          proxy.blobBytes += part.length;
          res.write(part, () => res.socket?.destroy());
          ur.destroy();
          return;
        }
        sent += c.length;
        proxy.blobBytes += c.length;
        res.write(c);
      });
      ur.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.host = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return proxy;
}
