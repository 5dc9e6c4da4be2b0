// The tar header block, as image layers use it (image-spec layer.md: "tar archive ... POSIX.1-2001
// pax format, with GNU extensions read"). One 512-byte block per entry, field by field:
//
//   offset  size  field                 offset  size  field
//        0   100  name                     257     6  magic ("ustar\0" POSIX, "ustar " GNU)
//      100     8  mode (octal)             263     2  version ("00" POSIX, " \0" GNU)
//      108     8  uid                      265    32  uname
//      116     8  gid                      297    32  gname
//      124    12  size                     329     8  devmajor
//      136    12  mtime (seconds)          337     8  devminor
//      148     8  chksum                   345   155  prefix (POSIX ustar only; GNU keeps atime/ctime here)
//      156     1  typeflag
//      157   100  linkname
//
// Numbers are octal ASCII; GNU tar writes values too large for octal in base-256 (first byte has
// the high bit set). Anything that does not fit (long names, big ids, xattrs) goes into a pax
// extended header ('x') before the entry, as "LEN key=value\n" records.
import { ManagerError } from '../errors';

export const BLOCK = 512;

export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One archive member, after pax and GNU long-name records have been folded in. */
export interface TarHeader {
  /** The member name exactly as the archive spells it (not normalised: see entryPath.ts). */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid, setgid and sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Bytes of content; 0 for everything but regular files. */
  size: number;
  /** Seconds since the epoch (fractional when a pax mtime record carries them). */
  mtime: number;
  /** Symlink target, or for a hardlink the name of the earlier member it links to. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** SCHILY.xattr.<name> pax records: extended attributes, byte-exact. */
  xattrs: Record<string, Buffer>;
}

/** The typeflag byte of each entry type (POSIX ustar; '7' contiguous and '\0' read as files). */
export const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};
const BY_FLAG: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

/** Which flags carry no content even when their size field says otherwise (as Go's archive/tar reads them). */
export const headerOnly = (t: TarEntryType): boolean => t !== 'file';

const invalidArchive = (why: string) => new ManagerError('INVALID_ARGUMENT', `invalid tar archive: ${why}`);

// ---- decoding ----

function cString(b: Buffer, off: number, len: number): string {
  const field = b.subarray(off, off + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

/** An octal ASCII number, or GNU base-256 when the first byte has its high bit set. */
export function parseNumeric(b: Buffer, off: number, len: number, field: string): number {
  const f = b.subarray(off, off + len);
  if (f[0] & 0x80) {
    // base-256: two's complement big-endian; 0xff first byte means negative
    const negative = (f[0] & 0x40) !== 0;
    let v = 0n;
    for (let i = 0; i < f.length; i++) {
      let c = negative ? f[i] ^ 0xff : f[i];
      if (i === 0) c &= 0x7f;
      v = (v << 8n) | BigInt(c);
    }
    if (negative) v = -(v + 1n);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw invalidArchive(`${field} out of range`);
    return Number(v);
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw invalidArchive(`${field} is not an octal number (${JSON.stringify(s)})`);
  return parseInt(s, 8);
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOk(b: Buffer): boolean {
  const stored = parseNumeric(b, 148, 8, 'chksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const c = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += c;
    signed += c > 127 ? c - 256 : c; // some old tars summed signed chars
  }
  return stored === unsigned || stored === signed;
}

/** The raw fields of one header block, before pax/GNU overrides. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  format: 'ustar' | 'gnu' | 'v7';
}

export function decodeHeader(b: Buffer): RawHeader {
  if (!checksumOk(b)) throw invalidArchive('header checksum mismatch (not a tar stream, or corrupt)');
  const magic = b.subarray(257, 263).toString('latin1');
  const version = b.subarray(263, 265).toString('latin1');
  const format = magic === 'ustar\0' ? 'ustar' : magic === 'ustar ' && version === ' \0' ? 'gnu' : 'v7';
  let name = cString(b, 0, 100);
  if (format === 'ustar') {
    const prefix = cString(b, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  const numeric = (off: number, len: number, field: string) => (format === 'v7' && (field === 'devmajor' || field === 'devminor') ? 0 : parseNumeric(b, off, len, field));
  return {
    name,
    mode: parseNumeric(b, 100, 8, 'mode'),
    uid: parseNumeric(b, 108, 8, 'uid'),
    gid: parseNumeric(b, 116, 8, 'gid'),
    size: parseNumeric(b, 124, 12, 'size'),
    mtime: parseNumeric(b, 136, 12, 'mtime'),
    typeflag: String.fromCharCode(b[156]),
    linkname: cString(b, 157, 100),
    uname: format === 'v7' ? '' : cString(b, 265, 32),
    gname: format === 'v7' ? '' : cString(b, 297, 32),
    devmajor: numeric(329, 8, 'devmajor'),
    devminor: numeric(337, 8, 'devminor'),
    format,
  };
}

export function entryTypeOf(typeflag: string, name: string): TarEntryType | undefined {
  const t = BY_FLAG[typeflag];
  // pre-POSIX archives mark directories only with a trailing slash on a regular-file flag
  if (t === 'file' && typeflag === '\0' && name.endsWith('/')) return 'dir';
  return t;
}

/** pax extended header records: "LEN key=value\n" (POSIX pax, "pax Header Block"). Values stay bytes. */
export function parsePaxRecords(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    if (data[off] === 0) break; // NUL padding after the last record
    const sp = data.indexOf(0x20, off);
    if (sp === -1) throw invalidArchive('pax record without a length');
    const len = Number(data.subarray(off, sp).toString('latin1'));
    if (!Number.isInteger(len) || len <= sp - off + 1 || off + len > data.length) throw invalidArchive('pax record length out of range');
    const rec = data.subarray(sp + 1, off + len);
    if (rec[rec.length - 1] !== 0x0a) throw invalidArchive('pax record does not end with a newline');
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw invalidArchive('pax record without key=value');
    out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1, rec.length - 1));
    off += len;
  }
  return out;
}

// ---- encoding ----

function putString(b: Buffer, off: number, len: number, s: string): void {
  b.write(s, off, len, 'utf8');
}

/** Octal with a trailing NUL, as ustar writes it; the caller has checked that it fits. */
function putOctal(b: Buffer, off: number, len: number, n: number): void {
  b.write(Math.trunc(n).toString(8).padStart(len - 1, '0') + '\0', off, len, 'latin1');
}

const fitsOctal = (n: number, len: number) => Number.isInteger(n) && n >= 0 && n < 8 ** (len - 1);

/** One pax record, its length prefix counting itself. */
export function paxRecord(key: string, value: Buffer | string): Buffer {
  const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const rest = Buffer.byteLength(` ${key}=`) + v.length + 1;
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.concat([Buffer.from(`${len} ${key}=`, 'utf8'), v, Buffer.from('\n')]);
}

/** Split a long name into ustar prefix (<=155 bytes) and name (<=100 bytes) at a slash, if possible. */
function splitUstarName(name: string): [string, string] | undefined {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= 100) return ['', name];
  if (bytes.length > 256 || !/^[\x20-\x7e]*$/.test(name)) return undefined;
  for (let i = Math.min(name.length - 1, 155); i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (rest.length === 0 || rest.length > 100) return undefined;
    return [prefix, rest];
  }
  return undefined;
}

/** What the writer needs of an entry; omitted fields take the zero value. */
export type TarWriterHeader = Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'>;

/**
 * Encode one entry's header: a pax 'x' block group first when some field does not fit ustar
 * (long names, ids or sizes beyond octal, fractional mtimes, xattrs), then the ustar block.
 */
export function encodeHeader(h: TarWriterHeader): Buffer {
  const pax: [string, Buffer | string][] = [];
  const size = h.type === 'file' ? (h.size ?? 0) : 0;
  const mtime = h.mtime ?? 0;
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  const linkname = h.linkname ?? '';

  const split = splitUstarName(h.name);
  if (!split) pax.push(['path', h.name]);
  if (Buffer.byteLength(linkname) > 100) pax.push(['linkpath', linkname]);
  if (!fitsOctal(uid, 8)) pax.push(['uid', String(uid)]);
  if (!fitsOctal(gid, 8)) pax.push(['gid', String(gid)]);
  if (!fitsOctal(size, 12)) pax.push(['size', String(size)]);
  if (!fitsOctal(mtime, 12)) pax.push(['mtime', formatPaxTime(mtime)]);
  if (h.uname && Buffer.byteLength(h.uname) > 32) pax.push(['uname', h.uname]);
  if (h.gname && Buffer.byteLength(h.gname) > 32) pax.push(['gname', h.gname]);
  for (const key of Object.keys(h.xattrs ?? {}).sort()) pax.push([`SCHILY.xattr.${key}`, h.xattrs![key]]);

  const block = Buffer.alloc(BLOCK);
  const [prefix, name] = split ?? ['', truncateUtf8(h.name, 100)];
  putString(block, 0, 100, name);
  putOctal(block, 100, 8, (h.mode ?? 0) & 0o7777);
  putOctal(block, 108, 8, fitsOctal(uid, 8) ? uid : 0);
  putOctal(block, 116, 8, fitsOctal(gid, 8) ? gid : 0);
  putOctal(block, 124, 12, fitsOctal(size, 12) ? size : 0);
  putOctal(block, 136, 12, fitsOctal(mtime, 12) ? mtime : 0);
  block[156] = TYPEFLAG[h.type].charCodeAt(0);
  putString(block, 157, 100, truncateUtf8(linkname, 100));
  block.write('ustar\x0000', 257, 8, 'latin1');
  if (h.uname && Buffer.byteLength(h.uname) <= 32) putString(block, 265, 32, h.uname);
  if (h.gname && Buffer.byteLength(h.gname) <= 32) putString(block, 297, 32, h.gname);
  if (h.type === 'char' || h.type === 'block') {
    putOctal(block, 329, 8, h.devmajor ?? 0);
    putOctal(block, 337, 8, h.devminor ?? 0);
  }
  putString(block, 345, 155, prefix);
  setChecksum(block);
  if (pax.length === 0) return block;

  const records = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
  const xname = paxHeaderName(h.name);
  const xblock = Buffer.alloc(BLOCK);
  putString(xblock, 0, 100, xname);
  putOctal(xblock, 100, 8, 0o644);
  putOctal(xblock, 108, 8, 0);
  putOctal(xblock, 116, 8, 0);
  putOctal(xblock, 124, 12, records.length);
  putOctal(xblock, 136, 12, 0);
  xblock[156] = 'x'.charCodeAt(0);
  xblock.write('ustar\x0000', 257, 8, 'latin1');
  setChecksum(xblock);
  return Buffer.concat([xblock, records, Buffer.alloc(padding(records.length)), block]);
}

function setChecksum(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
}

/** The pax header's own name: informative only ("PaxHeaders/<base>"), kept within 100 bytes. */
function paxHeaderName(name: string): string {
  const base = name.replace(/\/+$/, '').split('/').pop() ?? '';
  return truncateUtf8(`PaxHeaders/${base}`, 100);
}

function truncateUtf8(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--; // do not cut a character in half
  return b.subarray(0, end).toString('utf8');
}

/** pax time: decimal seconds with up to 9 fractional digits. */
export function formatPaxTime(t: number): string {
  if (Number.isInteger(t)) return String(t);
  const s = t.toFixed(9).replace(/0+$/, '');
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

export const padding = (size: number): number => (BLOCK - (size % BLOCK)) % BLOCK;
