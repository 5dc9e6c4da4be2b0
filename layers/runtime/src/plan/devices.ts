// /dev inside the container: config-linux.md#default-devices (null, zero, full, random, urandom,
// tty, plus the /dev/fd & std* symlinks and /dev/ptmx) and linux.devices.
import type { Spec, LinuxDevice, LinuxDeviceCgroup } from '@strata/oci';
import type { InitOp } from '@strata/linux';
import { RuntimeError } from '../errors';
import { MS } from './mountOptions';
import { hostId } from './namespaces';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** The devices every Linux container gets (config-linux.md#default-devices). */
export const DEFAULT_DEVICES: LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

/**
 * Device cgroup rules runc always adds after the config's own (so a config that denies "a" still
 * gets working /dev/null, ptys and mknod): the default devices, /dev/console, ptys and tun.
 */
export const DEFAULT_DEVICE_RULES: LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...DEFAULT_DEVICES.map((d) => ({ allow: true, type: 'c', major: d.major, minor: d.minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

/** makedev(3) for the 64-bit dev_t of glibc. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

function typeBits(d: LinuxDevice, pointer: string): number {
  switch (d.type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      throw new RuntimeError('INVALID_CONFIG', `config.json ${pointer}/type: must be one of c, b, u, p (got ${JSON.stringify(d.type)})`, { pointer: `${pointer}/type` });
  }
}

/** The full device list: defaults first, then linux.devices (a config entry replaces a default). */
export function allDevices(spec: Spec): { device: LinuxDevice; pointer: string }[] {
  const configured = (spec.linux?.devices ?? []).map((device, i) => ({ device, pointer: `/linux/devices/${i}` }));
  const paths = new Set(configured.map((c) => c.device.path));
  const defaults = DEFAULT_DEVICES.filter((d) => !paths.has(d.path)).map((device) => ({ device, pointer: '(default device)' }));
  return [...defaults, ...configured];
}

/**
 * Cgroup device rules: the config's own, then runc's default allowances. A node listed in
 * linux.devices is created but *not* implicitly allowed: config-linux.md#allowed-device-list is
 * the only allow list (runc 1.1 behaves the same; the conformance suite checks it).
 */
export function deviceRules(spec: Spec): LinuxDeviceCgroup[] {
  return [...(spec.linux?.resources?.devices ?? []), ...DEFAULT_DEVICE_RULES];
}

export function deviceOps(spec: Spec, userNs: boolean, procMounted: boolean, devpts: boolean): InitOp[] {
  const ops: InitOp[] = [];
  const uidMaps = spec.linux?.uidMappings;
  const gidMaps = spec.linux?.gidMappings;
  for (const { device: d, pointer } of allDevices(spec)) {
    const bits = typeBits(d, pointer);
    if (userNs) {
      // user_namespaces(7): mknod is not allowed in a user namespace; bind the host's node.
      ops.push({ op: 'mount-in-root', args: [d.path, d.path, '', MS.BIND, '', 'file'], why: `bind host ${d.path} (no mknod in a user ns)` });
      continue;
    }
    const mode = (d.fileMode ?? 0o666) & 0o7777;
    ops.push({
      op: 'mknod-in-root',
      args: [d.path, bits | mode, makedev(d.major ?? 0, d.minor ?? 0), hostId(uidMaps, d.uid ?? 0), hostId(gidMaps, d.gid ?? 0)],
      why: `${d.type} ${d.major ?? 0}:${d.minor ?? 0}`,
    });
  }
  // The standard symlinks every program expects (runc's setupDevSymlinks).
  const links: [string, string][] = [
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
  ];
  if (procMounted) links.push(['/proc/kcore', '/dev/core']);
  for (const [target, link] of links) ops.push({ op: 'symlink-in-root', args: [target, link] });
  if (devpts) {
    // devpts(5): with newinstance semantics /dev/ptmx must point into this container's devpts.
    ops.push({ op: 'symlink-in-root', args: ['pts/ptmx', '/dev/ptmx'], why: 'ptys from our own devpts instance' });
  }
  return ops;
}
