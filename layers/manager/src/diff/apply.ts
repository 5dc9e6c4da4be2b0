// Diff.Apply: put a layer's changes into a snapshot's mounts (containerd's diff/apply fsApplier
// and apply_linux.go). Where the layer is written depends on the mounts:
//
//   one overlay mount with an upperdir   straight into the upperdir, overlay whiteouts, with the
//                                        lowerdirs as parents (no mount needed; containerd does
//                                        exactly this)
//   one bind mount (rw)                  straight into its source, whiteouts deleted for real
//                                        (what mounting it on a temp dir would reach anyway)
//   anything else                        mounted on a temp dir, applied there, unmounted
//
// The result is the diff descriptor: media type application/vnd.oci.image.layer.v1.tar, the
// digest of the uncompressed stream (the diff_id) and its size. The compressed bytes are
// checked against desc.digest/desc.size as they stream by, so a caller handing us a raw
// Readable (not the content store, which verifies on full read) still gets a verified layer.
import type { Readable } from 'node:stream';
import { applyLayer, type ApplyLayerResult } from '../archive/apply';
import { ManagerError } from '../errors';
import { withTempMount } from '../snapshots/mount';
import type { Descriptor, Mount } from '../types';

export const MEDIA_TYPE_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const MEDIA_TYPE_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const MEDIA_TYPE_LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/** The upperdir and lowerdirs (nearest first) of overlay mount options (containerd's getOverlayPath). */
export function overlayDirs(options: readonly string[]): { upper?: string; lowers: string[] } {
  let upper: string | undefined;
  let lowers: string[] = [];
  for (const o of options) {
    if (o.startsWith('upperdir=')) upper = o.slice('upperdir='.length);
    else if (o.startsWith('lowerdir=')) lowers = o.slice('lowerdir='.length).split(':');
  }
  return { upper, lowers };
}

const readOnly = (m: Mount) => m.options.includes('ro');

/**
 * Apply the layer `layer` (the blob `desc` names: compressed or not) to `mounts`. Returns the
 * uncompressed layer's descriptor; its digest must equal the image config's diff_id.
 */
export async function apply(desc: Descriptor, mounts: readonly Mount[], layer: Readable | AsyncIterable<Buffer>): Promise<Descriptor> {
  const name = `layer ${desc.digest || '(no digest)'}`;
  let result: ApplyLayerResult;
  const only = mounts.length === 1 ? mounts[0] : undefined;
  if (only?.type === 'overlay') {
    const { upper, lowers } = overlayDirs(only.options);
    if (!upper) throw new ManagerError('INVALID_ARGUMENT', `${name}: cannot apply to a read-only overlay mount (no upperdir: a view?)`);
    result = await applyLayer(upper, layer, { whiteouts: 'overlay', parents: lowers, name });
  } else if (only?.type === 'bind') {
    if (readOnly(only)) throw new ManagerError('INVALID_ARGUMENT', `${name}: cannot apply to a read-only bind mount of ${only.source} (a view?)`);
    result = await applyLayer(only.source, layer, { whiteouts: 'delete', name });
  } else {
    if (mounts.length === 0) throw new ManagerError('INVALID_ARGUMENT', `${name}: no mounts to apply to`);
    result = await withTempMount(mounts, (root) => applyLayer(root, layer, { whiteouts: 'delete', name }));
  }
  if (desc.digest && result.compressedDigest !== desc.digest) {
    throw new ManagerError('DATA_LOSS', `${name}: the bytes read have digest ${result.compressedDigest}, not ${desc.digest}`);
  }
  if (desc.size > 0 && result.compressedSize !== desc.size) {
    throw new ManagerError('DATA_LOSS', `${name}: ${result.compressedSize} bytes read, the descriptor says ${desc.size}`);
  }
  return { mediaType: MEDIA_TYPE_LAYER, digest: result.diffId, size: result.size };
}
