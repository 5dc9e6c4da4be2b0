// Mount options of config.md#mounts, turned into mount(2) flags the way mount(8) and runc do:
// an option is either a flag to set ("ro", "nosuid"), a flag to clear ("rw", "suid"), a
// propagation change ("rslave"), "bind"/"rbind", or filesystem data passed through ("size=64k").

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** option -> [clear?, flag] */
const FLAG_OPTIONS: Record<string, [boolean, number]> = {
  ro: [false, MS.RDONLY],
  rw: [true, MS.RDONLY],
  nosuid: [false, MS.NOSUID],
  suid: [true, MS.NOSUID],
  nodev: [false, MS.NODEV],
  dev: [true, MS.NODEV],
  noexec: [false, MS.NOEXEC],
  exec: [true, MS.NOEXEC],
  sync: [false, MS.SYNCHRONOUS],
  async: [true, MS.SYNCHRONOUS],
  dirsync: [false, MS.DIRSYNC],
  remount: [false, MS.REMOUNT],
  mand: [false, MS.MANDLOCK],
  nomand: [true, MS.MANDLOCK],
  noatime: [false, MS.NOATIME],
  atime: [true, MS.NOATIME],
  nodiratime: [false, MS.NODIRATIME],
  diratime: [true, MS.NODIRATIME],
  relatime: [false, MS.RELATIME],
  norelatime: [true, MS.RELATIME],
  strictatime: [false, MS.STRICTATIME],
  nostrictatime: [true, MS.STRICTATIME],
  lazytime: [false, MS.LAZYTIME],
  nolazytime: [true, MS.LAZYTIME],
  silent: [false, MS.SILENT],
  loud: [true, MS.SILENT],
  defaults: [false, 0],
};

export const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Options understood by this runtime (for `features`). */
export const KNOWN_MOUNT_OPTIONS = [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), 'bind', 'rbind'];

export interface ParsedMountOptions {
  /** mount(2) flags for the first mount. */
  flags: number;
  /** Propagation changes, applied with separate mount(2) calls after the mount. */
  propagation: number[];
  bind: boolean;
  recursive: boolean;
  /** Comma-joined filesystem-specific data. */
  data: string;
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const out: ParsedMountOptions = { flags: 0, propagation: [], bind: false, recursive: false, data: '' };
  const data: string[] = [];
  for (const o of options) {
    if (o === 'bind' || o === 'rbind') {
      out.bind = true;
      out.recursive ||= o === 'rbind';
      continue;
    }
    const f = FLAG_OPTIONS[o];
    if (f) {
      out.flags = f[0] ? out.flags & ~f[1] : out.flags | f[1];
      continue;
    }
    const p = PROPAGATION_OPTIONS[o];
    if (p !== undefined) {
      out.propagation.push(p);
      continue;
    }
    // runc's own pseudo-options; we don't implement tmpcopyup (documented in the README).
    if (o === 'tmpcopyup') continue;
    data.push(o);
  }
  out.data = data.join(',');
  return out;
}

/** rootfsPropagation (config-linux.md#rootfs-mount-propagation) -> flags for "/" in the new ns. */
export function rootPropagationFlags(value: string | undefined): number {
  // runc's default is rslave: host mounts still propagate in, nothing propagates out. While the
  // new mount namespace still holds the host's mounts we never make them shared (that would join
  // the host's peer groups) or unbindable (pivot_root needs binds): those values are applied to
  // the container's own "/" after pivot_root (see createPlan.ts).
  if (!value || !['private', 'rprivate', 'slave', 'rslave'].includes(value)) return MS.SLAVE | MS.REC;
  return PROPAGATION_OPTIONS[value];
}

/** The propagation to give the container's "/" after pivot_root, if the config asks for one. */
export function finalRootPropagation(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const p = PROPAGATION_OPTIONS[value];
  if (p === undefined) throw new Error(`unknown rootfsPropagation ${value}`);
  return p;
}
