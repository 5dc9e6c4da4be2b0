// Task.Stats: a container's cgroup numbers as containerd's metrics messages
// (io.containerd.cgroups.v1.Metrics or .v2.Metrics, in an Any), which `ctr t metrics`, the CRI
// plugin and docker stats read. The numbers come from @strata/linux's cgroup reader (the same
// one behind `strata-runtime events --stats`); a few files only the metrics carry are read here.
import fs from 'node:fs';
import path from 'node:path';
import type { Cgroup, CgroupStats } from '@strata/linux';
import { MetricsV1Type, MetricsV2Type, packAny, type Any } from './proto';

function kv(file: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = l.trim().split(/\s+/);
      if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
    }
  } catch {
    // controller not there
  }
  return out;
}

const u = (x: number | undefined) => (x === undefined || x < 0 || !Number.isFinite(x) ? 0 : x);

export function metricsAny(cg: Cgroup): Any {
  const stats = cg.stats();
  return cg.layout.version === 2 ? packAny(MetricsV2Type, v2Metrics(stats, cg.dirs()[''])) : packAny(MetricsV1Type, v1Metrics(stats, cg.dirs()['memory']));
}

/** cgroup v1: memory.stat's keys map one to one (pgpgin -> pg_pg_in, ...). */
export function v1Metrics(s: CgroupStats, memoryDir: string | undefined): Record<string, unknown> {
  const r = s.memory.raw;
  const memEntry = (e: CgroupStats['memory']['usage']) => ({ limit: u(e.limit), usage: u(e.usage), max: u(e.max), failcnt: u(e.failcnt) });
  const oom = memoryDir ? kv(path.join(memoryDir, 'memory.oom_control')) : {};
  const blk = (rows: CgroupStats['blkio'][string] | undefined) => (rows ?? []).map((x) => ({ op: x.op, major: x.major, minor: x.minor, value: x.value, device: '' }));
  return {
    pids: { current: u(s.pids.current), limit: u(s.pids.limit) },
    cpu: {
      usage: { total: u(s.cpu.usage.total), kernel: u(s.cpu.usage.kernel), user: u(s.cpu.usage.user), perCpu: s.cpu.usage.percpu ?? [] },
      throttling: { periods: u(s.cpu.throttling.periods), throttledPeriods: u(s.cpu.throttling.throttledPeriods), throttledTime: u(s.cpu.throttling.throttledTime) },
    },
    memory: {
      cache: u(r.cache),
      rss: u(r.rss),
      rssHuge: u(r.rss_huge),
      mappedFile: u(r.mapped_file),
      dirty: u(r.dirty),
      writeback: u(r.writeback),
      pgPgIn: u(r.pgpgin),
      pgPgOut: u(r.pgpgout),
      pgFault: u(r.pgfault),
      pgMajFault: u(r.pgmajfault),
      inactiveAnon: u(r.inactive_anon),
      activeAnon: u(r.active_anon),
      inactiveFile: u(r.inactive_file),
      activeFile: u(r.active_file),
      unevictable: u(r.unevictable),
      hierarchicalMemoryLimit: u(r.hierarchical_memory_limit),
      hierarchicalSwapLimit: u(r.hierarchical_memsw_limit),
      totalCache: u(r.total_cache),
      totalRss: u(r.total_rss),
      totalRssHuge: u(r.total_rss_huge),
      totalMappedFile: u(r.total_mapped_file),
      totalDirty: u(r.total_dirty),
      totalWriteback: u(r.total_writeback),
      totalPgPgIn: u(r.total_pgpgin),
      totalPgPgOut: u(r.total_pgpgout),
      totalPgFault: u(r.total_pgfault),
      totalPgMajFault: u(r.total_pgmajfault),
      totalInactiveAnon: u(r.total_inactive_anon),
      totalActiveAnon: u(r.total_active_anon),
      totalInactiveFile: u(r.total_inactive_file),
      totalActiveFile: u(r.total_active_file),
      totalUnevictable: u(r.total_unevictable),
      usage: memEntry(s.memory.usage),
      swap: memEntry(s.memory.swap),
      kernel: memEntry(s.memory.kernel),
      kernelTcp: memEntry(s.memory.kernelTCP),
    },
    blkio: { ioServiceBytesRecursive: blk(s.blkio.ioServiceBytesRecursive), ioServicedRecursive: blk(s.blkio.ioServicedRecursive) },
    memoryOomControl: { oomKillDisable: u(oom.oom_kill_disable), underOom: u(oom.under_oom), oomKill: u(oom.oom_kill) },
    hugetlb: Object.entries(s.hugetlb).map(([pagesize, h]) => ({ pagesize, usage: u(h.usage), max: u(h.max), failcnt: u(h.failcnt) })),
  };
}

/** cgroup v2: cpu.stat in microseconds, memory.stat keys, memory.events, io.stat. */
export function v2Metrics(s: CgroupStats, dir: string | undefined): Record<string, unknown> {
  const r = s.memory.raw;
  const events = dir ? kv(path.join(dir, 'memory.events')) : {};
  const io: { major: number; minor: number; rbytes: number; wbytes: number; rios: number; wios: number }[] = [];
  if (dir) {
    try {
      for (const line of fs.readFileSync(path.join(dir, 'io.stat'), 'utf8').split('\n').filter(Boolean)) {
        const [dev, ...pairs] = line.split(' ');
        const f = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
        const [major, minor] = dev.split(':').map(Number);
        io.push({ major, minor, rbytes: u(f.rbytes), wbytes: u(f.wbytes), rios: u(f.rios), wios: u(f.wios) });
      }
    } catch {
      // io controller not enabled
    }
  }
  const us = (ns: number | undefined) => Math.floor(u(ns) / 1000);
  return {
    pids: { current: u(s.pids.current), limit: u(s.pids.limit) },
    cpu: {
      usageUsec: us(s.cpu.usage.total),
      userUsec: us(s.cpu.usage.user),
      systemUsec: us(s.cpu.usage.kernel),
      nrPeriods: u(s.cpu.throttling.periods),
      nrThrottled: u(s.cpu.throttling.throttledPeriods),
      throttledUsec: us(s.cpu.throttling.throttledTime),
    },
    memory: {
      anon: u(r.anon),
      file: u(r.file),
      kernelStack: u(r.kernel_stack),
      slab: u(r.slab),
      sock: u(r.sock),
      shmem: u(r.shmem),
      fileMapped: u(r.file_mapped),
      fileDirty: u(r.file_dirty),
      fileWriteback: u(r.file_writeback),
      anonThp: u(r.anon_thp),
      inactiveAnon: u(r.inactive_anon),
      activeAnon: u(r.active_anon),
      inactiveFile: u(r.inactive_file),
      activeFile: u(r.active_file),
      unevictable: u(r.unevictable),
      slabReclaimable: u(r.slab_reclaimable),
      slabUnreclaimable: u(r.slab_unreclaimable),
      pgfault: u(r.pgfault),
      pgmajfault: u(r.pgmajfault),
      workingsetRefault: u(r.workingset_refault ?? r.workingset_refault_file),
      workingsetActivate: u(r.workingset_activate ?? r.workingset_activate_file),
      workingsetNodereclaim: u(r.workingset_nodereclaim),
      pgrefill: u(r.pgrefill),
      pgscan: u(r.pgscan),
      pgsteal: u(r.pgsteal),
      pgactivate: u(r.pgactivate),
      pgdeactivate: u(r.pgdeactivate),
      pglazyfree: u(r.pglazyfree),
      pglazyfreed: u(r.pglazyfreed),
      thpFaultAlloc: u(r.thp_fault_alloc),
      thpCollapseAlloc: u(r.thp_collapse_alloc),
      usage: u(s.memory.usage.usage),
      usageLimit: u(s.memory.usage.limit),
      swapUsage: u(s.memory.swap.usage),
      swapLimit: u(s.memory.swap.limit),
    },
    io: { usage: io },
    memoryEvents: { low: u(events.low), high: u(events.high), max: u(events.max), oom: u(events.oom), oomKill: u(events.oom_kill) },
  };
}
