// The OCI spec of a docker container, as dockerd builds it (moby's daemon/oci_linux.go on top of
// oci/defaults.go): containerd's client defaults (the same 14 capabilities, masked and read-only
// /proc and /sys paths, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys read-only, cgroup read-only),
// then docker's changes: the hostname is the first 12 characters of the id, /etc/hosts,
// /etc/resolv.conf and /etc/hostname are bind mounts of files the engine wrote, binds and
// volumes, resources from HostConfig, capabilities added and dropped, privileged mode, the
// network namespace prepared by the network controller.
import type { Spec } from '@strata/oci';
import { containerSpec, DEFAULT_CAPS, type SpecImageConfig } from '@strata/manager';
import { invalidParam } from '../errors';
import type { ContainerRecord } from './types';

/** Every capability (for --privileged and "ALL" in --cap-add). */
export const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" -> "CAP_NET_ADMIN"; unknown names are a 400 naming the flag. */
export function normalizeCap(c: string, field: string): string {
  const up = c.toUpperCase();
  if (up === 'ALL') return 'ALL';
  const name = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!ALL_CAPS.includes(name)) throw invalidParam(`invalid ${field}: unknown capability: "${c}"`);
  return name;
}

export function capabilitySet(privileged: boolean, add: string[] = [], drop: string[] = []): string[] {
  if (privileged) return [...ALL_CAPS];
  const adds = add.map((c) => normalizeCap(c, 'CapAdd'));
  const drops = drop.map((c) => normalizeCap(c, 'CapDrop'));
  let caps = adds.includes('ALL') ? [...ALL_CAPS] : [...DEFAULT_CAPS];
  if (drops.includes('ALL')) caps = [];
  caps = caps.filter((c) => !drops.includes(c));
  for (const c of adds) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  return caps;
}

export interface SpecInputs {
  c: ContainerRecord;
  image: SpecImageConfig;
  namespace: string;
  user?: { uid: number; gid: number; additionalGids: number[] };
  netnsPath?: string;
  hostNetwork: boolean;
  /** Bind mounts resolved from Binds, Mounts and volumes: host source -> container destination. */
  mounts: { source: string; destination: string; type?: string; options: string[] }[];
  etc?: { hosts: string; resolvConf: string; hostname: string };
  /** --init: the host's init binary (tini), bind-mounted at /sbin/docker-init and run as PID 1. */
  initBinary?: string;
}

/** Where docker puts its init in the container, and the binaries we accept for it (Debian's tini). */
export const INIT_PATH = '/sbin/docker-init';
export const INIT_CANDIDATES = ['/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/bin/tini'];

export function dockerSpec(i: SpecInputs): Spec {
  const { c } = i;
  const cfg = c.Config;
  const hc = c.HostConfig;
  const spec = containerSpec({
    namespace: i.namespace,
    id: c.Id,
    image: i.image,
    args: [c.Path, ...c.Args].filter((x, idx) => idx > 0 || x !== ''),
    entrypoint: [],
    env: cfg.Env ?? [],
    cwd: cfg.WorkingDir || '/',
    terminal: !!cfg.Tty,
    hostname: cfg.Hostname || c.Id.slice(0, 12),
    readonlyRootfs: !!hc.ReadonlyRootfs,
    hostNetwork: i.hostNetwork,
    user: '0',
  });
  const p = spec.process!;
  // containerSpec put the image's Env first; docker's order is the same (image, then -e).
  p.user = i.user ? { uid: i.user.uid, gid: i.user.gid, additionalGids: i.user.additionalGids.length ? i.user.additionalGids : undefined } : { uid: 0, gid: 0 };
  if (!p.user.additionalGids) delete p.user.additionalGids;
  if (!p.env!.some((e) => e.startsWith('HOSTNAME='))) p.env!.unshift(`HOSTNAME=${spec.hostname}`);
  const caps = capabilitySet(!!hc.Privileged, hc.CapAdd ?? [], hc.CapDrop ?? []);
  p.capabilities = { bounding: caps, effective: caps, permitted: caps };
  p.noNewPrivileges = false;
  if (cfg.Domainname) spec.domainname = cfg.Domainname;

  // docker's /run is not a tmpfs (containerd's client adds one): the image's /run shows.
  spec.mounts = spec.mounts!.filter((m) => m.destination !== '/run');
  const shm = spec.mounts.find((m) => m.destination === '/dev/shm');
  if (shm) shm.options = ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${hc.ShmSize || 64 * 1024 * 1024}`];
  if (hc.Privileged) {
    const sys = spec.mounts.find((m) => m.destination === '/sys');
    if (sys) sys.options = sys.options?.filter((o) => o !== 'ro');
    spec.linux!.maskedPaths = [];
    spec.linux!.readonlyPaths = [];
    spec.linux!.resources = { ...(spec.linux!.resources ?? {}), devices: [{ allow: true, access: 'rwm' }] };
  }
  if (i.etc) {
    spec.mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: i.etc.resolvConf, options: ['rbind', 'rprivate'] });
    spec.mounts.push({ destination: '/etc/hostname', type: 'bind', source: i.etc.hostname, options: ['rbind', 'rprivate'] });
    spec.mounts.push({ destination: '/etc/hosts', type: 'bind', source: i.etc.hosts, options: ['rbind', 'rprivate'] });
  }
  if (i.initBinary) {
    spec.mounts.push({ destination: INIT_PATH, type: 'bind', source: i.initBinary, options: ['bind', 'ro'] });
    p.args = [INIT_PATH, '--', ...p.args!];
  }
  for (const m of i.mounts) spec.mounts.push({ destination: m.destination, type: m.type ?? 'bind', source: m.source, options: m.options });

  if (i.netnsPath && !i.hostNetwork) {
    spec.linux!.namespaces = spec.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: i.netnsPath } : n));
  }

  const res = (spec.linux!.resources ??= {});
  if (hc.Memory) {
    res.memory = { limit: hc.Memory };
    // docker: MemorySwap 0 means "twice the memory"; -1 unlimited
    if (hc.MemorySwap && hc.MemorySwap > 0) res.memory.swap = hc.MemorySwap;
    else if (!hc.MemorySwap) res.memory.swap = hc.Memory * 2;
  }
  const cpu: NonNullable<typeof res.cpu> = {};
  if (hc.NanoCpus) {
    cpu.period = 100_000;
    cpu.quota = Math.round((hc.NanoCpus / 1e9) * 100_000);
  }
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (Object.keys(cpu).length) res.cpu = cpu;
  else delete res.cpu;
  if (hc.PidsLimit && hc.PidsLimit > 0) res.pids = { limit: hc.PidsLimit };
  spec.linux!.cgroupsPath = `/${i.namespace}/${c.Id}`;
  return spec;
}
