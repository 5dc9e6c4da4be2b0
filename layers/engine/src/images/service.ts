// The engine's image service (dockerd's daemon/images over containerd's image store): docker's
// image model — ids, names, dangling images, in-use checks — on top of the manager's image
// records, content store and snapshots (namespace "moby"). Lookup follows docker's rules:
//
//   "sha256:<64 hex>" or "<64 hex>"   the image id (config digest)
//   "busybox"                          the record docker.io/library/busybox:latest
//   "busybox@sha256:..."               a record of that repository with that target digest
//   "3f57d9401f8d"                     a unique id prefix, when no name matches
import {
  chainIds,
  familiarName,
  parseReference,
  resolveImage,
  unpackLayers,
  formatReference,
  type Descriptor,
  type ImageConfig,
  type ManagerClient,
  type Reference,
} from '@strata/manager';
import type { Route } from '../api/types';
import { conflict, invalidParam, notFound } from '../errors';
import type { EngineEvents } from '../events';
import { ImageCatalog, type DockerImage, type ImageRecord } from './catalog';
import { danglingName, familiar, isDangling, repoTag, shortId, tryParse } from './names';
import { toEngineError } from './errors';
import { preloadDefaultImages } from './preload';
import { pruneImages } from './prune';
import { pullImage, type PullOptions } from './pull';
import { removeImage, type RmiResult } from './rmi';
import { imageRoutes } from './routes';

export interface ImageServiceOptions {
  /** A client on namespace "moby". */
  client: ManagerClient;
  events: EngineEvents;
  /** Registry name -> mirror URLs tried first for pulls (dockerd's --registry-mirror is docker.io's list). */
  registryMirrors?: Record<string, string[]>;
  /** Registries reached over plain http (dockerd's --insecure-registry); localhost and 127.x always are. */
  insecureRegistries?: string[];
  /** Where default images to preload live (*.oci.tar); default /var/lib/strata/images. */
  preloadDir?: string;
  /** Snapshotter to unpack into; default overlayfs. */
  snapshotter?: string;
  /** Platform images are resolved for (default: this machine's). */
  platform?: string;
  /** The id of a container using the image (by image id), if any: rmi and prune refuse such images. */
  isInUse?: (imageId: string) => string | undefined;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', msg: string, fields?: Record<string, unknown>) => void;
}

/** An image as the engine's container code needs it. */
export interface ResolvedImage {
  /** sha256:<config digest> */
  id: string;
  /** The record the lookup matched, e.g. "docker.io/library/busybox:latest" (absent: found by id with no name). */
  name?: string;
  target: Descriptor;
  config: ImageConfig;
  repoTags: string[];
  repoDigests: string[];
  /** The platform manifest's layers and the config descriptor. */
  layers: Descriptor[];
  configDescriptor: Descriptor;
  /** Bytes as stored. */
  size: number;
}

export class ImageService {
  readonly client: ManagerClient;
  readonly events: EngineEvents;
  readonly catalog: ImageCatalog;
  readonly snapshotter: string;

  constructor(readonly o: ImageServiceOptions) {
    this.client = o.client;
    this.events = o.events;
    this.catalog = new ImageCatalog(o.client, o.platform);
    this.snapshotter = o.snapshotter ?? 'overlayfs';
  }

  get platform(): string {
    return this.catalog.platform;
  }

  /** Preload the default images (see preload.ts). */
  async init(): Promise<void> {
    await preloadDefaultImages(this, this.o.preloadDir ?? '/var/lib/strata/images');
  }

  /** Find an image by docker's lookup rules; 404 "No such image: X". */
  async resolve(nameOrId: string): Promise<ResolvedImage> {
    return toResolved(await this.lookup(nameOrId));
  }

  /** The docker image (all its records) for a name or id. */
  async lookup(input: string): Promise<DockerImage & { matched?: ImageRecord; byId: boolean }> {
    const missing = () => notFound(`No such image: ${displayRef(input)}`);
    if (!input || /[\s\0]/.test(input)) throw missing();
    const full = /^(?:sha256:)?([0-9a-f]{64})$/.exec(input);
    if (full) {
      const g = await this.catalog.image(`sha256:${full[1]}`);
      if (!g) throw missing();
      return { ...g, byId: true };
    }
    let ref: Reference | undefined;
    try {
      ref = parseReference(input);
    } catch {
      ref = undefined;
    }
    if (ref) {
      const byName = await this.byReference(ref);
      if (byName) return byName;
    }
    const prefix = /^(?:sha256:)?([0-9a-f]{1,63})$/.exec(input);
    if (prefix) {
      const hits = [...(await this.catalog.images()).values()].filter((g) => g.id.slice(7).startsWith(prefix[1]));
      if (hits.length > 1) throw invalidParam(`ambiguous image id prefix ${JSON.stringify(input)}: ${hits.length} images match`);
      if (hits.length === 1) return { ...hits[0], byId: true };
    }
    throw missing();
  }

  private async byReference(ref: Reference): Promise<(DockerImage & { matched: ImageRecord; byId: false }) | undefined> {
    const name = formatReference(ref);
    let rec = await this.catalog.record(name);
    if (!rec && ref.digest) {
      // busybox@sha256:<d>: any record of the repository whose target is that digest
      const repo = `${ref.domain}/${ref.path}`;
      rec = (await this.catalog.records()).find((r) => !isDangling(r.name) && r.target.digest === ref.digest && (r.name.startsWith(`${repo}:`) || r.name.startsWith(`${repo}@`)));
    }
    if (!rec) return undefined;
    const info = await this.catalog.tryDescribe(rec.target);
    if (!info) return undefined;
    const g = await this.catalog.image(info.id, rec.name);
    if (!g) return undefined;
    return { ...g, matched: rec, byId: false };
  }

  /** Pulls in progress by normalized reference: a second pull of the same name joins the first. */
  private readonly pulling = new Map<string, Promise<ResolvedImage>>();

  /**
   * Pull an image from its registry (see pull.ts). Two `docker run`s of a missing image pull at
   * the same moment; as dockerd, the second waits for the first instead of writing the same blobs
   * (the manager would refuse its writes: the ingest refs are locked by the first).
   */
  async pull(ref: string, o: PullOptions): Promise<ResolvedImage> {
    let key: string;
    try {
      key = formatReference(parseReference(ref));
    } catch {
      return pullImage(this, ref, o); // reports the bad reference
    }
    const running = this.pulling.get(key);
    if (running) {
      const shown = familiarName(parseReference(key));
      o.onProgress?.({ status: `Waiting for another pull of ${shown}` });
      const img = await running;
      o.onProgress?.({ status: `Digest: ${img.target.digest}` });
      o.onProgress?.({ status: `Status: Downloaded newer image for ${shown}` });
      return img;
    }
    const p = pullImage(this, key, o);
    this.pulling.set(key, p);
    try {
      return await p;
    } finally {
      this.pulling.delete(key);
    }
  }

  /** The image's layers as snapshots (unpacked now if needed); returns the top chain id to Prepare on. */
  async ensureUnpacked(img: ResolvedImage): Promise<string> {
    const { manifest, config } = await resolveImage(this.client, img.target, this.platform).catch((e) => {
      throw toEngineError(e);
    });
    const chain = chainIds(config.rootfs.diff_ids);
    const top = chain[chain.length - 1] ?? '';
    if (!top || (await this.client.snapshots(this.snapshotter).exists(top))) return top;
    await this.client.withLease(() => unpackLayers(this.client, manifest.manifest.layers, config.rootfs.diff_ids, manifest.manifest.config.digest, this.snapshotter));
    return top;
  }

  /**
   * Point `name` (a normalized reference) at `target`. What the name pointed at before, if it is
   * now nameless, is kept as a dangling image (docker shows it as <none>:<none> until pruned);
   * the target's own dangling record goes, since it has a name now.
   */
  async setName(name: string, target: Descriptor, labels: Record<string, string> = {}): Promise<void> {
    const old = await this.catalog.record(name);
    await this.client.images.put({ name, target, labels });
    if (old && old.target.digest !== target.digest) await this.keepIfNameless(old.target);
    await this.dropDangling(target);
  }

  /** Keep an image whose last name went as a dangling record (unless another record holds it). */
  async keepIfNameless(target: Descriptor): Promise<void> {
    const info = await this.catalog.tryDescribe(target);
    if (!info) return;
    const g = await this.catalog.image(info.id);
    if (g && g.records.some((r) => !isDangling(r.name))) return;
    if (g && g.records.length) return; // already dangling
    await this.client.images.put({ name: danglingName(target.digest), target, labels: {} });
  }

  /** Remove the dangling records of the image `target` belongs to, when it has a name. */
  async dropDangling(target: Descriptor): Promise<void> {
    const info = await this.catalog.tryDescribe(target);
    if (!info) return;
    const g = await this.catalog.image(info.id);
    if (!g || !g.records.some((r) => !isDangling(r.name))) return;
    for (const r of g.records) if (isDangling(r.name)) await this.client.images.delete(r.name).catch(() => {});
  }

  /** POST /images/{name}/tag: `repo[:tag]`. */
  async tag(source: string, repo: string, tag?: string): Promise<string> {
    if (!repo) throw invalidParam('repository name must have at least one component');
    const img = await this.lookup(source);
    let ref: Reference;
    try {
      ref = parseReference(tag ? `${repo}:${tag}` : repo);
    } catch (e) {
      throw invalidParam((e as Error).message.replace(/^reference: /, ''));
    }
    if (ref.digest) throw invalidParam('refusing to create a tag with a digest reference');
    const name = formatReference(ref);
    const target = img.matched?.target ?? img.primary.target;
    await this.setName(name, target);
    this.events.emit('image', 'tag', img.id, { name: familiarName(ref), ...imageLabels(img.config) });
    return name;
  }

  /** DELETE /images/{name} (docker rmi): see rmi.ts. */
  remove(input: string, o: { force?: boolean; noprune?: boolean } = {}): Promise<RmiResult[]> {
    return removeImage(this, input, o);
  }

  /** POST /images/prune: dangling images (all unused ones with dangling=false). */
  async prune(filters: Record<string, string[]>): Promise<{ ImagesDeleted: RmiResult[] | null; SpaceReclaimed: number }> {
    return pruneImages(this, filters);
  }

  /** The HTTP routes of /images. */
  routes(): Route[] {
    return imageRoutes(this);
  }

  log(level: 'info' | 'warn' | 'error' | 'debug', msg: string, fields?: Record<string, unknown>): void {
    this.o.log?.(level, msg, fields);
  }
}

export function toResolved(g: DockerImage & { matched?: ImageRecord }): ResolvedImage {
  const rec = g.matched ?? g.primary;
  return {
    id: g.id,
    name: isDangling(rec.name) ? undefined : rec.name,
    target: rec.target,
    config: g.config,
    repoTags: g.repoTags,
    repoDigests: g.repoDigests,
    layers: g.manifest.layers,
    configDescriptor: g.configDesc,
    size: g.size,
  };
}

/** Image config labels, which docker copies into image event attributes. */
export const imageLabels = (c: ImageConfig): Record<string, string> => ({ ...(c.config?.Labels ?? {}) });

/** How docker names a missing image in messages: "busybox:latest" for "busybox". */
export function displayRef(input: string): string {
  if (/^(?:sha256:)?[0-9a-f]{1,64}$/.test(input)) return input;
  try {
    return familiarName(parseReference(input));
  } catch {
    return input;
  }
}

