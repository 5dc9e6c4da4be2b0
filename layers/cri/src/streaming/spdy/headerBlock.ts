// SPDY/3 name/value header blocks (draft 3, section 2.6.10):
//
//   | count (32) | name length (32) | name | value length (32) | value | ... |
//
// Names are lower-case; several values of one name are joined with NUL bytes. The whole block is
// zlib-compressed with the SPDY dictionary, and the zlib stream is *one per direction per
// connection*: each block ends with a SYNC_FLUSH and the next block continues the same stream. So
// the compressor and decompressor live as long as the session and must see blocks in frame order.
// Node's zlib is asynchronous for long-lived streams (its sync helpers close the stream after one
// call), so each block is a write + flush on a persistent stream, chained one after the other.
import zlib from 'node:zlib';
import { StreamingError } from '../errors';
import { SPDY3_DICTIONARY } from './dictionary';

export type HeaderMap = Record<string, string[]>;

/** Largest uncompressed block we accept: a compression bomb must not exhaust memory. */
const MAX_HEADER_BLOCK = 256 * 1024;

/**
 * One long-lived zlib stream used block by block: write the block, SYNC_FLUSH, and collect
 * exactly the output that flush produced. Calls are chained so blocks never interleave.
 */
class BlockZlib {
  private chain: Promise<unknown> = Promise.resolve();
  private failure?: Error;
  private rejectPending?: (e: Error) => void;
  private output: Buffer[] = [];

  constructor(private readonly z: zlib.Deflate | zlib.Inflate) {
    z.on('error', (e: Error) => {
      this.failure = e;
      this.rejectPending?.(e);
    });
    z.on('data', (c: Buffer) => this.output.push(c));
  }

  process(input: Buffer): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        this.rejectPending = reject;
        this.z.write(input);
        this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          // Output may still be on its way to 'data' (stream events can be deferred to the next
          // tick); one macrotask later all of this block's output has been delivered.
          setImmediate(() => {
            this.rejectPending = undefined;
            if (this.failure) return reject(this.failure);
            const out = Buffer.concat(this.output);
            this.output = [];
            resolve(out);
          });
        });
      });
    const p = this.chain.then(run);
    this.chain = p.catch(() => {});
    return p;
  }

  close(): void {
    this.z.destroy();
  }
}

// Generous buffers so a flush never waits on stream backpressure; header blocks are far smaller.
const ZLIB_BUFFER = { highWaterMark: 1024 * 1024, readableHighWaterMark: 1024 * 1024 } as zlib.ZlibOptions;

export function encodeHeaderBlockPlain(headers: HeaderMap): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const names = Object.keys(headers);
  parts.push(u32(names.length));
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase());
    const v = Buffer.from(headers[name].join('\0'));
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlockPlain(block: Buffer): HeaderMap {
  const out: HeaderMap = {};
  let off = 0;
  const u32 = () => {
    if (off + 4 > block.length) throw new StreamingError('spdy: truncated header block');
    const v = block.readUInt32BE(off);
    off += 4;
    return v;
  };
  const bytes = (n: number) => {
    if (off + n > block.length) throw new StreamingError('spdy: truncated header block');
    const s = block.subarray(off, off + n).toString();
    off += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32());
    if (name.length === 0) throw new StreamingError('spdy: empty header name');
    if (name !== name.toLowerCase()) throw new StreamingError(`spdy: header name ${JSON.stringify(name)} is not lower-case`);
    if (out[name]) throw new StreamingError(`spdy: header ${name} appears twice`);
    out[name] = bytes(u32()).split('\0');
  }
  return out;
}

export class HeaderCompressor {
  private readonly z = new BlockZlib(zlib.createDeflate({ ...ZLIB_BUFFER, dictionary: SPDY3_DICTIONARY, level: zlib.constants.Z_BEST_COMPRESSION }));
  compress(headers: HeaderMap): Promise<Buffer> {
    return this.z.process(encodeHeaderBlockPlain(headers));
  }
  close(): void {
    this.z.close();
  }
}

export class HeaderDecompressor {
  private readonly z = new BlockZlib(zlib.createInflate({ ...ZLIB_BUFFER, dictionary: SPDY3_DICTIONARY }));
  async decompress(block: Buffer): Promise<HeaderMap> {
    if (block.length === 0) return {};
    let plain: Buffer;
    try {
      plain = await this.z.process(block);
    } catch (e) {
      throw new StreamingError(`spdy: cannot decompress header block: ${(e as Error).message}`);
    }
    if (plain.length > MAX_HEADER_BLOCK) throw new StreamingError(`spdy: header block too large (${plain.length} bytes)`);
    return decodeHeaderBlockPlain(plain);
  }
  close(): void {
    this.z.close();
  }
}

/** First value of a header (names compared lower-case, as SPDY requires). */
export function headerValue(h: HeaderMap, name: string): string | undefined {
  return h[name.toLowerCase()]?.[0];
}
