// Images in and out of the manager's content store, from the builder's side.
//
//   base image   FROM's image: found by name (normalised like docker: busybox ->
//                docker.io/library/busybox:latest), pulled through a callback when missing,
//                its layers unpacked into snapshots named by chain ID.
//   step images  like the classic builder, every step ends in an image: a config blob whose
//                digest is the ID printed as " ---> 1a2b3c4d5e6f". They carry GC references
//                to their layers and unpacked snapshot; the build cache's lease keeps them
//                (cache.ts), as docker keeps its intermediate images until they are pruned.
//   the result   a Docker schema 2 manifest (docker save/push expect it) around the last step's
//                config, named once per -t tag. Image ID = sha256 of the config.
import crypto from 'node:crypto';
import {
  currentLease,
  ManagerError,
  managerApi,
  MediaType,
  buildManifest,
  canonicalJson,
  childGCLabels,
  chainIds,
  hostPlatform,
  normalizeReference,
  resolveImage,
  unpackLayers,
  type Descriptor,
  type ImageConfig,
  type ManagerClient,
} from '@strata/manager';

export const DOCKER_LAYER = MediaType.dockerLayerGzip;

export interface BaseImage {
  name: string;
  configDigest: string;
  config: ImageConfig;
  layers: Descriptor[];
  chain: string;
}

const sha256 = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

/**
 * Put something that existed before this build under the build's lease: the collector may be
 * running right now, and what we reuse (a blob, a committed snapshot) is not ours until an
 * image or the cache references it. What the build creates itself is leased by the manager.
 */
export async function leaseExisting(c: ManagerClient, type: 'content' | `snapshots/${string}`, id: string): Promise<void> {
  const lease = currentLease();
  if (lease) await c.grpc.call(managerApi.LEASES_SERVICE, 'AddResource', { id: lease, resource: { id, type } });
}

/** Store a blob (or find it stored already), with labels. */
export async function putBlob(c: ManagerClient, bytes: Buffer, mediaType: string, labels: Record<string, string> = {}): Promise<Descriptor> {
  const desc: Descriptor = { mediaType, digest: sha256(bytes), size: bytes.length };
  await leaseExisting(c, 'content', desc.digest); // a lease may name what does not exist yet
  if (await c.content.has(desc.digest)) {
    if (Object.keys(labels).length) await c.content.update(desc.digest, labels, Object.keys(labels).map((k) => `labels.${k}`));
    return desc;
  }
  const w = await c.content.writer(`build-${desc.digest}`, desc.size, desc.digest);
  try {
    if (w.offset !== 0) await w.truncate();
    await w.write(bytes);
    await w.commit(desc.size, desc.digest, labels);
  } catch (e) {
    w.close();
    if (!(e instanceof ManagerError && e.code === 'ALREADY_EXISTS')) throw e;
    if (Object.keys(labels).length) await c.content.update(desc.digest, labels, Object.keys(labels).map((k) => `labels.${k}`));
  }
  return desc;
}

/** FROM's image: found (pulled if needed), resolved for the platform, unpacked. */
export async function resolveBase(c: ManagerClient, ref: string, o: { snapshotter: string; platform?: string; pull?: (ref: string) => Promise<void>; alwaysPull?: boolean }): Promise<BaseImage> {
  let name: string;
  try {
    name = normalizeReference(ref);
  } catch (e) {
    throw Object.assign(new Error(`invalid reference format: ${ref} (${(e as Error).message})`), { status: 400 });
  }
  const get = () => c.images.get(name).catch((e) => (e instanceof ManagerError && e.code === 'NOT_FOUND' ? undefined : Promise.reject(e)));
  // docker build --pull: fetch a newer version even when the image is here
  if (o.alwaysPull && o.pull) await o.pull(name);
  let image = await get();
  if (!image && o.pull && !o.alwaysPull) {
    await o.pull(name);
    image = await get();
  }
  if (!image) throw Object.assign(new Error(`pull access denied for ${ref}, repository does not exist or may require 'docker login' (image ${name} is not in the store)`), { status: 404 });
  const { manifest, config } = await resolveImage(c, image.target as Descriptor, o.platform);
  const r = await unpackLayers(c, manifest.manifest.layers, config.rootfs.diff_ids, manifest.manifest.config.digest, o.snapshotter);
  return { name, configDigest: manifest.manifest.config.digest, config, layers: manifest.manifest.layers, chain: r.chainId };
}

/** The config of FROM scratch: no layers, this machine's platform. */
export function scratchConfig(): ImageConfig {
  const p = hostPlatform();
  return { architecture: p.architecture, os: 'linux', ...(p.variant ? { variant: p.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
}

/** The chain ID of the layers so far (the snapshot holding them). */
export const topChain = (diffIds: string[]): string => chainIds(diffIds).at(-1) ?? '';

/** Write a step's config (its "image"), pointing at its layers and snapshot. */
export async function writeStepConfig(c: ManagerClient, doc: ImageConfig, layers: Descriptor[], snapshotter: string): Promise<Descriptor> {
  const labels: Record<string, string> = {};
  layers.forEach((l, i) => (labels[`containerd.io/gc.ref.content.l.${i}`] = l.digest));
  const top = topChain(doc.rootfs.diff_ids);
  if (top) labels[`containerd.io/gc.ref.snapshot.${snapshotter}`] = top;
  return putBlob(c, canonicalJson(doc), MediaType.dockerConfig, labels);
}

/**
 * The final image: a manifest around the config and layers, named for every tag. Docker media
 * types unless a base layer is not gzip (then OCI, which can say zstd or plain tar).
 */
export async function writeImage(c: ManagerClient, config: Descriptor, layers: Descriptor[], names: string[], setName?: (name: string, target: Descriptor) => Promise<void>): Promise<Descriptor> {
  const docker = layers.every((l) => l.mediaType === MediaType.dockerLayerGzip || l.mediaType === MediaType.ociLayerGzip);
  // gzip layers are the same bytes under either family's media type
  const family = docker ? 'docker' : 'oci';
  const ls = layers.map((l) => ({ ...l, mediaType: docker ? MediaType.dockerLayerGzip : l.mediaType === MediaType.dockerLayerGzip ? MediaType.ociLayerGzip : l.mediaType }));
  const cfg = { ...config, mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig };
  const manifest = putBlob(c, canonicalJson(buildManifest(family, cfg, ls)), docker ? MediaType.dockerManifest : MediaType.ociManifest, childGCLabels([cfg, ...ls]));
  const desc = await manifest;
  for (const name of names) await (setName ? setName(name, desc) : c.images.put({ name, target: desc, labels: {} }));
  return desc;
}
