// docker import (POST /images/create?fromSrc=-&repo=&tag=&message=&changes=): a root filesystem
// tar in the request body (plain or gzip) becomes a one-layer image. The layer is stored
// uncompressed (its digest is then its diff_id); the config gets the --change instructions
// (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL, VOLUME) and the message as
// the history comment, as dockerd's ImportImage does. Everything is written under a lease, so
// a body that is not a tar leaves nothing behind.
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { MediaType, buildManifest, canonicalJson, childGCLabels, formatReference, hostPlatform, parsePlatform, parseReference, type Descriptor, type ImageConfig } from '@strata/manager';
import { invalidParam } from '../errors';
import { ApiContentStore } from './contentStores';
import { toEngineError } from './errors';
import { danglingName } from './names';
import type { ImageService } from './service';

export interface ImportOptions {
  repo?: string;
  tag?: string;
  message?: string;
  changes?: string[];
  platform?: string;
}

export async function importRootfs(svc: ImageService, body: Readable, o: ImportOptions): Promise<string> {
  let name: string | undefined;
  if (o.repo) {
    try {
      const ref = parseReference(o.tag ? `${o.repo}:${o.tag}` : o.repo);
      if (ref.digest) throw new Error('cannot import with a digest reference');
      name = formatReference(ref);
    } catch (e) {
      throw invalidParam(`invalid reference format: ${(e as Error).message.replace(/^reference: /, '')}`);
    }
  }
  const runConfig = applyChanges(o.changes ?? []);
  const platform = o.platform ? parsePlatform(o.platform) : hostPlatform();
  const c = svc.client;
  const store = new ApiContentStore(c);
  try {
    return await c.withLease(async () => {
      const layerBytes = await gunzipIfNeeded(body);
      const layer = await store.put(c.namespace, {}, layerBytes);
      const head = await store.read(c.namespace, layer.digest, 0, 512);
      if (head.length < 512 || head.subarray(257, 262).toString('latin1') !== 'ustar') throw invalidParam('import: the body is not a tar archive (no ustar header in the first block)');
      const created = new Date().toISOString();
      const config: ImageConfig = {
        created,
        architecture: platform.architecture,
        os: platform.os,
        ...(platform.variant ? { variant: platform.variant } : {}),
        config: runConfig,
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
        history: [{ created, created_by: '', comment: o.message || 'Imported from -' }],
      };
      const configPut = await store.put(c.namespace, {}, canonicalJson(config));
      const configDesc: Descriptor = { mediaType: MediaType.dockerConfig, digest: configPut.digest, size: configPut.size };
      const layerDesc: Descriptor = { mediaType: MediaType.dockerLayer, digest: layer.digest, size: layer.size };
      const manifest = canonicalJson(buildManifest('docker', configDesc, [layerDesc]));
      const m = await store.put(c.namespace, {}, manifest, childGCLabels([configDesc, layerDesc]));
      const target: Descriptor = { mediaType: MediaType.dockerManifest, digest: m.digest, size: m.size };
      if (name) await svc.setName(name, target);
      else await c.images.put({ name: danglingName(target.digest), target, labels: {} });
      const img = await svc.resolve(configDesc.digest);
      await svc.ensureUnpacked(img);
      svc.events.emit('image', 'import', img.id, { name: img.repoTags[0] ?? img.id });
      return img.id;
    });
  } catch (e) {
    throw toEngineError(e, 'import: ');
  }
}

/** The body, gunzipped when it starts with gzip's magic bytes. */
async function gunzipIfNeeded(body: Readable): Promise<Readable> {
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return Readable.from([]);
  const head = Buffer.from(first.value as Buffer);
  const all = Readable.from(
    (async function* () {
      yield head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value as Buffer);
    })(),
  );
  if (head[0] !== 0x1f || head[1] !== 0x8b) return all;
  const gz = zlib.createGunzip();
  all.on('error', (e) => gz.destroy(e));
  return all.pipe(gz);
}

/** docker import --change: the Dockerfile instructions that only touch the config. */
export function applyChanges(changes: string[]): NonNullable<ImageConfig['config']> {
  const cfg: NonNullable<ImageConfig['config']> = {};
  for (const raw of changes) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw invalidParam(`invalid change ${JSON.stringify(raw)}: want INSTRUCTION ARGS`);
    const [, ins, arg] = m;
    const list = (): string[] => {
      if (arg.trim().startsWith('[')) {
        try {
          const v = JSON.parse(arg) as unknown;
          if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
        } catch {
          /* shell form below */
        }
      }
      return ['/bin/sh', '-c', arg];
    };
    const pairs = (): [string, string][] => {
      const out: [string, string][] = [];
      for (const tok of arg.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []) {
        const eq = tok.indexOf('=');
        if (eq <= 0) throw invalidParam(`invalid change ${JSON.stringify(raw)}: ${ins.toUpperCase()} wants KEY=VALUE`);
        out.push([tok.slice(0, eq), tok.slice(eq + 1).replace(/^"(.*)"$/, '$1')]);
      }
      return out;
    };
    switch (ins.toUpperCase()) {
      case 'CMD':
        cfg.Cmd = list();
        break;
      case 'ENTRYPOINT':
        cfg.Entrypoint = list();
        break;
      case 'ENV':
        cfg.Env = [...(cfg.Env ?? []), ...pairs().map(([k, v]) => `${k}=${v}`)];
        break;
      case 'LABEL':
        cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(pairs()) };
        break;
      case 'WORKDIR':
        cfg.WorkingDir = arg.trim();
        break;
      case 'USER':
        cfg.User = arg.trim();
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = arg.trim();
        break;
      case 'EXPOSE':
        for (const p of arg.trim().split(/\s+/)) cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}), [p.includes('/') ? p : `${p}/tcp`]: {} };
        break;
      case 'VOLUME':
        for (const v of arg.trim().startsWith('[') ? (JSON.parse(arg) as string[]) : arg.trim().split(/\s+/)) cfg.Volumes = { ...(cfg.Volumes ?? {}), [v]: {} };
        break;
      default:
        throw invalidParam(`${ins.toUpperCase()} is not a valid change command`);
    }
  }
  if (!cfg.Env) cfg.Env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
  return cfg;
}
