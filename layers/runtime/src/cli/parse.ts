// Argument parsing helpers that mirror runc's (units, durations, signal names).
import type { LinuxResources } from '@strata/oci';

/** Go time.ParseDuration subset: 5s, 100ms, 1m30s, 2h. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== s.length || s.length === 0) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return total;
}

/** docker/go-units RAMInBytes as runc update uses it: 64m, 1g, 512k, 100 (bytes), -1. */
export function parseBytes(s: string): number {
  if (s === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(s.trim());
  if (!m) throw new Error(`invalid size ${JSON.stringify(s)}`);
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2].toLowerCase()]);
}

function int(name: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid value for --${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

/** The flags of `runc update` into a LinuxResources (only the given ones). */
export function resourcesFromFlags(o: Record<string, string | undefined>): LinuxResources {
  const r: LinuxResources = {};
  const mem: Record<string, number> = {};
  const cpu: Record<string, number | string> = {};
  if (o.memory !== undefined) mem.limit = parseBytes(o.memory);
  if (o.memoryReservation !== undefined) mem.reservation = parseBytes(o.memoryReservation);
  if (o.memorySwap !== undefined) mem.swap = parseBytes(o.memorySwap);
  if (o.kernelMemory !== undefined) mem.kernel = parseBytes(o.kernelMemory);
  if (o.kernelMemoryTcp !== undefined) mem.kernelTCP = parseBytes(o.kernelMemoryTcp);
  if (o.cpuShare !== undefined) cpu.shares = int('cpu-share', o.cpuShare);
  if (o.cpuPeriod !== undefined) cpu.period = int('cpu-period', o.cpuPeriod);
  if (o.cpuQuota !== undefined) cpu.quota = int('cpu-quota', o.cpuQuota);
  if (o.cpuRtPeriod !== undefined) cpu.realtimePeriod = int('cpu-rt-period', o.cpuRtPeriod);
  if (o.cpuRtRuntime !== undefined) cpu.realtimeRuntime = int('cpu-rt-runtime', o.cpuRtRuntime);
  if (o.cpusetCpus !== undefined) cpu.cpus = o.cpusetCpus;
  if (o.cpusetMems !== undefined) cpu.mems = o.cpusetMems;
  if (Object.keys(mem).length) r.memory = mem;
  if (Object.keys(cpu).length) r.cpu = cpu as LinuxResources['cpu'];
  if (o.pidsLimit !== undefined) r.pids = { limit: int('pids-limit', o.pidsLimit) };
  if (o.blkioWeight !== undefined) r.blockIO = { weight: int('blkio-weight', o.blkioWeight) };
  return r;
}
