// Diff.Compare: the layer that turns the lower mounts' tree into the upper mounts' tree
// (containerd's walking differ, diff/walking/differ.go). Both are mounted read-only on temp
// dirs, walked together (changes.ts), and written as a tar — gzip-compressed or not, as the
// media type says — into `out` while both digests are computed:
//   desc.digest   sha256 of the bytes written to out (the blob's name in the content store)
//   diffId        sha256 of the uncompressed tar (containerd records it on the blob as the
//                 label containerd.io/uncompressed)
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { DigestCounter } from '../archive/compression';
import { TarWriter } from '../archive/tarWriter';
import { ManagerError } from '../errors';
import { withTempMount } from '../snapshots/mount';
import type { Descriptor, Mount } from '../types';
import { MEDIA_TYPE_DOCKER_LAYER_GZIP, MEDIA_TYPE_LAYER, MEDIA_TYPE_LAYER_GZIP, overlayDirs } from './apply';
import { writeChanges } from './changes';

export interface CompareOptions {
  /** Layer media type: tar or tar+gzip (default, as containerd). zstd is not offered (Node 20). */
  mediaType?: string;
  /** Where the layer bytes go (e.g. a content store writer). It is ended when the layer is complete. */
  out: Writable;
  /** mtime for whiteout entries, in seconds (default: now, as containerd). */
  whiteoutTime?: number;
}

export interface CompareResult {
  /** The layer blob: media type, digest and size of what was written to out. */
  desc: Descriptor;
  /** The uncompressed tar's digest: the layer's diff_id. */
  diffId: string;
  /** The uncompressed tar's size. */
  uncompressedSize: number;
}

const counting = (c: DigestCounter) =>
  new Transform({
    transform(chunk: Buffer, _enc, cb) {
      c.update(chunk);
      cb(null, chunk);
    },
  });

/** The top layer directory of the upper mounts when they are one overlay (for opaque directories). */
function topLayerOf(upper: readonly Mount[]): string | undefined {
  if (upper.length !== 1 || upper[0].type !== 'overlay') return undefined;
  const { upper: u, lowers } = overlayDirs(upper[0].options);
  return u ?? lowers[0];
}

export async function compare(lower: readonly Mount[], upper: readonly Mount[], opts: CompareOptions): Promise<CompareResult> {
  const mediaType = opts.mediaType || MEDIA_TYPE_LAYER_GZIP;
  let gzip: boolean;
  switch (mediaType) {
    case MEDIA_TYPE_LAYER:
      gzip = false;
      break;
    case MEDIA_TYPE_LAYER_GZIP:
    case MEDIA_TYPE_DOCKER_LAYER_GZIP:
      gzip = true;
      break;
    default:
      throw new ManagerError('UNIMPLEMENTED', `unsupported diff media type: ${mediaType} (use ${MEDIA_TYPE_LAYER} or ${MEDIA_TYPE_LAYER_GZIP})`);
  }
  const uncompressed = new DigestCounter();
  const compressed = new DigestCounter();
  const tarSide = counting(uncompressed);
  const done = gzip ? pipeline(tarSide, zlib.createGzip(), counting(compressed), opts.out) : pipeline(tarSide, counting(compressed), opts.out);
  done.catch(() => undefined); // observed below; a failing destination must not be an unhandled rejection meanwhile
  const tw = new TarWriter(tarSide);
  try {
    await withTempMount(
      lower,
      (lowerRoot) =>
        withTempMount(upper, (upperRoot) => writeChanges(tw, lowerRoot, upperRoot, { topLayer: topLayerOf(upper), whiteoutTime: opts.whiteoutTime }), { readonly: true }),
      { readonly: true },
    );
    await tw.finish();
    tarSide.end();
    await done;
  } catch (e) {
    tarSide.destroy(e as Error);
    await done.catch(() => undefined);
    throw e;
  }
  return { desc: { mediaType, digest: compressed.digest(), size: compressed.size }, diffId: uncompressed.digest(), uncompressedSize: uncompressed.size };
}
