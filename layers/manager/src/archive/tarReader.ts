// A streaming tar reader: an async generator of entries over any async iterable of Buffers (a
// Node Readable is one). Nothing is buffered beyond one chunk: each entry's body is itself an
// async iterable that pulls from the source as the consumer reads it, and a body the consumer
// leaves unread is skipped when the next entry is requested.
//
// Read: POSIX ustar, pax extended headers ('x': path, linkpath, size, uid, gid, uname, gname,
// mtime, SCHILY.xattr.*), GNU long names ('L') and long link names ('K'), GNU base-256 numbers.
// Ignored like containerd does: pax global headers ('g'). Refused: GNU sparse files ('S' and
// GNU.sparse.* records), multi-volume and other types we cannot represent on disk.
import { ManagerError } from '../errors';
import {
  BLOCK,
  decodeHeader,
  entryTypeOf,
  headerOnly,
  isZeroBlock,
  padding,
  parsePaxRecords,
  type TarHeader,
} from './tarHeader';

export interface TarEntry {
  header: TarHeader;
  /** The content (regular files only); readable once, before asking for the next entry. */
  body: AsyncIterable<Buffer>;
}

/** The largest pax/GNU long-name body we accept: these are held in memory. */
const MAX_META = 1 << 20;

const invalidArchive = (why: string) => new ManagerError('INVALID_ARGUMENT', `invalid tar archive: ${why}`);

/** Pulls exact byte counts out of an async iterator of chunks. */
export class ByteReader {
  private queue: Buffer[] = [];
  private queued = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Make at least n bytes available; false if the stream ends first. */
  private async fill(n: number): Promise<boolean> {
    while (this.queued < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      if (chunk.length === 0) continue;
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
    return this.queued >= n;
  }

  private take(n: number): Buffer {
    const first = this.queue[0];
    if (first.length > n) {
      this.queue[0] = first.subarray(n);
      this.queued -= n;
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.queue.shift();
      this.queued -= n;
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.queue[0];
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.queue.shift();
      else this.queue[0] = c.subarray(k);
      this.queued -= k;
    }
    return out;
  }

  /** Exactly n bytes; null when the stream is already at its end; an error when it ends midway. */
  async read(n: number): Promise<Buffer | null> {
    if (n === 0) return Buffer.alloc(0);
    if (!(await this.fill(n))) {
      if (this.queued === 0) return null;
      throw invalidArchive(`unexpected end of stream (needed ${n} bytes, ${this.queued} left)`);
    }
    return this.take(n);
  }

  /** n bytes as a sequence of chunks, without gathering them; `entry` names the member in errors. */
  async *chunks(n: number, entry?: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.queued === 0 && !(await this.fill(1))) throw invalidArchive(`unexpected end of stream inside ${entry === undefined ? 'an entry' : `entry ${entry}`} (${left} bytes missing)`);
      const k = Math.min(left, this.queue[0].length);
      left -= k;
      yield this.take(k);
    }
  }

  async skip(n: number, entry?: string): Promise<void> {
    for await (const _ of this.chunks(n, entry)) void _;
  }
}

/** Read a tar stream entry by entry. */
export async function* readTar(source: AsyncIterable<Buffer>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;

  for (;;) {
    const block = await r.read(BLOCK);
    if (block === null) return; // EOF at a header boundary: accepted, as Go's archive/tar does
    if (isZeroBlock(block)) {
      // end-of-archive marker: two zero blocks (a lone one at the very end is tolerated)
      const second = await r.read(BLOCK);
      if (second !== null && !isZeroBlock(second)) throw invalidArchive('a zero block followed by data');
      return;
    }
    const raw = decodeHeader(block);
    const flag = raw.typeflag;

    // Meta entries describe the next real entry.
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      if (raw.size > MAX_META) throw invalidArchive(`${flag === 'x' || flag === 'g' ? 'pax' : 'GNU long name'} header of ${raw.size} bytes is too large`);
      const data = (await r.read(raw.size)) ?? Buffer.alloc(0);
      await r.skip(padding(raw.size));
      if (flag === 'x') for (const [k, v] of parsePaxRecords(data)) pax.set(k, v);
      else if (flag === 'L') longName = nulTerminated(data);
      else if (flag === 'K') longLink = nulTerminated(data);
      // 'g' (pax global header): ignored, as containerd's applier does
      continue;
    }
    if (flag === 'S' || [...pax.keys()].some((k) => k.startsWith('GNU.sparse.'))) {
      throw new ManagerError('UNIMPLEMENTED', `tar entry ${raw.name}: GNU sparse files are not supported`);
    }

    let name = longName ?? raw.name;
    let linkname = longLink ?? raw.linkname;
    const header: TarHeader = {
      name,
      type: 'file',
      mode: raw.mode & 0o7777,
      uid: raw.uid,
      gid: raw.gid,
      uname: raw.uname || undefined,
      gname: raw.gname || undefined,
      size: raw.size,
      mtime: raw.mtime,
      linkname,
      devmajor: raw.devmajor,
      devminor: raw.devminor,
      xattrs: {},
    };
    for (const [key, value] of pax) applyPaxRecord(header, key, value);
    name = header.name;
    linkname = header.linkname;
    pax = new Map();
    longName = undefined;
    longLink = undefined;

    const type = entryTypeOf(flag, name);
    if (!type) throw new ManagerError('UNIMPLEMENTED', `tar entry ${name}: unsupported entry type ${JSON.stringify(flag)}`);
    header.type = type;
    // Only regular files carry data; other types' size fields are ignored (Go's archive/tar).
    const dataSize = headerOnly(type) ? 0 : header.size;
    if (headerOnly(type)) header.size = 0;

    let consumed = 0;
    let reading = false;
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => {
        if (reading) throw new Error(`tar entry ${name}: body read twice`);
        reading = true;
        const gen = r.chunks(dataSize, name);
        return {
          next: async () => {
            const n = await gen.next();
            if (!n.done) consumed += n.value.length;
            return n;
          },
          return: async () => ({ done: true, value: undefined }),
        };
      },
    };
    yield { header, body };
    await r.skip(dataSize - consumed + padding(dataSize), name);
  }
}

function nulTerminated(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul === -1 ? b.length : nul).toString('utf8');
}

function applyPaxRecord(h: TarHeader, key: string, value: Buffer): void {
  const text = () => value.toString('utf8');
  const int = (field: string) => {
    const s = text();
    if (!/^\d+$/.test(s)) throw invalidArchive(`pax ${field} is not a number (${JSON.stringify(s)})`);
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw invalidArchive(`pax ${field} out of range`);
    return n;
  };
  if (key.startsWith('SCHILY.xattr.')) {
    h.xattrs[key.slice('SCHILY.xattr.'.length)] = Buffer.from(value);
    return;
  }
  if (value.length === 0) return; // an empty value deletes the keyword: keep the ustar field
  switch (key) {
    case 'path':
      h.name = text();
      break;
    case 'linkpath':
      h.linkname = text();
      break;
    case 'size':
      h.size = int('size');
      break;
    case 'uid':
      h.uid = int('uid');
      break;
    case 'gid':
      h.gid = int('gid');
      break;
    case 'uname':
      h.uname = text();
      break;
    case 'gname':
      h.gname = text();
      break;
    case 'mtime': {
      const t = Number(text());
      if (!Number.isFinite(t)) throw invalidArchive(`pax mtime is not a number (${JSON.stringify(text())})`);
      h.mtime = t;
      break;
    }
    default:
      // atime, ctime, charset, comment, vendor records: not needed to recreate the file
      break;
  }
}

/** Gather an entry's body into one Buffer (for small entries: JSON files, test fixtures). */
export async function readAll(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c);
  return Buffer.concat(chunks);
}
