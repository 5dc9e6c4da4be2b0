// Cgroup statistics in the JSON shape of runc's `events --stats` (runc types/events.go), which
// the containerd shim converts into containerd's metrics.
import fs from 'node:fs';
import path from 'node:path';
import type { CgroupLayout } from './layout';

export interface CgroupStats {
  cpu: { usage: { total?: number; percpu?: number[]; kernel: number; user: number }; throttling: { periods?: number; throttledPeriods?: number; throttledTime?: number } };
  memory: { cache?: number; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw: Record<string, number> };
  pids: { current?: number; limit?: number };
  blkio: Record<string, { major: number; minor: number; op: string; value: number }[]>;
  hugetlb: Record<string, { usage?: number; max?: number; failcnt: number }>;
}
interface MemoryEntry {
  limit: number;
  usage?: number;
  max?: number;
  failcnt: number;
}

function read(dir: string | undefined, file: string): string | undefined {
  if (!dir) return undefined;
  try {
    return fs.readFileSync(path.join(dir, file), 'utf8').trim();
  } catch {
    return undefined;
  }
}
const n = (s: string | undefined) => (s === undefined || s === 'max' ? undefined : Number(s));
function kv(s: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of (s ?? '').split('\n')) {
    const [k, v] = l.split(' ');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

export function readStats(layout: CgroupLayout, dirOf: (controller: string) => string | undefined): CgroupStats {
  return layout.version === 2 ? v2Stats(dirOf('')) : v1Stats(dirOf);
}

function v1Stats(dirOf: (c: string) => string | undefined): CgroupStats {
  const cpuacct = dirOf('cpuacct');
  const cpu = dirOf('cpu');
  const mem = dirOf('memory');
  const ticks = kv(read(cpuacct, 'cpuacct.stat'));
  const tick = 1e9 / 100; // USER_HZ: cpuacct.stat counts 1/100 s
  const thr = kv(read(cpu, 'cpu.stat'));
  const entry = (prefix: string): MemoryEntry => ({
    limit: n(read(mem, `${prefix}limit_in_bytes`)) ?? 0,
    usage: n(read(mem, `${prefix}usage_in_bytes`)),
    max: n(read(mem, `${prefix}max_usage_in_bytes`)),
    failcnt: n(read(mem, `${prefix}failcnt`)) ?? 0,
  });
  const raw = kv(read(mem, 'memory.stat'));
  const blkio: CgroupStats['blkio'] = {};
  const blk = dirOf('blkio');
  for (const [key, file] of [
    ['ioServiceBytesRecursive', 'blkio.throttle.io_service_bytes_recursive'],
    ['ioServicedRecursive', 'blkio.throttle.io_serviced_recursive'],
  ]) {
    const rows = (read(blk, file) ?? '').split('\n').map((l) => l.split(' ')).filter((f) => f.length === 3);
    blkio[key] = rows.map(([dev, op, v]) => ({ major: Number(dev.split(':')[0]), minor: Number(dev.split(':')[1]), op, value: Number(v) }));
  }
  return {
    cpu: {
      usage: {
        total: n(read(cpuacct, 'cpuacct.usage')),
        percpu: (read(cpuacct, 'cpuacct.usage_percpu') ?? '').split(/\s+/).filter(Boolean).map(Number),
        kernel: (ticks.system ?? 0) * tick,
        user: (ticks.user ?? 0) * tick,
      },
      throttling: { periods: thr.nr_periods, throttledPeriods: thr.nr_throttled, throttledTime: thr.throttled_time },
    },
    memory: { cache: raw.cache, usage: entry('memory.'), swap: entry('memory.memsw.'), kernel: entry('memory.kmem.'), kernelTCP: entry('memory.kmem.tcp.'), raw },
    pids: { current: n(read(dirOf('pids'), 'pids.current')), limit: n(read(dirOf('pids'), 'pids.max')) ?? 0 },
    blkio,
    hugetlb: {},
  };
}

function v2Stats(dir: string | undefined): CgroupStats {
  const cpu = kv(read(dir, 'cpu.stat'));
  const raw = kv(read(dir, 'memory.stat'));
  const events = kv(read(dir, 'memory.events'));
  return {
    cpu: {
      usage: { total: (cpu.usage_usec ?? 0) * 1000, kernel: (cpu.system_usec ?? 0) * 1000, user: (cpu.user_usec ?? 0) * 1000 },
      throttling: { periods: cpu.nr_periods, throttledPeriods: cpu.nr_throttled, throttledTime: cpu.throttled_usec !== undefined ? cpu.throttled_usec * 1000 : undefined },
    },
    memory: {
      cache: raw.file,
      usage: { limit: n(read(dir, 'memory.max')) ?? 0, usage: n(read(dir, 'memory.current')), max: n(read(dir, 'memory.peak')), failcnt: events.max ?? 0 },
      swap: { limit: n(read(dir, 'memory.swap.max')) ?? 0, usage: n(read(dir, 'memory.swap.current')), failcnt: 0 },
      kernel: { limit: 0, usage: raw.kernel, failcnt: 0 },
      kernelTCP: { limit: 0, usage: raw.sock, failcnt: 0 },
      raw,
    },
    pids: { current: n(read(dir, 'pids.current')), limit: n(read(dir, 'pids.max')) ?? 0 },
    blkio: v2Blkio(read(dir, 'io.stat')),
    hugetlb: {},
  };
}

/**
 * io.stat ("MAJ:MIN rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=..", one line per device
 * with I/O) in the shape of the v1 blkio.throttle.io_service*_recursive entries.
 */
export function v2Blkio(text: string | undefined): CgroupStats['blkio'] {
  const bytes: CgroupStats['blkio'][string] = [];
  const ios: CgroupStats['blkio'][string] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const [major, minor] = [Number(m[1]), Number(m[2])];
    const f = Object.fromEntries(pairs.map((p) => p.split('=')).filter((kv) => kv.length === 2).map(([k, v]) => [k, Number(v)]));
    for (const [op, b, i] of [['Read', 'rbytes', 'rios'], ['Write', 'wbytes', 'wios'], ['Discard', 'dbytes', 'dios']] as const) {
      if (f[b] !== undefined) bytes.push({ major, minor, op, value: f[b] });
      if (f[i] !== undefined) ios.push({ major, minor, op, value: f[i] });
    }
  }
  return { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
}
