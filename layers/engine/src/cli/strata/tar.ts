// The tar archives the Engine API moves files in (POSIX ustar + pax headers for long names):
// build contexts and `cp` to a container are packed here; `cp` from a container is unpacked here.
// Small and self-contained so the CLI bundle does not pull in the manager's archive code.
import fs from 'node:fs';
import path from 'node:path';

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  data: Buffer;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, o: { mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname?: string }): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(o.mode & 0o7777, 8), 100);
  h.write(octal(o.uid, 8), 108);
  h.write(octal(o.gid, 8), 116);
  h.write(octal(o.size, 12), 124);
  h.write(octal(Math.floor(o.mtime), 12), 136);
  h.write('        ', 148);
  h.write(o.type, 156);
  h.write((o.linkname ?? '').slice(0, 100), 157);
  h.write('ustar\x0000', 257, 'binary');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** pax record "len key=value\n", where len counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len++;
  return `${len}${body}`;
}

export class TarWriter {
  private parts: Buffer[] = [];

  add(name: string, o: { type: 'file' | 'dir' | 'symlink'; mode: number; uid?: number; gid?: number; mtime?: number; data?: Buffer; linkname?: string }): void {
    const full = o.type === 'dir' && !name.endsWith('/') ? `${name}/` : name;
    const pax: string[] = [];
    if (Buffer.byteLength(full) > 100) pax.push(paxRecord('path', full));
    if (o.linkname && Buffer.byteLength(o.linkname) > 100) pax.push(paxRecord('linkpath', o.linkname));
    const common = { mode: o.mode, uid: o.uid ?? 0, gid: o.gid ?? 0, mtime: o.mtime ?? Date.now() / 1000 };
    if (pax.length) {
      const body = Buffer.from(pax.join(''));
      this.parts.push(header('PaxHeader', { ...common, size: body.length, type: 'x' }), body, pad(body.length));
    }
    const data = o.type === 'file' ? (o.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    this.parts.push(header(full, { ...common, size: data.length, type: o.type === 'file' ? '0' : o.type === 'dir' ? '5' : '2', linkname: o.linkname }), data, pad(data.length));
  }

  /** Add a file, symlink or a directory tree from disk under the archive name `name`. */
  addPath(src: string, name: string, include: (rel: string, isDir: boolean) => boolean = () => true, rel = ''): void {
    const st = fs.lstatSync(src);
    const common = { mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
    if (st.isSymbolicLink()) this.add(name, { ...common, type: 'symlink', linkname: fs.readlinkSync(src) });
    else if (st.isFile()) this.add(name, { ...common, type: 'file', data: fs.readFileSync(src) });
    else if (st.isDirectory()) {
      if (name) this.add(name, { ...common, type: 'dir' });
      for (const child of fs.readdirSync(src).sort()) {
        const childRel = rel ? `${rel}/${child}` : child;
        const isDir = fs.lstatSync(path.join(src, child)).isDirectory();
        if (!include(childRel, isDir)) continue;
        this.addPath(path.join(src, child), name ? `${name}/${child}` : child, include, childRel);
      }
    }
  }

  finish(): Buffer {
    return Buffer.concat([...this.parts, Buffer.alloc(1024)]);
  }
}

const cstr = (b: Buffer, off: number, len: number) => {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? len : z).toString('utf8');
};
const num = (b: Buffer, off: number, len: number) => parseInt(cstr(b, off, len).trim() || '0', 8);

export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = num(h, 124, 12);
    const flag = String.fromCharCode(h[156] || 48);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'x' || flag === 'g') {
      if (flag === 'x') {
        const text = data.toString('utf8');
        for (let i = 0; i < text.length; ) {
          const sp = text.indexOf(' ', i);
          const len = Number(text.slice(i, sp));
          const rec = text.slice(sp + 1, i + len - 1);
          const eq = rec.indexOf('=');
          pax[rec.slice(0, eq)] = rec.slice(eq + 1);
          i += len;
        }
      }
      continue;
    }
    if (flag === 'L') {
      longName = cstr(data, 0, data.length);
      continue;
    }
    if (flag === 'K') {
      longLink = cstr(data, 0, data.length);
      continue;
    }
    const prefix = cstr(h, 345, 155);
    let name = pax.path ?? longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    name = name.replace(/\/$/, '');
    const type = flag === '0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
    out.push({ name, type, mode: num(h, 100, 8), uid: num(h, 108, 8), gid: num(h, 116, 8), mtime: num(h, 136, 12), linkname: pax.linkpath ?? longLink ?? cstr(h, 157, 100), data: Buffer.from(data) });
    pax = {};
    longName = longLink = undefined;
  }
  return out;
}

/**
 * Unpack entries under `dest`, refusing names that climb out of it ("..", absolute paths) and
 * never following a symlink that an earlier entry created (no symlink escapes).
 */
export function extractTar(entries: TarEntry[], dest: string, rename: (name: string) => string = (n) => n): void {
  const root = path.resolve(dest);
  for (const e of entries) {
    const rel = rename(e.name);
    const target = path.resolve(root, rel);
    if (target !== root && !target.startsWith(`${root}/`)) throw new Error(`refusing to extract "${e.name}" outside ${dest}`);
    // No component below root may be a symlink (it could point anywhere).
    let cur = root;
    for (const part of path.relative(root, path.dirname(target)).split('/').filter(Boolean)) {
      cur = path.join(cur, part);
      if (fs.existsSync(cur) && fs.lstatSync(cur).isSymbolicLink()) throw new Error(`refusing to extract "${e.name}" through the symlink ${cur}`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (e.type === 'dir') {
      fs.mkdirSync(target, { recursive: true });
      fs.chmodSync(target, e.mode & 0o7777);
    } else if (e.type === 'file') {
      if (fs.existsSync(target) && fs.lstatSync(target).isSymbolicLink()) fs.unlinkSync(target);
      fs.writeFileSync(target, e.data, { mode: e.mode & 0o7777 });
      fs.chmodSync(target, e.mode & 0o7777);
      fs.utimesSync(target, e.mtime, e.mtime);
    } else if (e.type === 'symlink') {
      fs.rmSync(target, { force: true });
      fs.symlinkSync(e.linkname, target);
    } else if (e.type === 'hardlink') {
      const from = path.resolve(root, rename(e.linkname));
      if (!from.startsWith(`${root}/`)) throw new Error(`refusing hard link "${e.name}" to outside ${dest}`);
      fs.rmSync(target, { force: true });
      fs.linkSync(from, target);
    }
  }
}
