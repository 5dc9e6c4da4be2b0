// Build small images straight into the content store: layers from tar entries, a config, a
// manifest, optionally an index over several platforms. Tests and tutorials use it to make
// fixtures locally (never downloaded); it is also the shortest explanation of what an image is:
//
//   layer    = tar (maybe gzip)            diff_id = sha256 of the uncompressed tar
//   config   = JSON: platform, run config, rootfs.diff_ids (one per layer, in order)
//   manifest = JSON: config descriptor + layer descriptors
//   index    = JSON: manifest descriptors, each with its platform
import zlib from 'node:zlib';
import type { ContentIngester } from '../content/access';
import { sha256 } from '../content/digest';
import type { Descriptor, Platform } from '../types';
import { tarBuffer, type TarBufferEntry } from '../archive/tarWriter';
import { buildManifest, canonicalJson } from './layout';
import { childGCLabels, type ImageConfig } from './manifest';
import { MediaType, layerMediaType } from './mediaTypes';
import { hostPlatform } from './platform';

export interface LayerSpec {
  /** Tar entries in order (archive/tarWriter.ts tarBuffer: type defaults to 'file'). */
  entries: TarBufferEntry[];
  /** Default gzip. */
  compression?: 'gzip' | 'none';
}

export interface BuildImageOptions {
  /** Media type family; default 'oci'. */
  family?: 'oci' | 'docker';
  layers: LayerSpec[];
  /** Default: the host's platform with os linux. */
  platform?: Platform;
  /** The run configuration (Env, Cmd, Entrypoint, WorkingDir, ...). */
  runConfig?: ImageConfig['config'];
  created?: string;
}

export interface BuiltImage {
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: string[];
}

export async function buildImage(store: ContentIngester, ns: string, opts: BuildImageOptions): Promise<BuiltImage> {
  const family = opts.family ?? 'oci';
  const platform = opts.platform ?? { ...hostPlatform(), os: 'linux' };
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (const l of opts.layers) {
    const tar = tarBuffer(l.entries);
    const compression = l.compression ?? 'gzip';
    const blob = compression === 'gzip' ? zlib.gzipSync(tar) : tar;
    const mediaType = layerMediaType(family, compression);
    const r = await store.put(ns, { digest: sha256(blob), size: blob.length }, blob);
    layers.push({ mediaType, digest: r.digest, size: r.size });
    diffIds.push(sha256(tar));
  }
  const created = opts.created ?? '2000-01-01T00:00:00Z';
  const configDoc: ImageConfig = {
    created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: opts.runConfig ?? { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map(() => ({ created, created_by: 'strata images/build.ts' })),
  };
  const configBytes = canonicalJson(configDoc);
  const config: Descriptor = { mediaType: family === 'oci' ? MediaType.ociConfig : MediaType.dockerConfig, digest: sha256(configBytes), size: configBytes.length };
  await store.put(ns, config, configBytes);
  const manifestBytes = canonicalJson(buildManifest(family, config, layers));
  const manifest: Descriptor = { mediaType: family === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest, digest: sha256(manifestBytes), size: manifestBytes.length };
  await store.put(ns, manifest, manifestBytes, childGCLabels([config, ...layers]));
  return { manifest, config, layers, diffIds };
}

/** An index (OCI) or manifest list (Docker) over manifests, each descriptor carrying its platform. */
export async function buildIndex(store: ContentIngester, ns: string, manifests: (Descriptor & { platform: Platform })[], family: 'oci' | 'docker' = 'oci'): Promise<Descriptor> {
  const mediaType = family === 'oci' ? MediaType.ociIndex : MediaType.dockerManifestList;
  const bytes = canonicalJson({ schemaVersion: 2, mediaType, manifests: manifests.map((m) => ({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform })) });
  const desc: Descriptor = { mediaType, digest: sha256(bytes), size: bytes.length };
  await store.put(ns, desc, bytes, childGCLabels(manifests));
  return desc;
}
