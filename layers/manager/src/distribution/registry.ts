// A client for the OCI distribution-spec (spec.md) / Docker Registry HTTP API v2, as
// containerd's remotes/docker resolver, fetcher and pusher speak it:
//
//   HEAD/GET /v2/<name>/manifests/<tag|digest>   Accept: the manifest media types -> descriptor
//   GET      /v2/<name>/blobs/<digest>           Range: bytes=<offset>- to resume
//   HEAD     /v2/<name>/blobs/<digest>           does the registry have it?
//   POST     /v2/<name>/blobs/uploads/           -> 202 Location (or ?mount=<digest>&from=<repo> -> 201)
//   PATCH    <location>                          Content-Range: <start>-<end> (chunked upload)
//   PUT      <location>?digest=<digest>          the whole blob (monolithic) or nothing (after PATCHes)
//   PUT      /v2/<name>/manifests/<ref>          Content-Type: the manifest's media type
//
// Every request goes through the Authorizer (anonymous, Basic, Bearer token), over http for
// localhost and hosts marked insecure, to mirrors first when configured.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ManagerError, invalid } from '../errors';
import { parseDigest, sha256 } from '../content/digest';
import type { Descriptor } from '../types';
import { MANIFEST_ACCEPT, isIndexType, isManifestType, MediaType } from '../images/mediaTypes';
import { formatReference, parseReference, referenceObject, type Reference } from '../images/reference';
import { Authorizer, loadDockerConfig, normalizeConfigHost, type Credentials } from './auth';
import { apiUrl, registryHosts, type HostCapability, type HostsConfig, type RegistryHost } from './hosts';
import { drain, header, readBody, sendRequest, type TlsOptions } from './http';

export interface RegistryOptions extends HostsConfig {
  /** Credentials per registry name (or API host:port). */
  credentials?: Record<string, Credentials>;
  /** A Docker config.json to read credentials from (e.g. ~/.docker/config.json). */
  dockerConfig?: string;
  tls?: TlsOptions;
  /** Socket idle timeout (ms). */
  timeoutMs?: number;
}

export interface Resolved {
  /** The normalized reference, e.g. "docker.io/library/busybox:latest". */
  name: string;
  desc: Descriptor;
}

/** A registry error body: {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "...", "detail": ...}]}. */
function describeErrors(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString()) as { errors?: { code?: string; message?: string }[] };
    if (doc.errors?.length) return doc.errors.map((e) => [e.code, e.message].filter(Boolean).join(': ')).join('; ');
  } catch {
    /* not JSON */
  }
  return body.toString('utf8').slice(0, 200).trim();
}

export class RegistryClient {
  readonly authorizer: Authorizer;
  private readonly credentials: Record<string, Credentials>;

  constructor(readonly options: RegistryOptions = {}) {
    this.credentials = {};
    if (options.dockerConfig) Object.assign(this.credentials, loadDockerConfig(options.dockerConfig));
    for (const [k, v] of Object.entries(options.credentials ?? {})) this.credentials[normalizeConfigHost(k)] = v;
    this.authorizer = new Authorizer((domain, apiHost) => this.credentials[apiHost] ?? this.credentials[domain], options.tls, options.timeoutMs);
  }

  /** A repository handle for "host/path[:tag]" (the tag/digest part is ignored here). */
  repository(ref: string | Reference): Repository {
    const r = typeof ref === 'string' ? parseReference(ref, { defaultTag: false }) : ref;
    return new Repository(this, r.domain, r.path);
  }

  /** Resolve a reference to the descriptor of its manifest or index (containerd's Resolver.Resolve). */
  async resolve(ref: string): Promise<Resolved> {
    const r = parseReference(ref);
    const desc = await this.repository(r).resolve(referenceObject(r));
    if (r.digest && desc.digest !== r.digest) {
      throw new ManagerError('DATA_LOSS', `${ref}: the registry answered digest ${desc.digest} for a reference pinned to ${r.digest}`);
    }
    return { name: formatReference(r), desc };
  }

  /** Send a request to one host with authentication (one retry after a 401 challenge). */
  async request(
    host: RegistryHost,
    scopes: string[],
    req: { method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: URL; headers?: Record<string, string>; body?: Buffer | (() => Readable) },
  ): Promise<IncomingMessage> {
    const apiHost = host.base.host;
    const send = async (): Promise<{ res: IncomingMessage; sentAuth: boolean }> => {
      const auth = await this.authorizer.header(host.domain, apiHost, scopes);
      const headers = { ...(req.headers ?? {}) };
      if (auth) headers.Authorization = auth;
      const res = await sendRequest({ ...req, headers, timeoutMs: this.options.timeoutMs }, this.options.tls);
      return { res: await this.followRedirects(res, req, headers), sentAuth: !!auth };
    };
    let { res, sentAuth } = await send();
    if (res.statusCode === 401) {
      const challenge = header(res, 'www-authenticate');
      await drain(res);
      if (this.authorizer.onUnauthorized(apiHost, scopes, challenge, sentAuth)) ({ res, sentAuth } = await send());
      if (res.statusCode === 401) {
        const body = await readBody(res).catch(() => Buffer.alloc(0));
        throw new ManagerError(
          'PERMISSION_DENIED',
          `${req.method} ${req.url.href}: ${apiHost} refused ${sentAuth ? 'our credentials' : 'anonymous access'} (401 ${describeErrors(body)}); check the username/password for ${host.domain}`,
        );
      }
    }
    if (res.statusCode === 403) {
      const body = await readBody(res).catch(() => Buffer.alloc(0));
      throw new ManagerError('PERMISSION_DENIED', `${req.method} ${req.url.href}: forbidden (403 ${describeErrors(body)})`);
    }
    return res;
  }

  /** Blob GETs may be redirected to storage (S3, a CDN); credentials are not sent to another host. */
  private async followRedirects(res: IncomingMessage, req: { method: string; url: URL; headers?: Record<string, string> }, headers: Record<string, string>): Promise<IncomingMessage> {
    let url = req.url;
    for (let i = 0; i < 5 && (req.method === 'GET' || req.method === 'HEAD') && [301, 302, 303, 307, 308].includes(res.statusCode ?? 0); i++) {
      const loc = header(res, 'location');
      if (!loc) break;
      await drain(res);
      const next = new URL(loc, url);
      const h = { ...headers };
      if (next.host !== url.host) delete h.Authorization;
      url = next;
      res = await sendRequest({ method: req.method as 'GET', url, headers: h, timeoutMs: this.options.timeoutMs }, this.options.tls);
    }
    return res;
  }

  /** Turn a non-success answer into an error naming the request and the registry's words. */
  async failure(res: IncomingMessage, what: string): Promise<ManagerError> {
    const body = await readBody(res, 64 << 10).catch(() => Buffer.alloc(0));
    const msg = `${what}: HTTP ${res.statusCode}${body.length ? ` ${describeErrors(body)}` : ''}`;
    if (res.statusCode === 404) return new ManagerError('NOT_FOUND', `${msg}: not found`);
    if (res.statusCode === 400 || res.statusCode === 405 || res.statusCode === 413 || res.statusCode === 416) return new ManagerError('INVALID_ARGUMENT', msg);
    return new ManagerError('UNAVAILABLE', msg);
  }
}

/** One repository (name) on a registry, with its hosts (mirrors first). */
export class Repository {
  readonly hosts: RegistryHost[];

  constructor(
    readonly client: RegistryClient,
    readonly domain: string,
    readonly path: string,
  ) {
    this.hosts = registryHosts(domain, client.options);
  }

  get name(): string {
    return `${this.domain}/${this.path}`;
  }

  scope(actions: string): string {
    return `repository:${this.path}:${actions}`;
  }

  private hostsFor(cap: HostCapability): RegistryHost[] {
    return this.hosts.filter((h) => h.capabilities.includes(cap));
  }

  /** Try each host in turn; the next one on "not found" or "unreachable" (mirror fallback). */
  private async tryHosts<T>(cap: HostCapability, fn: (h: RegistryHost) => Promise<T>): Promise<T> {
    const hosts = this.hostsFor(cap);
    let last: unknown;
    for (const h of hosts) {
      try {
        return await fn(h);
      } catch (e) {
        last = e;
        const retriable = e instanceof ManagerError && (e.code === 'NOT_FOUND' || e.code === 'UNAVAILABLE');
        if (!retriable) throw e;
      }
    }
    throw last;
  }

  /** HEAD the manifest (GET if the registry does not say its digest), returning its descriptor. */
  async resolve(object: string): Promise<Descriptor> {
    const pinned = object.includes(':') ? object : undefined;
    if (pinned) parseDigest(pinned);
    return this.tryHosts('resolve', async (h) => {
      const url = apiUrl(h, `${this.path}/manifests/${object}`);
      const what = `resolve ${this.name}:${object} at ${h.base.host}`;
      let res = await this.client.request(h, [this.scope('pull')], { method: 'HEAD', url, headers: { Accept: MANIFEST_ACCEPT } });
      if (res.statusCode === 404) {
        await drain(res);
        throw new ManagerError('NOT_FOUND', `${this.name}:${object}: not found (${h.base.host} has no such manifest)`);
      }
      let mediaType = (header(res, 'content-type') ?? '').split(';')[0].trim();
      let digest = header(res, 'docker-content-digest') ?? '';
      let size = Number(header(res, 'content-length') ?? '0');
      if (res.statusCode === 200 && mediaType && (digest || pinned) && size > 0) {
        await drain(res);
        return this.checkManifestDesc({ mediaType, digest: pinned ?? digest, size }, what);
      }
      await drain(res);
      // Some registries answer HEAD without the digest or the size: GET and hash the body.
      res = await this.client.request(h, [this.scope('pull')], { method: 'GET', url, headers: { Accept: MANIFEST_ACCEPT } });
      if (res.statusCode !== 200) throw await this.client.failure(res, what);
      const body = await readBody(res);
      mediaType = (header(res, 'content-type') ?? '').split(';')[0].trim();
      if (!mediaType || mediaType === 'application/json') mediaType = (JSON.parse(body.toString()) as { mediaType?: string }).mediaType ?? mediaType;
      digest = sha256(body);
      size = body.length;
      if (pinned && digest !== pinned) throw new ManagerError('DATA_LOSS', `${what}: the manifest hashes to ${digest}, not the ${pinned} asked for`);
      return this.checkManifestDesc({ mediaType, digest, size }, what);
    });
  }

  private checkManifestDesc(d: Descriptor, what: string): Descriptor {
    if (d.mediaType === MediaType.dockerSchema1Manifest || d.mediaType === 'application/vnd.docker.distribution.manifest.v1+json') {
      throw new ManagerError('UNIMPLEMENTED', `${what}: Docker image manifest schema 1 is not supported (push the image again with a current tool)`);
    }
    if (!isManifestType(d.mediaType) && !isIndexType(d.mediaType)) {
      throw new ManagerError('UNIMPLEMENTED', `${what}: unsupported manifest media type ${JSON.stringify(d.mediaType)}`);
    }
    parseDigest(d.digest, 'Docker-Content-Digest');
    return d;
  }

  /**
   * Open a blob or manifest for reading from `offset`. `start` is where the returned bytes
   * begin: the offset if the server honoured the Range request (206), 0 if it sent everything (200).
   */
  async open(desc: Descriptor, offset = 0): Promise<{ stream: IncomingMessage; start: number }> {
    const kind = isManifestType(desc.mediaType) || isIndexType(desc.mediaType) ? 'manifests' : 'blobs';
    const headers: Record<string, string> = { Accept: kind === 'manifests' ? `${desc.mediaType}, ${MANIFEST_ACCEPT}` : '*/*' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    const viaUrls = async (): Promise<{ stream: IncomingMessage; start: number } | undefined> => {
      // Foreign layers name where they live; containerd tries those URLs first.
      for (const u of desc.urls ?? []) {
        try {
          const url = new URL(u);
          const res = await sendRequest({ method: 'GET', url, headers, timeoutMs: this.client.options.timeoutMs }, this.client.options.tls);
          if (res.statusCode === 200 || res.statusCode === 206) return { stream: res, start: res.statusCode === 206 ? offset : 0 };
          await drain(res);
        } catch {
          /* next URL */
        }
      }
      return undefined;
    };
    const fromUrls = await viaUrls();
    if (fromUrls) return fromUrls;
    return this.tryHosts('pull', async (h) => {
      const url = apiUrl(h, `${this.path}/${kind}/${desc.digest}`);
      const res = await this.client.request(h, [this.scope('pull')], { method: 'GET', url, headers });
      const what = `fetch ${desc.digest} from ${this.name} at ${h.base.host}`;
      if (res.statusCode === 200) return { stream: res, start: 0 };
      if (res.statusCode === 206) {
        const range = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '');
        const start = range ? Number(range[1]) : offset;
        if (start !== offset) {
          res.destroy();
          throw new ManagerError('UNAVAILABLE', `${what}: asked for bytes from ${offset}, got a range starting at ${start}`);
        }
        return { stream: res, start };
      }
      if (res.statusCode === 416 && offset > 0) {
        // Our offset is past what the server has: start over.
        await drain(res);
        return this.open(desc, 0);
      }
      throw await this.client.failure(res, what);
    });
  }

  /** Whether the registry has the blob (HEAD /v2/<name>/blobs/<digest>). */
  async blobExists(desc: Descriptor, host = this.pushHost()): Promise<boolean> {
    const res = await this.client.request(host, [this.scope('pull,push')], { method: 'HEAD', url: apiUrl(host, `${this.path}/blobs/${desc.digest}`) });
    await drain(res);
    if (res.statusCode === 200) return true;
    if (res.statusCode === 404) return false;
    throw new ManagerError('UNAVAILABLE', `HEAD blob ${desc.digest} in ${this.name}: HTTP ${res.statusCode}`);
  }

  /** Whether the registry has a manifest by digest. */
  async manifestExists(desc: Descriptor, host = this.pushHost()): Promise<boolean> {
    const res = await this.client.request(host, [this.scope('pull,push')], {
      method: 'HEAD',
      url: apiUrl(host, `${this.path}/manifests/${desc.digest}`),
      headers: { Accept: `${desc.mediaType}, ${MANIFEST_ACCEPT}` },
    });
    await drain(res);
    return res.statusCode === 200;
  }

  pushHost(): RegistryHost {
    const h = this.hostsFor('push');
    if (!h.length) throw invalid('reference', `${this.domain} has no host that accepts pushes`);
    return h[h.length - 1];
  }

  /**
   * Cross-repository mount (POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<repo>): the
   * registry links a blob it already has under another name. 201 mounted; 202 it refused and
   * opened an upload instead (we cancel it and upload normally).
   */
  async mountBlob(desc: Descriptor, fromPath: string): Promise<boolean> {
    const host = this.pushHost();
    const url = apiUrl(host, `${this.path}/blobs/uploads/`);
    url.searchParams.set('mount', desc.digest);
    url.searchParams.set('from', fromPath);
    const res = await this.client.request(host, [this.scope('pull,push'), `repository:${fromPath}:pull`], { method: 'POST', url, headers: { 'Content-Length': '0' } });
    if (res.statusCode === 201) {
      await drain(res);
      return true;
    }
    if (res.statusCode === 202) {
      const loc = header(res, 'location');
      await drain(res);
      if (loc) {
        const del = await this.client.request(host, [this.scope('pull,push')], { method: 'DELETE', url: new URL(loc, url) }).catch(() => undefined);
        if (del) await drain(del);
      }
      return false;
    }
    throw await this.client.failure(res, `mount ${desc.digest} from ${fromPath} into ${this.name}`);
  }

  /**
   * Upload a blob: POST to open an upload session, then either one PUT with the whole body
   * (monolithic) or PATCHes of `chunkSize` bytes followed by a PUT that closes it. `open(start)`
   * returns the bytes from `start` (called again if a request must be repeated).
   */
  async uploadBlob(desc: Descriptor, open: (start: number, end?: number) => Readable, opts: { chunkSize?: number; onProgress?: (sent: number) => void } = {}): Promise<void> {
    const host = this.pushHost();
    const scopes = [this.scope('pull,push')];
    const start = apiUrl(host, `${this.path}/blobs/uploads/`);
    let res = await this.client.request(host, scopes, { method: 'POST', url: start, headers: { 'Content-Length': '0' } });
    if (res.statusCode !== 202) throw await this.client.failure(res, `start upload of ${desc.digest} to ${this.name}`);
    let location = new URL(header(res, 'location') ?? '', start);
    await drain(res);
    const what = `upload ${desc.digest} to ${this.name}`;

    if (opts.chunkSize && opts.chunkSize > 0 && desc.size > opts.chunkSize) {
      let sent = 0;
      while (sent < desc.size) {
        const end = Math.min(sent + opts.chunkSize, desc.size) - 1;
        const from = sent;
        res = await this.client.request(host, scopes, {
          method: 'PATCH',
          url: location,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${from}-${end}`, 'Content-Length': String(end - from + 1) },
          body: () => open(from, end),
        });
        if (res.statusCode !== 202) throw await this.client.failure(res, `${what}: PATCH bytes ${from}-${end}`);
        location = new URL(header(res, 'location') ?? location.href, location);
        await drain(res);
        sent = end + 1;
        opts.onProgress?.(sent);
      }
      const put = new URL(location.href);
      put.searchParams.set('digest', desc.digest);
      res = await this.client.request(host, scopes, { method: 'PUT', url: put, headers: { 'Content-Length': '0' } });
    } else {
      const put = new URL(location.href);
      put.searchParams.set('digest', desc.digest);
      res = await this.client.request(host, scopes, {
        method: 'PUT',
        url: put,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(desc.size) },
        body: () => open(0),
      });
      opts.onProgress?.(desc.size);
    }
    if (res.statusCode !== 201) throw await this.client.failure(res, `${what}: closing PUT`);
    const got = header(res, 'docker-content-digest');
    await drain(res);
    if (got && got !== desc.digest) throw new ManagerError('DATA_LOSS', `${what}: the registry stored ${got}, we sent ${desc.digest}`);
  }

  /** PUT a manifest or index under a tag or its digest. */
  async putManifest(object: string, desc: Descriptor, body: Buffer): Promise<void> {
    const host = this.pushHost();
    const res = await this.client.request(host, [this.scope('pull,push')], {
      method: 'PUT',
      url: apiUrl(host, `${this.path}/manifests/${object}`),
      headers: { 'Content-Type': desc.mediaType },
      body,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await this.client.failure(res, `push manifest ${desc.digest} to ${this.name}:${object}`);
    const got = header(res, 'docker-content-digest');
    await drain(res);
    if (got && got !== desc.digest) throw new ManagerError('DATA_LOSS', `push manifest to ${this.name}:${object}: the registry computed ${got}, we sent ${desc.digest}`);
  }
}
