// docker pull (POST /images/create?fromImage=&tag=): fetch through the manager's client-side pull
// (layers/manager client/pull.ts: resolve, fetch every blob into the content store under a lease,
// label GC references, name the image), then unpack layer by layer here so each layer's
// "Extracting"/"Pull complete" can be reported, as dockerd reports them. The manager's progress
// events become docker's JSON messages (progress.ts).
import { familiarName, formatReference, isManagerError, parseReference, pullWithClient, resolveImage, unpackLayers, type Descriptor, type Reference, distribution } from '@strata/manager';
import { invalidParam } from '../errors';
import { toEngineError } from './errors';
import { layerId, progressMessage, status, type MessageSink } from './progress';
import { registryClient, type RegistryAuth } from './registry';
import type { ImageService, ResolvedImage } from './service';

export interface PullOptions {
  /** X-Registry-Auth, decoded. */
  auth?: RegistryAuth;
  /** os/arch[/variant]; default the engine's. */
  platform?: string;
  onProgress?: MessageSink;
}

/** fromImage + tag as the docker CLI sends them: tag may be a tag or a digest, fromImage may hold one already. */
export function pullReference(fromImage: string, tag: string | null | undefined): string {
  if (!fromImage) throw invalidParam('fromImage: an image name is required');
  let ref: Reference;
  try {
    const withTag = tag ? (tag.includes(':') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
    ref = parseReference(withTag);
  } catch (e) {
    throw invalidParam(`invalid reference format: ${(e as Error).message.replace(/^reference: /, '')}`);
  }
  return formatReference(ref);
}

export async function pullImage(svc: ImageService, input: string, o: PullOptions): Promise<ResolvedImage> {
  const send = o.onProgress ?? (() => {});
  let ref: Reference;
  try {
    ref = parseReference(input);
  } catch (e) {
    throw invalidParam(`invalid reference format: ${(e as Error).message.replace(/^reference: /, '')}`);
  }
  const name = formatReference(ref);
  const shown = familiarName(ref);
  const platform = o.platform || svc.platform;
  const registry = registryClient(name, { mirrors: svc.o.registryMirrors, insecure: svc.o.insecureRegistries, auth: o.auth });
  const old = await svc.catalog.record(name);

  const seen = new Set<string>();
  const layerOf = (e: distribution.ProgressEvent): string | undefined => (e.digest && e.ref.startsWith('layer-') ? layerId(e.digest) : undefined);
  const onFetch = (e: distribution.ProgressEvent) => {
    if (e.status === 'resolved') {
      send(status(`Pulling from ${ref.path}`, ref.digest ?? ref.tag ?? 'latest'));
      return;
    }
    const id = layerOf(e);
    if (!id) return;
    if (!seen.has(id)) {
      seen.add(id);
      if (e.status !== 'exists') send(status('Pulling fs layer', id));
    }
    if (e.status === 'exists') send(status('Already exists', id));
    else if (e.status === 'downloading') send(progressMessage('Downloading', id, e.offset, e.total));
    else if (e.status === 'done') {
      send(status('Verifying Checksum', id));
      send(status('Download complete', id));
    }
  };

  // Ingests in flight: a failed pull leaves them for the next one to resume (the manager's pull
  // does that on purpose) — right after a broken connection, wrong after bytes that do not
  // match their digest: those would be "resumed" and fail the same way forever. Abort them then.
  const inFlight = new Set<string>();
  const track = (e: distribution.ProgressEvent) => {
    if (e.status === 'downloading') inFlight.add(e.ref);
    else if (e.status === 'done' || e.status === 'exists') inFlight.delete(e.ref);
    onFetch(e);
  };
  let pulled;
  try {
    pulled = await pullWithClient(svc.client, name, { registry, platform, unpack: false, onProgress: track });
  } catch (e) {
    if (isManagerError(e, 'DATA_LOSS') || isManagerError(e, 'FAILED_PRECONDITION')) for (const ref of inFlight) await svc.client.content.abort(ref).catch(() => {});
    throw pullError(e, shown);
  }
  // Unpack (under a lease: a committed snapshot is not garbage before the config's GC label names it).
  const { manifest, config } = await resolveImage(svc.client, pulled.target, platform).catch((e) => {
    throw toEngineError(e);
  });
  const layers: Descriptor[] = manifest.manifest.layers;
  await svc.client.withLease(() =>
    unpackLayers(svc.client, layers, config.rootfs.diff_ids, manifest.manifest.config.digest, svc.snapshotter, (i, state) => {
      const id = layerId(layers[i].digest);
      if (state === 'applied') {
        send(progressMessage('Extracting', id, layers[i].size, layers[i].size));
        send(status('Pull complete', id));
      }
    }),
  ).catch((e) => {
    throw toEngineError(e);
  });
  if (old && old.target.digest !== pulled.target.digest) await svc.keepIfNameless(old.target);
  await svc.dropDangling(pulled.target);

  send(status(`Digest: ${pulled.target.digest}`));
  send(status(old?.target.digest === pulled.target.digest ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`));
  const img = await svc.resolve(name);
  svc.events.emit('image', 'pull', shown, { name: shown, ...(config.config?.Labels ?? {}) });
  return img;
}

/** Registry failures worded as dockerd words them ("manifest for x not found", "pull access denied"). */
function pullError(e: unknown, shown: string): unknown {
  const err = toEngineError(e) as Error & { status?: number };
  if (err.status === 404) err.message = `manifest for ${shown} not found: ${err.message}`;
  else if (err.status === 403) err.message = `pull access denied for ${shown.replace(/[:@].*$/, '')}, repository does not exist or may require 'docker login': ${err.message}`;
  return err;
}

