// Layer streams: detect the compression by its magic bytes (as containerd's
// archive/compression.DecompressStream does; the media type is not trusted for this), decompress,
// and digest both sides while the bytes flow:
//   - the compressed digest is the blob's name in the content store (image-spec descriptor.md);
//   - the uncompressed digest is the layer's diff_id (image-spec config.md#layer-diffid), what the
//     image config lists in rootfs.diff_ids and what chain IDs are computed from.
import { createHash, type Hash } from 'node:crypto';
import { Readable, pipeline, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { ManagerError } from '../errors';

export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression a stream starts with. */
export function detectCompression(head: Buffer): Compression | 'xz' | 'bzip2' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  return 'none';
}

/** A running sha256 and byte count over whatever passes through. */
export class DigestCounter {
  private readonly hash: Hash = createHash('sha256');
  private result: string | undefined;
  size = 0;

  update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.size += chunk.length;
  }

  /** "sha256:<hex>"; call once the stream has ended. */
  digest(): string {
    this.result ??= `sha256:${this.hash.digest('hex')}`;
    return this.result;
  }
}

/** Yield the source's chunks while feeding them to a DigestCounter. */
export async function* tap(source: AsyncIterable<Buffer>, counter: DigestCounter): AsyncGenerator<Buffer> {
  for await (const c of source) {
    const chunk = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    counter.update(chunk);
    yield chunk;
  }
}

/** Node 22.15+ has zstd in node:zlib; Node 20 does not. */
function zstdDecompressor(): Transform | undefined {
  const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  return make?.();
}

export interface LayerStream {
  compression: Compression;
  /** The uncompressed tar bytes (read once). */
  tar: AsyncIterable<Buffer>;
  /** Digest and size of the bytes as stored (compressed). Final after finish(). */
  compressed: DigestCounter;
  /** Digest (the diff_id) and size of the uncompressed tar. Final after finish(). */
  uncompressed: DigestCounter;
  /** Read whatever the consumer left (trailing zero blocks, padding): the digests cover the whole stream. */
  finish(): Promise<void>;
  /** Stop reading and release the source (on errors). */
  destroy(err?: Error): void;
}

/** Open a layer blob (compressed or not) for reading as a tar stream. */
export async function openLayerStream(source: Readable | AsyncIterable<Buffer>, what = 'layer'): Promise<LayerStream> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headLen = 0;
  while (headLen < 6) {
    const r = await it.next();
    if (r.done) break;
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    head.push(c);
    headLen += c.length;
  }
  const found = detectCompression(Buffer.concat(head));
  const rest: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: async function* () {
      yield* head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    },
  };
  const compressed = new DigestCounter();
  const uncompressed = new DigestCounter();
  const raw = tap(rest, compressed);

  const destroySource = (err?: Error) => {
    if (source instanceof Readable) source.destroy(err);
    else void it.return?.();
  };

  let plain: AsyncIterable<Buffer>;
  let decompressor: Transform | undefined;
  switch (found) {
    case 'none':
      plain = raw;
      break;
    case 'gzip':
      decompressor = zlib.createGunzip();
      break;
    case 'zstd':
      decompressor = zstdDecompressor();
      if (!decompressor) {
        destroySource();
        throw new ManagerError('UNIMPLEMENTED', `${what}: zstd-compressed layers need node:zlib zstd support (Node >= 22.15); this is Node ${process.versions.node}`);
      }
      break;
    default:
      destroySource();
      throw new ManagerError('UNIMPLEMENTED', `${what}: ${found} compression is not a layer format (image-spec layer.md allows tar, tar+gzip, tar+zstd)`);
  }
  if (decompressor) {
    const input = Readable.from(raw, { objectMode: false });
    // errors of either side destroy both and surface in the for-await over the decompressor
    plain = pipeline(input, decompressor, () => {}) as unknown as AsyncIterable<Buffer>;
  }
  const tar = tap(plain!, uncompressed);
  const tarIt = tar[Symbol.asyncIterator]();
  const shared: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => tarIt };

  return {
    compression: found,
    tar: shared,
    compressed,
    uncompressed,
    async finish() {
      for (;;) {
        const r = await tarIt.next();
        if (r.done) break;
      }
    },
    destroy(err?: Error) {
      decompressor?.destroy(err);
      destroySource(err);
    },
  };
}
