// Registry authentication, as Docker and containerd do it (distribution's docs/spec/auth/token.md,
// containerd's remotes/docker/authorizer.go):
//
// 1. Send the request anonymously (or with what worked before for that host and scope).
// 2. On 401, read WWW-Authenticate:
//    - `Basic realm="..."`: resend with `Authorization: Basic base64(user:password)`.
//    - `Bearer realm="https://auth/token",service="registry",scope="repository:a/b:pull"`:
//      GET <realm>?service=<service>&scope=<scope> (with Basic credentials if we have some,
//      anonymously otherwise), take `token` (or `access_token`) from the JSON answer, and resend
//      with `Authorization: Bearer <token>`. Tokens are cached per host and scope until
//      `expires_in` runs out; a 401 with a cached token drops it and fetches a new one.
// 3. A second 401 (or a 403) is PERMISSION_DENIED, naming the host.
//
// Credentials come from the options or from a Docker config.json ({"auths": {"host": {"auth":
// base64(user:password)}}}), as `docker login` writes it.
import fs from 'node:fs';
import { ManagerError } from '../errors';
import { readBody, sendRequest, type TlsOptions } from './http';

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

/** Parse a WWW-Authenticate header (RFC 7235): scheme, then comma-separated key="value" pairs. */
export function parseWWWAuthenticate(header: string | undefined): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  while (i < s.length) {
    while (s[i] === ' ' || s[i] === ',') i++;
    const m = /^([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)/.exec(s.slice(i));
    if (!m) break;
    i += m[1].length;
    const ch: Challenge = { scheme: m[1].toLowerCase(), params: {} };
    out.push(ch);
    for (;;) {
      while (s[i] === ' ') i++;
      const kv = /^([A-Za-z0-9_-]+)\s*=\s*/.exec(s.slice(i));
      if (!kv) break;
      // "Bearer realm=..." vs the next challenge "Basic realm=...": a key must be followed by "=".
      i += kv[0].length;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        const v = /^[^,\s]*/.exec(s.slice(i))![0];
        value = v;
        i += v.length;
      }
      ch.params[kv[1].toLowerCase()] = value;
      while (s[i] === ' ') i++;
      if (s[i] === ',') {
        // Another parameter, or the start of another challenge.
        const rest = s.slice(i + 1).trimStart();
        if (/^[A-Za-z0-9_-]+\s*=/.test(rest)) {
          i++;
          continue;
        }
        i++;
        break;
      }
      break;
    }
  }
  return out;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
}

/** Credentials per registry host from a Docker config.json (docker login's file). */
export function loadDockerConfig(file: string): Record<string, Credentials> {
  let doc: DockerConfigFile;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8')) as DockerConfigFile;
  } catch (e) {
    throw new ManagerError('INVALID_ARGUMENT', `docker config ${file}: ${(e as Error).message}`);
  }
  const out: Record<string, Credentials> = {};
  for (const [key, entry] of Object.entries(doc.auths ?? {})) {
    let username = entry.username ?? '';
    let password = entry.password ?? '';
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new ManagerError('INVALID_ARGUMENT', `docker config ${file}: auths.${key}.auth is not base64("user:password")`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    if (!username) continue;
    out[normalizeConfigHost(key)] = { username, password };
  }
  return out;
}

/** "https://index.docker.io/v1/" -> "docker.io"; "http://h:5000" -> "h:5000". */
export function normalizeConfigHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  if (host === 'index.docker.io' || host === 'registry-1.docker.io') return 'docker.io';
  return host;
}

export type CredentialsLookup = (domain: string, apiHost: string) => Credentials | undefined;

export interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Per-client auth state: which hosts want what, and the tokens we hold. */
export class Authorizer {
  /** API host (host:port) -> the challenge it answered last. */
  private readonly challenges = new Map<string, Challenge>();
  /** Cached tokens by "host|scopes" (public so a student or a test can look at, or spoil, them). */
  readonly tokens = new Map<string, CachedToken>();
  /** Token requests made so far (tests and `--debug` read it). */
  tokenRequests = 0;

  constructor(
    private readonly credentials: CredentialsLookup,
    private readonly tls: TlsOptions = {},
    private readonly timeoutMs = 30_000,
  ) {}

  private key(apiHost: string, scopes: string[]): string {
    return `${apiHost}|${[...scopes].sort().join(' ')}`;
  }

  /** The Authorization header to send, if we know the host wants one. */
  async header(domain: string, apiHost: string, scopes: string[]): Promise<string | undefined> {
    const ch = this.challenges.get(apiHost);
    if (!ch) return undefined;
    if (ch.scheme === 'basic') {
      const c = this.credentials(domain, apiHost);
      if (!c) throw new ManagerError('PERMISSION_DENIED', `${apiHost} wants a username and password (HTTP Basic), and none is configured for ${domain}`);
      return basic(c);
    }
    if (ch.scheme === 'bearer') {
      const k = this.key(apiHost, scopes);
      const cached = this.tokens.get(k);
      if (cached && cached.expiresAt > Date.now()) return `Bearer ${cached.token}`;
      const token = await this.fetchToken(domain, apiHost, ch, scopes);
      return `Bearer ${token}`;
    }
    throw new ManagerError('UNIMPLEMENTED', `${apiHost} asks for authentication scheme ${JSON.stringify(ch.scheme)}; supported: Basic, Bearer`);
  }

  /**
   * Record a 401's challenge. Returns false when resending cannot help (the same kind of
   * credentials already failed).
   */
  onUnauthorized(apiHost: string, scopes: string[], wwwAuthenticate: string | undefined, sentAuthorization: boolean): boolean {
    const chs = parseWWWAuthenticate(wwwAuthenticate);
    const ch = chs.find((c) => c.scheme === 'bearer') ?? chs.find((c) => c.scheme === 'basic');
    if (!ch) return false;
    const prev = this.challenges.get(apiHost);
    this.challenges.set(apiHost, ch);
    if (ch.scheme === 'bearer') {
      const had = this.tokens.delete(this.key(apiHost, scopes));
      // A fresh token may help if the one we sent was cached (expired or revoked), or if we sent none.
      return had || !sentAuthorization || prev?.scheme !== 'bearer';
    }
    return !sentAuthorization || prev?.scheme !== 'basic';
  }

  private async fetchToken(domain: string, apiHost: string, ch: Challenge, scopes: string[]): Promise<string> {
    const realm = ch.params.realm;
    if (!realm) throw new ManagerError('PERMISSION_DENIED', `${apiHost}: Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ManagerError('PERMISSION_DENIED', `${apiHost}: Bearer realm ${JSON.stringify(realm)} is not a URL`);
    }
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    // Our request's scopes; the challenge's own scope only when we have none (it belongs to the
    // request that drew the 401, not to later requests on the same host).
    const allScopes = new Set(scopes.length ? scopes : (ch.params.scope ?? '').split(' ').filter(Boolean));
    for (const s of allScopes) url.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    const creds = this.credentials(domain, apiHost);
    if (creds) headers.Authorization = basic(creds);
    this.tokenRequests++;
    const res = await sendRequest({ method: 'GET', url, headers, timeoutMs: this.timeoutMs }, this.tls);
    const body = await readBody(res, 1 << 20);
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new ManagerError('PERMISSION_DENIED', `token server ${url.origin}${url.pathname} refused ${creds ? `user ${creds.username}` : 'anonymous access'} for ${[...allScopes].join(' ')} (HTTP ${res.statusCode})`);
    }
    if (res.statusCode !== 200) throw new ManagerError('UNAVAILABLE', `token server ${url.origin}${url.pathname}: HTTP ${res.statusCode}: ${body.toString().slice(0, 200)}`);
    let doc: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      doc = JSON.parse(body.toString());
    } catch {
      throw new ManagerError('UNAVAILABLE', `token server ${url.origin}${url.pathname}: answer is not JSON`);
    }
    const token = doc.token || doc.access_token;
    if (!token) throw new ManagerError('UNAVAILABLE', `token server ${url.origin}${url.pathname}: answer has no "token"`);
    // The spec's default lifetime is 60 s; keep a margin so a token does not expire in flight.
    const lifetime = Math.max(10, (doc.expires_in ?? 60) - 5) * 1000;
    this.tokens.set(this.key(apiHost, scopes), { token, expiresAt: Date.now() + lifetime });
    return token;
  }
}

const basic = (c: Credentials): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
