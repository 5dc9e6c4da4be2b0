// linux.namespaces (config-linux.md#namespaces): which namespaces are new (clone flags) and which
// are joined by path (setns, in an order that keeps permissions working).
import type { Spec, LinuxNamespace } from '@strata/oci';
import { RuntimeError } from '../errors';

export const CLONE = {
  NEWTIME: 0x80,
  NEWNS: 0x20000,
  NEWCGROUP: 0x2000000,
  NEWUTS: 0x4000000,
  NEWIPC: 0x8000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

/** spec namespace type -> clone flag and the /proc/<pid>/ns/<name> file. */
export const NAMESPACES: Record<string, { flag: number; proc: string }> = {
  pid: { flag: CLONE.NEWPID, proc: 'pid' },
  network: { flag: CLONE.NEWNET, proc: 'net' },
  mount: { flag: CLONE.NEWNS, proc: 'mnt' },
  ipc: { flag: CLONE.NEWIPC, proc: 'ipc' },
  uts: { flag: CLONE.NEWUTS, proc: 'uts' },
  user: { flag: CLONE.NEWUSER, proc: 'user' },
  cgroup: { flag: CLONE.NEWCGROUP, proc: 'cgroup' },
  time: { flag: CLONE.NEWTIME, proc: 'time' },
};

/**
 * setns order: the user namespace first (it grants the capabilities needed for the others),
 * the mount namespace last (joining it changes our root, so later /proc paths would resolve
 * inside the container).
 */
const JOIN_ORDER = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface NamespacePlan {
  /** Flags for clone(2) (without NEWTIME, which clone cannot take). */
  cloneFlags: number;
  /** A new time namespace: unshare(CLONE_NEWTIME) in the parent before clone. */
  newTime: boolean;
  /** Namespaces to join, in JOIN_ORDER. */
  join: { type: string; path: string; flag: number }[];
  has(type: string): boolean;
  isNew(type: string): boolean;
}

export function planNamespaces(spec: Spec): NamespacePlan {
  const list: LinuxNamespace[] = spec.linux?.namespaces ?? [];
  let cloneFlags = 0;
  let newTime = false;
  const join: NamespacePlan['join'] = [];
  list.forEach((ns, i) => {
    const info = NAMESPACES[ns.type];
    if (!info) throw new RuntimeError('INVALID_CONFIG', `config.json /linux/namespaces/${i}/type: unknown namespace type "${ns.type}"`, { pointer: `/linux/namespaces/${i}/type` });
    if (ns.path) join.push({ type: ns.type, path: ns.path, flag: info.flag });
    else if (info.flag === CLONE.NEWTIME) newTime = true;
    else cloneFlags |= info.flag;
  });
  join.sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
  const types = new Set<string>(list.map((n) => n.type));
  const fresh = new Set<string>(list.filter((n) => !n.path).map((n) => n.type));
  return { cloneFlags, newTime, join, has: (t) => types.has(t), isNew: (t) => fresh.has(t) };
}

/** "inside outside count" lines for /proc/<pid>/uid_map (user_namespaces(7)). */
export function idMapText(maps: { containerID: number; hostID: number; size: number }[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}`).join('\n');
}

/** Map a container uid to the host (for chown of device nodes and the pty). */
export function hostId(maps: { containerID: number; hostID: number; size: number }[] | undefined, id: number): number {
  if (!maps || maps.length === 0) return id;
  for (const m of maps) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return 65534;
}
