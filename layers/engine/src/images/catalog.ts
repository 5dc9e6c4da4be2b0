// The manager's image records grouped into docker images. Docker's image id is the digest of the
// image config; records whose targets lead (for this machine's platform) to the same config are
// one docker image with several names. Reading a target's manifest and config costs two content
// reads; content is immutable, so what a target digest resolves to is cached for good.
import { hostPlatform, formatPlatform, isManagerError, resolveImage, type Descriptor, type ImageConfig, type ImageManifest, type ManagerClient } from '@strata/manager';
import { isDangling, repoDigest, repoTag } from './names';

export interface ImageRecord {
  name: string;
  target: Descriptor;
  labels: Record<string, string>;
  createdAt?: Date;
  updatedAt?: Date;
}

/** What a target resolves to for the engine's platform. */
export interface TargetInfo {
  /** sha256:<config digest>: docker's image id. */
  id: string;
  configDesc: Descriptor;
  config: ImageConfig;
  manifestDesc: Descriptor;
  manifest: ImageManifest;
  /** Bytes of the manifest, config and layers as stored (compressed). */
  size: number;
}

export interface DockerImage extends TargetInfo {
  records: ImageRecord[];
  repoTags: string[];
  repoDigests: string[];
  /** The record a lookup matched (or the first one). */
  primary: ImageRecord;
}

export class ImageCatalog {
  private readonly cache = new Map<string, TargetInfo>();
  readonly platform: string;

  constructor(
    private readonly client: ManagerClient,
    platform?: string,
  ) {
    this.platform = platform ?? formatPlatform(hostPlatform());
  }

  async records(): Promise<ImageRecord[]> {
    const list = await this.client.images.list();
    return list.map((i) => ({
      name: i.name,
      labels: i.labels ?? {},
      target: { mediaType: i.target!.mediaType, digest: i.target!.digest, size: Number(i.target!.size) },
      createdAt: toDate(i.createdAt),
      updatedAt: toDate(i.updatedAt),
    }));
  }

  async record(name: string): Promise<ImageRecord | undefined> {
    try {
      const i = await this.client.images.get(name);
      return { name: i.name, labels: i.labels ?? {}, target: { mediaType: i.target!.mediaType, digest: i.target!.digest, size: Number(i.target!.size) }, createdAt: toDate(i.createdAt), updatedAt: toDate(i.updatedAt) };
    } catch (e) {
      if (isManagerError(e, 'NOT_FOUND')) return undefined;
      throw e;
    }
  }

  /** The config, manifest and id a target leads to; NOT_FOUND when content for this platform is missing. */
  async describe(target: Descriptor): Promise<TargetInfo> {
    const hit = this.cache.get(target.digest);
    if (hit) return hit;
    const { manifest, config } = await resolveImage(this.client, target, this.platform);
    const m = manifest.manifest;
    const info: TargetInfo = {
      id: m.config.digest,
      configDesc: m.config,
      config,
      manifestDesc: manifest.desc,
      manifest: m,
      size: m.config.size + m.layers.reduce((n, l) => n + l.size, 0),
    };
    this.cache.set(target.digest, info);
    return info;
  }

  /** Like describe, undefined for a record that is not a usable image here (missing content, other platform). */
  async tryDescribe(target: Descriptor): Promise<TargetInfo | undefined> {
    try {
      return await this.describe(target);
    } catch (e) {
      if (isManagerError(e, 'NOT_FOUND') || isManagerError(e, 'UNIMPLEMENTED') || isManagerError(e, 'DATA_LOSS')) return undefined;
      throw e;
    }
  }

  /** Every docker image: records grouped by id. */
  async images(): Promise<Map<string, DockerImage>> {
    const groups = new Map<string, DockerImage>();
    for (const r of await this.records()) {
      const info = await this.tryDescribe(r.target);
      if (!info) continue;
      let g = groups.get(info.id);
      if (!g) groups.set(info.id, (g = { ...info, records: [], repoTags: [], repoDigests: [], primary: r }));
      g.records.push(r);
    }
    for (const g of groups.values()) finish(g);
    return groups;
  }

  /** The docker image with this id, or undefined. */
  async image(id: string, primaryName?: string): Promise<DockerImage | undefined> {
    const g = (await this.images()).get(id);
    if (g && primaryName) g.primary = g.records.find((r) => r.name === primaryName) ?? g.primary;
    return g;
  }
}

function finish(g: DockerImage): void {
  const tags = new Set<string>();
  const digests = new Set<string>();
  for (const r of g.records) {
    const t = repoTag(r.name);
    if (t) tags.add(t);
    const d = isDangling(r.name) ? undefined : repoDigest(r.name, r.target.digest);
    if (d) digests.add(d);
  }
  g.repoTags = [...tags].sort();
  g.repoDigests = [...digests].sort();
  g.primary = g.records.find((r) => !isDangling(r.name)) ?? g.records[0];
}

function toDate(t: unknown): Date | undefined {
  if (!t || typeof t !== 'object') return undefined;
  const { seconds, nanos } = t as { seconds?: number | string; nanos?: number };
  if (seconds === undefined) return undefined;
  return new Date(Number(seconds) * 1000 + Math.floor((nanos ?? 0) / 1e6));
}
