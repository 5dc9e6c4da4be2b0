// The OCI runtime spec a client writes for a container made from an image, as containerd's
// client does (oci/spec.go populateDefaultUnixSpec + oci.WithImageConfig): the runc defaults,
// then containerd's changes (its capability set, rlimits left to the host, cgroups path
// /<namespace>/<id>), then the image config (Env, Entrypoint+Cmd, WorkingDir, User).
import { defaultSpec, type Spec } from '@strata/oci';
import { invalid } from '../errors';

/** containerd's default capability set (oci/spec.go defaultUnixCaps). */
export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** image-spec config.md: the parts of an image config a container uses. */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ExposedPorts?: Record<string, object>;
}

export interface SpecOptions {
  namespace: string;
  id: string;
  image?: ImageConfig;
  /** Replaces the image's Cmd (and Entrypoint when `entrypoint` is set). */
  args?: string[];
  entrypoint?: string[];
  env?: string[];
  cwd?: string;
  user?: string;
  terminal?: boolean;
  hostname?: string;
  readonlyRootfs?: boolean;
  /** Host network namespace (ctr run --net-host). */
  hostNetwork?: boolean;
  /** e.g. {source, destination, options} bind mounts (ctr run --mount). */
  mounts?: { source: string; destination: string; type?: string; options?: string[] }[];
  memoryLimit?: number;
  cpus?: number;
  pidsLimit?: number;
  /** Resolve a user name to uid/gid (reads /etc/passwd in the rootfs when the caller can). */
  lookupUser?: (name: string) => { uid: number; gid: number } | undefined;
}

export function containerSpec(o: SpecOptions): Spec {
  const s = defaultSpec({ terminal: !!o.terminal });
  const p = s.process!;
  p.capabilities = { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] };
  delete p.rlimits; // containerd leaves rlimits to the host defaults
  p.noNewPrivileges = false;
  s.root = { path: 'rootfs', readonly: !!o.readonlyRootfs };
  s.hostname = o.hostname ?? '';
  if (!s.hostname) delete s.hostname;
  s.linux!.cgroupsPath = `/${o.namespace}/${o.id}`;
  // containerd's default mounts: /run as tmpfs too (no /sys/fs/cgroup rw; the cgroup mount stays ro).
  s.mounts!.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] });
  if (o.hostNetwork) s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');

  // image config, then the caller's overrides
  const img = o.image ?? {};
  const env = new Map<string, string>();
  for (const e of [...(p.env ?? []).filter((x) => x.startsWith('PATH=')), ...(img.Env ?? []), ...(o.env ?? [])]) {
    const i = e.indexOf('=');
    env.set(i < 0 ? e : e.slice(0, i), e);
  }
  if (o.terminal && !env.has('TERM')) env.set('TERM', 'TERM=xterm');
  p.env = [...env.values()];
  const entrypoint = o.entrypoint ?? img.Entrypoint ?? [];
  const cmd = o.args?.length ? o.args : (o.entrypoint ? [] : (img.Cmd ?? []));
  p.args = [...entrypoint, ...cmd];
  if (p.args.length === 0) throw invalid('args', 'no command: the image has no Entrypoint or Cmd; give one');
  p.cwd = o.cwd || img.WorkingDir || '/';
  const user = o.user ?? img.User ?? '';
  if (user) p.user = resolveUser(user, o.lookupUser);
  for (const m of o.mounts ?? []) s.mounts!.push({ destination: m.destination, type: m.type ?? 'bind', source: m.source, options: m.options ?? ['rbind', 'rw'] });
  const res = (s.linux!.resources ??= {});
  if (o.memoryLimit) res.memory = { limit: o.memoryLimit };
  if (o.cpus) res.cpu = { quota: Math.round(o.cpus * 100_000), period: 100_000 };
  if (o.pidsLimit) res.pids = { limit: o.pidsLimit };
  return s;
}

/** "uid", "uid:gid", "name" or "name:group" (names need lookupUser). */
function resolveUser(user: string, lookup?: SpecOptions['lookupUser']): { uid: number; gid: number } {
  const [u, g] = user.split(':');
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const found = lookup?.(u);
    if (!found) throw invalid('user', `cannot resolve user ${JSON.stringify(u)} (give a numeric uid)`);
    uid = found.uid;
    gid = found.gid;
  }
  if (g !== undefined) {
    if (!/^\d+$/.test(g)) throw invalid('user', `group ${JSON.stringify(g)} must be numeric`);
    gid = Number(g);
  }
  return { uid, gid };
}
