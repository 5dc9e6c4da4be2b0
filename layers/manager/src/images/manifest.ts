// Walking an image: index -> manifest (for a platform) -> config + layers, as containerd's
// images/image.go does (Manifest, Config, RootFS, Children, Platforms, Check), plus the
// garbage-collection labels containerd writes on a parent blob when it fetches it
// (images.SetChildrenMappedLabels with ChildGCLabels): an index gets
// containerd.io/gc.ref.content.m.<i> for each manifest, a manifest gets
// containerd.io/gc.ref.content.config and containerd.io/gc.ref.content.l.<i> for each layer.
// The garbage collector follows those labels from the image's target, so children stay.
import { ManagerError, invalid, notFound } from '../errors';
import type { ContentProvider } from '../content/access';
import type { ContentStore } from '../content/store';
import type { Descriptor, Labels, Platform } from '../types';
import { MediaType, isConfigType, isIndexType, isLayerType, isManifestType } from './mediaTypes';
import { formatPlatform, normalizePlatform, type PlatformMatcher } from './platform';

/** image-spec manifest.md (and Docker schema 2, the same shape). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** image-spec image-index.md (and Docker's manifest list). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** image-spec config.md: the parts the manager reads. */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** Reads a whole blob (verified): a content store namespace, or an archive being imported. */
export type BlobProvider = (desc: Descriptor) => Promise<Buffer>;

export const storeProvider =
  (store: Pick<ContentProvider, 'readBlob'>, ns: string): BlobProvider =>
  (desc) =>
    store.readBlob(ns, desc);

export const GC_REF_PREFIX = 'containerd.io/gc.ref.content.';

function parseJson<T>(bytes: Buffer, desc: Descriptor): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (e) {
    throw invalid(desc.mediaType, `blob ${desc.digest} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Refuse a document whose content contradicts the media type it was fetched as (containerd's validateMediaType). */
function checkDocument(doc: Record<string, unknown>, desc: Descriptor): void {
  if (doc.fsLayers !== undefined || desc.mediaType === MediaType.dockerSchema1Manifest) {
    throw new ManagerError('UNIMPLEMENTED', `${desc.digest}: Docker image manifest schema 1 is not supported (push the image again with a current tool)`);
  }
  if (isManifestType(desc.mediaType) && (doc.manifests !== undefined || (typeof doc.mediaType === 'string' && isIndexType(doc.mediaType)))) {
    throw invalid('mediaType', `${desc.digest}: expected a manifest (${desc.mediaType}) but the document is an index`);
  }
  if (isIndexType(desc.mediaType) && (doc.config !== undefined || doc.layers !== undefined || (typeof doc.mediaType === 'string' && isManifestType(doc.mediaType)))) {
    throw invalid('mediaType', `${desc.digest}: expected an index (${desc.mediaType}) but the document is a manifest`);
  }
}

export function parseManifest(bytes: Buffer, desc: Descriptor): ImageManifest {
  const doc = parseJson<ImageManifest & Record<string, unknown>>(bytes, desc);
  checkDocument(doc, desc);
  if (!doc.config || !Array.isArray(doc.layers)) throw invalid('manifest', `${desc.digest}: a manifest needs "config" and "layers"`);
  return doc;
}

export function parseIndex(bytes: Buffer, desc: Descriptor): ImageIndex {
  const doc = parseJson<ImageIndex & Record<string, unknown>>(bytes, desc);
  checkDocument(doc, desc);
  if (!Array.isArray(doc.manifests)) throw invalid('index', `${desc.digest}: an index needs "manifests"`);
  return doc;
}

export function parseConfig(bytes: Buffer, desc: Descriptor): ImageConfig {
  const doc = parseJson<ImageConfig>(bytes, desc);
  if (!doc.rootfs || !Array.isArray(doc.rootfs.diff_ids)) throw invalid('config', `${desc.digest}: image config has no rootfs.diff_ids`);
  return doc;
}

/** The descriptors a blob points to (containerd's images.Children); layers and configs have none. */
export async function children(provider: BlobProvider, desc: Descriptor): Promise<Descriptor[]> {
  if (isManifestType(desc.mediaType)) {
    const m = parseManifest(await provider(desc), desc);
    return [m.config, ...m.layers];
  }
  if (isIndexType(desc.mediaType)) return parseIndex(await provider(desc), desc).manifests;
  if (desc.mediaType === MediaType.dockerSchema1Manifest) checkDocument({}, desc);
  return [];
}

/** Children of a manifest or index already read into memory. */
export function childrenOf(bytes: Buffer, desc: Descriptor): Descriptor[] {
  if (isManifestType(desc.mediaType)) {
    const m = parseManifest(bytes, desc);
    return [m.config, ...m.layers];
  }
  if (isIndexType(desc.mediaType)) return parseIndex(bytes, desc).manifests;
  return [];
}

/** The label key prefix containerd's ChildGCLabels gives a child of this media type. */
function gcLabelKey(child: Descriptor): string {
  if (isConfigType(child.mediaType)) return `${GC_REF_PREFIX}config`;
  if (isManifestType(child.mediaType)) return `${GC_REF_PREFIX}m.`;
  if (isLayerType(child.mediaType)) return `${GC_REF_PREFIX}l.`;
  return GC_REF_PREFIX;
}

/**
 * The GC labels a parent carries for its children: keys ending in "." get the running index per
 * key (m.0, m.1 / l.0, l.1), other keys get an index only from their second use on (config,
 * config1), exactly as containerd's SetChildrenMappedLabels numbers them.
 */
export function childGCLabels(kids: Descriptor[]): Labels {
  const labels: Labels = {};
  const counts = new Map<string, number>();
  for (const c of kids) {
    const base = gcLabelKey(c);
    const idx = counts.get(base) ?? 0;
    counts.set(base, idx + 1);
    const key = idx > 0 || base.endsWith('.') ? `${base}${idx}` : base;
    labels[key] = c.digest;
  }
  return labels;
}

/** The manifest chosen for a platform, with its descriptor (containerd's images.Manifest). */
export interface ResolvedManifest {
  desc: Descriptor;
  manifest: ImageManifest;
  /** From the index entry, or from the config when the target is a bare manifest. */
  platform?: Platform;
}

/**
 * Resolve an image target to one manifest: an index is narrowed to the entries matching the
 * platform, best first (nested indexes are followed); a bare manifest is checked against its
 * config's os/architecture when a matcher is given.
 */
export async function resolveManifest(provider: BlobProvider, target: Descriptor, matcher?: PlatformMatcher): Promise<ResolvedManifest> {
  let sawIndex = false;
  const visit = async (desc: Descriptor, depth: number): Promise<ResolvedManifest | undefined> => {
    if (depth > 8) throw invalid('index', `${target.digest}: indexes nested more than 8 deep`);
    if (isManifestType(desc.mediaType)) {
      const manifest = parseManifest(await provider(desc), desc);
      if (desc.platform) {
        if (matcher && depth > 0 && !matcher.match(desc.platform)) return undefined;
        return { desc, manifest, platform: desc.platform };
      }
      if (matcher && depth > 0) {
        const cfg = parseConfig(await provider(manifest.config), manifest.config);
        const p = normalizePlatform({ os: cfg.os, architecture: cfg.architecture, variant: cfg.variant });
        if (!matcher.match(p)) return undefined;
        return { desc, manifest, platform: p };
      }
      return { desc, manifest };
    }
    if (isIndexType(desc.mediaType)) {
      sawIndex = true;
      const index = parseIndex(await provider(desc), desc);
      const candidates = index.manifests.filter((d) => !matcher || !d.platform || matcher.match(d.platform));
      if (matcher) {
        // Stable sort: entries without a platform go last, others by the matcher's preference.
        candidates.sort((a, b) => {
          if (!a.platform) return b.platform ? 1 : 0;
          if (!b.platform) return -1;
          return matcher.less(a.platform, b.platform) ? -1 : matcher.less(b.platform, a.platform) ? 1 : 0;
        });
      }
      for (const c of candidates) {
        const found = await visit(c, depth + 1);
        if (found) return found;
      }
      return undefined;
    }
    throw new ManagerError('NOT_FOUND', `unexpected media type ${desc.mediaType} for ${desc.digest}: not a manifest or an index`);
  };
  const found = await visit(target, 0);
  if (!found) {
    if (sawIndex) {
      throw notFound(`no match for platform${matcher ? ` ${matcher.description}` : ''} in manifest ${target.digest}`);
    }
    throw notFound(`manifest ${target.digest}`);
  }
  return found;
}

/** Everything the unpacker needs for one platform of an image. */
export interface ImageParts {
  manifestDesc: Descriptor;
  manifest: ImageManifest;
  configDesc: Descriptor;
  config: ImageConfig;
  /** In order, bottom layer first. */
  layers: Descriptor[];
  /** rootfs.diff_ids: the digest of each layer's uncompressed tar, same order. */
  diffIds: string[];
  platform: Platform;
}

export async function imageParts(provider: BlobProvider, target: Descriptor, matcher?: PlatformMatcher): Promise<ImageParts> {
  const r = await resolveManifest(provider, target, matcher);
  const config = parseConfig(await provider(r.manifest.config), r.manifest.config);
  const layers = r.manifest.layers;
  if (layers.length !== config.rootfs.diff_ids.length) {
    throw invalid('config', `image ${r.desc.digest}: the manifest lists ${layers.length} layers but the config has ${config.rootfs.diff_ids.length} diff_ids`);
  }
  return {
    manifestDesc: r.desc,
    manifest: r.manifest,
    configDesc: r.manifest.config,
    config,
    layers,
    diffIds: config.rootfs.diff_ids,
    platform: r.platform ?? normalizePlatform({ os: config.os, architecture: config.architecture, variant: config.variant }),
  };
}

/** The platforms an image offers (containerd's images.Platforms). */
export async function imagePlatforms(provider: BlobProvider, target: Descriptor): Promise<Platform[]> {
  if (isIndexType(target.mediaType)) {
    const out: Platform[] = [];
    for (const d of parseIndex(await provider(target), target).manifests) {
      if (d.platform) out.push(d.platform);
      else if (isIndexType(d.mediaType) || isManifestType(d.mediaType)) out.push(...(await imagePlatforms(provider, d).catch(() => [])));
    }
    return out;
  }
  const m = parseManifest(await provider(target), target);
  const cfg = parseConfig(await provider(m.config), m.config);
  return [normalizePlatform({ os: cfg.os, architecture: cfg.architecture, variant: cfg.variant })];
}

/**
 * Visit a descriptor and its children depth-first, parents before children. The handler returns
 * the children to descend into (or undefined for all of them).
 */
export async function walkImage(
  provider: BlobProvider,
  target: Descriptor,
  handler: (desc: Descriptor, kids: Descriptor[]) => Promise<Descriptor[] | void> | Descriptor[] | void,
): Promise<void> {
  const seen = new Set<string>();
  const visit = async (desc: Descriptor) => {
    const kids = await children(provider, desc);
    const chosen = (await handler(desc, kids)) ?? kids;
    for (const k of chosen) {
      if (seen.has(k.digest)) continue;
      seen.add(k.digest);
      await visit(k);
    }
  };
  seen.add(target.digest);
  await visit(target);
}

/** Blobs of an image that the store has and lacks, for one platform (containerd's images.Check). */
export async function checkImage(
  store: ContentStore,
  ns: string,
  target: Descriptor,
  matcher?: PlatformMatcher,
): Promise<{ available: boolean; required: Descriptor[]; present: Descriptor[]; missing: Descriptor[] }> {
  let parts: ImageParts;
  try {
    parts = await imageParts(storeProvider(store, ns), target, matcher);
  } catch (e) {
    if (e instanceof ManagerError && e.code === 'NOT_FOUND') return { available: false, required: [target], present: [], missing: [target] };
    throw e;
  }
  const required = [parts.configDesc, ...parts.layers];
  const present = required.filter((d) => store.has(ns, d.digest));
  const missing = required.filter((d) => !store.has(ns, d.digest));
  return { available: true, required, present, missing };
}

/** Total size of the blobs of one platform of an image (index + manifest + config + layers). */
export async function imageSize(provider: BlobProvider, target: Descriptor, matcher?: PlatformMatcher): Promise<number> {
  const parts = await imageParts(provider, target, matcher);
  let size = parts.manifestDesc.size + parts.configDesc.size + parts.layers.reduce((n, l) => n + l.size, 0);
  if (parts.manifestDesc.digest !== target.digest) size += target.size;
  return size;
}

export const describePlatform = (p: Platform | undefined): string => formatPlatform(p);
