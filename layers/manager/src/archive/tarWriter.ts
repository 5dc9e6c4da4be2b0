// A streaming tar writer: ustar blocks, with a pax extended header in front of an entry only when
// some field does not fit ustar (the "PAX format, USTAR-compatible where possible" that Go's
// archive/tar and so containerd's differ produce). Writes respect the destination's backpressure.
import type { Writable } from 'node:stream';
import { BLOCK, encodeHeader, padding, type TarHeader, type TarWriterHeader } from './tarHeader';

export type { TarWriterHeader } from './tarHeader';

export class TarWriter {
  private finished = false;

  constructor(private readonly out: Writable) {}

  private async write(b: Buffer): Promise<void> {
    if (b.length === 0) return;
    const out = this.out;
    if (out.destroyed) throw out.errored ?? new Error('tar writer: destination closed');
    if (out.write(b)) return;
    // wait for room, or for the destination to fail (listeners removed either way)
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(out.errored ?? new Error('tar writer: destination closed'));
      const onError = (e: Error) => done(e);
      out.on('drain', onDrain);
      out.on('close', onClose);
      out.on('error', onError);
    });
  }

  /**
   * Add one entry. Directories get a trailing slash. A regular file's body must be exactly
   * header.size bytes (a Buffer or any async iterable of Buffers, e.g. fs.createReadStream).
   */
  async add(header: TarWriterHeader, body?: Buffer | AsyncIterable<Buffer>): Promise<void> {
    if (this.finished) throw new Error('tar writer: add after finish');
    const h = { ...header };
    if (h.type === 'dir' && !h.name.endsWith('/')) h.name += '/';
    if (h.type === 'file' && body && Buffer.isBuffer(body) && h.size === undefined) h.size = body.length;
    const size = h.type === 'file' ? (h.size ?? 0) : 0;
    await this.write(encodeHeader(h));
    let written = 0;
    if (size > 0) {
      if (!body) throw new Error(`tar writer: ${h.name}: size ${size} but no body`);
      const chunks: AsyncIterable<Buffer> | Buffer[] = Buffer.isBuffer(body) ? [body] : body;
      for await (const c of chunks) {
        if (written + c.length > size) throw new Error(`tar writer: ${h.name}: body longer than its size ${size} (the file changed while being read?)`);
        written += c.length;
        await this.write(c);
      }
      if (written !== size) throw new Error(`tar writer: ${h.name}: body of ${written} bytes, header says ${size} (the file changed while being read?)`);
    }
    await this.write(Buffer.alloc(padding(size)));
  }

  /** The end-of-archive marker: two zero blocks. Does not end the destination stream. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.write(Buffer.alloc(2 * BLOCK));
  }
}

/** An entry of an in-memory archive: a header (type defaults to 'file') and, for a file, its bytes. */
export type TarBufferEntry = Partial<TarHeader> & { name: string; data?: Buffer | string };

/**
 * A whole archive in memory, for small ones (test layers, fixtures). Files default to mode 0644,
 * directories to 0755; a file's size is its data's. Same encoding as TarWriter.
 */
export function tarBuffer(entries: readonly TarBufferEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const { data, ...e } of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' && data !== undefined ? Buffer.from(data) : Buffer.alloc(0);
    const name = type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    parts.push(encodeHeader({ mode: type === 'dir' ? 0o755 : 0o644, ...e, name, type, size: body.length }));
    parts.push(body, Buffer.alloc(padding(body.length)));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
