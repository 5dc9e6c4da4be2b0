// What this host can do, detected (never assumed), so a test that needs something missing is
// skipped with the reason instead of failing the runtime for the host's sake.
import fs from 'node:fs';
import os from 'node:os';
import { readMountInfo } from './mountInfo';

export type CgroupMode = 'v1' | 'hybrid' | 'v2';

export interface HostCapabilities {
  kernel: string;
  cgroupMode: CgroupMode;
  /** v1 controller name -> mount point (cpu, memory, pids, ...). */
  v1Controllers: Record<string, string>;
  /** Where cgroup2 is mounted, if anywhere. */
  v2Mount?: string;
  /** Controllers the cgroup2 root offers (cgroup.controllers). */
  v2Controllers: string[];
  /** capability bits in our bounding set. */
  capSysResource: boolean;
  capSysAdmin: boolean;
  userNamespaces: boolean;
  hugepageSizes: string[];
  /** A block device "major:minor" for blkio/io throttling tests, if any. */
  blockDevice?: string;
}

const CAP_SYS_ADMIN = 21;
const CAP_SYS_RESOURCE = 24;

function hasCap(bit: number): boolean {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return false;
  return ((BigInt(`0x${m[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

export function detectHost(): HostCapabilities {
  const mounts = readMountInfo();
  const v1Controllers: Record<string, string> = {};
  let v2Mount: string | undefined;
  let rootIsV2 = false;
  for (const m of mounts) {
    if (m.fstype === 'cgroup') {
      for (const opt of m.superOptions.split(',')) {
        if (['rw', 'ro'].includes(opt) || opt.startsWith('name=') || opt.startsWith('release_agent')) continue;
        if (opt === 'clone_children' || opt === 'noprefix' || opt === 'xattr') continue;
        v1Controllers[opt] ??= m.mountPoint;
      }
    } else if (m.fstype === 'cgroup2') {
      v2Mount ??= m.mountPoint;
      if (m.mountPoint === '/sys/fs/cgroup') {
        rootIsV2 = true;
        v2Mount = m.mountPoint;
      }
    }
  }
  const v2Controllers = v2Mount ? readWords(`${v2Mount}/cgroup.controllers`) : [];
  const cgroupMode: CgroupMode = rootIsV2 ? 'v2' : v2Mount ? 'hybrid' : 'v1';
  let userNamespaces = false;
  try {
    userNamespaces = Number(fs.readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')) > 0;
  } catch {
    userNamespaces = false;
  }
  let hugepageSizes: string[] = [];
  try {
    hugepageSizes = fs.readdirSync('/sys/kernel/mm/hugepages').map((d) => d.replace(/^hugepages-/, ''));
  } catch {
    hugepageSizes = [];
  }
  return {
    kernel: os.release(),
    cgroupMode,
    v1Controllers,
    v2Mount,
    v2Controllers,
    capSysResource: hasCap(CAP_SYS_RESOURCE),
    capSysAdmin: hasCap(CAP_SYS_ADMIN),
    userNamespaces,
    hugepageSizes,
    blockDevice: findBlockDevice(),
  };
}

function readWords(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/** The first whole disk in /sys/block (not loop/ram), as "major:minor". */
function findBlockDevice(): string | undefined {
  try {
    for (const name of fs.readdirSync('/sys/block').sort()) {
      if (/^(loop|ram|zram|sr)/.test(name)) continue;
      return fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim();
    }
  } catch {
    /* no sysfs block info */
  }
  return undefined;
}

// Requirement helpers used by tests' `requires`: each returns the skip reason or undefined.

/** The tests of cgroup v1 resources need the host to use v1 for that controller. */
export function needsV1(controller: string) {
  return (h: HostCapabilities): string | undefined => {
    if (h.cgroupMode === 'v2') return 'host uses cgroup v2 only (no v1 hierarchies)';
    if (!h.v1Controllers[controller]) return `${controller} cgroup (v1) not mounted`;
    return undefined;
  };
}

/** cgroup v2 resource tests need a unified-only host: on hybrid hosts runtimes use v1. */
export function needsV2(controller: string) {
  return (h: HostCapabilities): string | undefined => {
    if (h.cgroupMode !== 'v2') return h.cgroupMode === 'hybrid' ? 'cgroup v2 not the host hierarchy (hybrid host: cgroup2 only at ' + h.v2Mount + ', runtimes use v1)' : 'cgroup v2 not mounted';
    if (!h.v2Controllers.includes(controller)) return `cgroup v2 controller ${controller} not enabled at the root`;
    return undefined;
  };
}

export const needsCapSysResource = (h: HostCapabilities): string | undefined =>
  h.capSysResource ? undefined : 'CAP_SYS_RESOURCE missing from the bounding set (raising hard rlimits / negative oom_score_adj fail with EPERM)';

export const needsUserNamespaces = (h: HostCapabilities): string | undefined =>
  h.userNamespaces ? undefined : 'user namespaces disabled (max_user_namespaces = 0)';
