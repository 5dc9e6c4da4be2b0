// Media types of images: the OCI image-spec's (media-types.md) and Docker's image manifest v2
// schema 2 ones, which registries and containerd still use for most images. Same facts as
// containerd's images/mediatypes.go.
import { ManagerError, invalid } from '../errors';

export const MediaType = {
  // OCI image-spec
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNonDistributable: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNonDistributableGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  ociLayout: 'application/vnd.oci.layout.header.v1+json',
  // Docker image manifest v2, schema 2
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
  dockerLayerForeignGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  // schema 1 (signed, pre-2016): recognized only to refuse it with a clear message
  dockerSchema1Manifest: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/**
 * containerd's checkpoint media types (images/mediatypes.go): what Tasks.Checkpoint writes and
 * what a checkpoint image's index lists next to them. The rw layer of `ctr c checkpoint --rw` is
 * a plain layer (Diff's default, tar+gzip), not `rw`: containerd's client looks it up so.
 */
export const CheckpointMediaType = {
  /** The CRIU image directory as an uncompressed tar (Tasks.Checkpoint, Tasks.Create `checkpoint`). */
  criu: 'application/vnd.containerd.container.criu.checkpoint.criu.tar',
  /** A pre-dump's image directory (not written by containerd 1.6 itself). */
  criuPreDump: 'application/vnd.containerd.container.criu.checkpoint.predump.tar',
  /** The container's spec: its google.protobuf.Any, proto-marshalled. */
  config: 'application/vnd.containerd.container.checkpoint.config.v1+proto',
  /** The CheckpointOptions the task was checkpointed with (an Any, proto-marshalled). */
  options: 'application/vnd.containerd.container.checkpoint.options.v1+proto',
  /** The container's runtime options (an Any, proto-marshalled). */
  runtimeOptions: 'application/vnd.containerd.container.checkpoint.runtime.options+proto',
  runtimeName: 'application/vnd.containerd.container.checkpoint.runtime.name',
  rw: 'application/vnd.containerd.container.rw.tar',
} as const;

/** The Accept header a resolver sends for a manifest (containerd's resolver sends the same four, plus "*\/*"). */
export const MANIFEST_ACCEPT = [MediaType.dockerManifest, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex, '*/*'].join(', ');

export const isIndexType = (mt: string): boolean => mt === MediaType.ociIndex || mt === MediaType.dockerManifestList;
export const isManifestType = (mt: string): boolean => mt === MediaType.ociManifest || mt === MediaType.dockerManifest;
export const isConfigType = (mt: string): boolean => mt === MediaType.ociConfig || mt === MediaType.dockerConfig;
export const isDockerType = (mt: string): boolean => mt.startsWith('application/vnd.docker.');

export function isLayerType(mt: string): boolean {
  if (mt.startsWith('application/vnd.oci.image.layer.')) return true;
  const base = mt.split('+')[0];
  return (
    base === MediaType.dockerLayer || base === MediaType.dockerLayerGzip || base === MediaType.dockerLayerForeign || base === MediaType.dockerLayerForeignGzip
  );
}

/** Foreign (Windows base) layers: not pushed to registries, fetched from their `urls`. */
export const isNonDistributable = (mt: string): boolean =>
  mt.startsWith('application/vnd.oci.image.layer.nondistributable.') || mt.startsWith('application/vnd.docker.image.rootfs.foreign.');

export type Compression = 'none' | 'gzip' | 'zstd';

/**
 * The compression of a layer media type (containerd's DiffCompression). zstd is recognized but
 * the manager cannot unpack it (Node has no zstd before v22.15): the unpacker refuses it by name.
 * Encrypted layers (+encrypted) are refused here.
 */
export function layerCompression(mt: string): Compression {
  if (!isLayerType(mt)) throw invalid('mediaType', `${mt} is not a layer media type`);
  const [base, ...ext] = mt.split('+');
  if (ext.includes('encrypted')) throw new ManagerError('UNIMPLEMENTED', `encrypted layers (${mt}) are not supported`);
  if (base === MediaType.dockerLayerGzip || base === MediaType.dockerLayerForeignGzip) return 'gzip';
  if (base === MediaType.dockerLayer || base === MediaType.dockerLayerForeign) return 'none';
  const last = ext[ext.length - 1];
  if (last === 'gzip') return 'gzip';
  if (last === 'zstd') return 'zstd';
  return 'none';
}

/** The layer media type for a compression in the OCI or the Docker family. */
export function layerMediaType(family: 'oci' | 'docker', compression: Compression): string {
  if (family === 'docker') {
    if (compression === 'zstd') throw invalid('compression', 'Docker schema 2 has no zstd layer media type');
    return compression === 'gzip' ? MediaType.dockerLayerGzip : MediaType.dockerLayer;
  }
  return compression === 'gzip' ? MediaType.ociLayerGzip : compression === 'zstd' ? MediaType.ociLayerZstd : MediaType.ociLayer;
}
