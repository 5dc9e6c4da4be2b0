// ContainerStats / PodSandboxStats from the cgroup files (the numbers cAdvisor and containerd's
// CRI report): CPU time used (cpuacct.usage / cpu.stat usage_usec), a rate in nano-cores from two
// samples, memory usage and the "working set" (usage minus inactive file pages, what the kubelet
// evicts on), page faults; cgroup v1 and v2 are detected, never assumed. Network numbers come
// from the pod's netns (/proc/<pause pid>/net/dev).
import fs from 'node:fs';
import { Cgroup, detectCgroupLayout, resolveCgroupsPath } from '@strata/linux';
import type { CpuUsage, MemoryUsage, NetworkInterfaceUsage } from './types';

export interface CgroupSample {
  cpu: CpuUsage;
  memory: MemoryUsage;
  pids: number;
  oomKills: number;
}

const prev = new Map<string, { t: number; usage: number }>();

export function cgroupOf(cgroupsPath: string, id: string): Cgroup {
  return Cgroup.open(resolveCgroupsPath(cgroupsPath, id), detectCgroupLayout());
}

export function sampleCgroup(cgroupsPath: string, id: string): CgroupSample | undefined {
  const cg = cgroupOf(cgroupsPath, id);
  if (!cg.exists()) return undefined;
  const t = Date.now() * 1_000_000;
  const s = cg.stats();
  const usage = s.cpu.usage.total ?? 0;
  const cpu: CpuUsage = { timestamp: t, usageCoreNanoSeconds: { value: usage } };
  const last = prev.get(cgroupsPath);
  if (last && t > last.t && usage >= last.usage) cpu.usageNanoCores = { value: Math.round(((usage - last.usage) / (t - last.t)) * 1e9) };
  prev.set(cgroupsPath, { t, usage });
  const raw = s.memory.raw;
  const v2 = cg.layout.version === 2;
  const used = s.memory.usage.usage ?? 0;
  const inactiveFile = (v2 ? raw.inactive_file : raw.total_inactive_file) ?? 0;
  const limit = s.memory.usage.limit;
  const memory: MemoryUsage = {
    timestamp: t,
    usageBytes: { value: used },
    workingSetBytes: { value: Math.max(0, used - inactiveFile) },
    rssBytes: { value: (v2 ? raw.anon : raw.total_rss) ?? 0 },
    pageFaults: { value: (v2 ? raw.pgfault : raw.total_pgfault) ?? 0 },
    majorPageFaults: { value: (v2 ? raw.pgmajfault : raw.total_pgmajfault) ?? 0 },
  };
  // "no limit" reads as a huge number (v1) or max (v2): report available bytes only under a real limit
  if (limit && limit > 0 && limit < 2 ** 60) memory.availableBytes = { value: Math.max(0, limit - Math.max(0, used - inactiveFile)) };
  let oomKills = 0;
  try {
    oomKills = cg.oomKillCount();
  } catch {
    // no memory controller files
  }
  return { cpu, memory, pids: s.pids.current ?? 0, oomKills };
}

export function forgetSample(cgroupsPath: string): void {
  prev.delete(cgroupsPath);
}

/** /proc/<pid>/net/dev: the interfaces of the process's network namespace. */
export function netDev(pid: number): NetworkInterfaceUsage[] {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/net/dev`, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(2)
    .filter((l) => l.includes(':'))
    .map((l) => {
      const [name, rest] = l.split(':');
      const f = rest.trim().split(/\s+/).map(Number);
      return { name: name.trim(), rxBytes: { value: f[0] }, rxErrors: { value: f[2] }, txBytes: { value: f[8] }, txErrors: { value: f[10] } };
    })
    .filter((i) => i.name !== 'lo');
}
