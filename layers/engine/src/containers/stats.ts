// GET /containers/{id}/stats (docker stats): docker's StatsJSON, read from the container's
// cgroups (v1: memory, cpuacct and pids hierarchies; v2: one directory) and from
// /proc/<pid>/net/dev of its init (the container's network namespace). With stream=true one
// document per second; precpu_stats is the previous sample, as the CLI computes CPU % from the pair.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectCgroupLayout, processCgroup } from '@strata/linux';
import type { ApiResponse } from '../api/types';
import type { ContainerService } from './service';
import type { ContainerRecord } from './types';

const read = (p: string) => {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const num = (s: string | undefined) => (s === undefined || s === 'max' || s === '' ? undefined : Number(s));
function kv(s: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of (s ?? '').split('\n')) {
    const [k, v] = l.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** Total host CPU time in nanoseconds (/proc/stat "cpu" line, USER_HZ ticks). */
function systemCpuNs(): number {
  const first = (read('/proc/stat') ?? '').split('\n')[0].split(/\s+/).slice(1).map(Number);
  return first.slice(0, 8).reduce((a, b) => a + b, 0) * 1e7;
}

function networks(pid: number): Record<string, object> {
  const out: Record<string, object> = {};
  for (const l of (read(`/proc/${pid}/net/dev`) ?? '').split('\n').slice(2)) {
    const [name, rest] = l.split(':');
    if (!rest || name.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    out[name.trim()] = { rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3], tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11] };
  }
  return out;
}

export function sample(c: ContainerRecord): any {
  const pid = c.State.Pid;
  const layout = detectCgroupLayout();
  const online = os.cpus().length;
  let cpu = { total: 0, user: 0, kernel: 0, percpu: [] as number[], throttling: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  let mem = { usage: 0, limit: os.totalmem(), stats: {} as Record<string, number>, max_usage: undefined as number | undefined, failcnt: undefined as number | undefined };
  let pids = { current: 0, limit: undefined as number | undefined };
  if (pid > 0 && fs.existsSync(`/proc/${pid}`)) {
    if (layout.version === 2) {
      const dir = path.join(layout.unified!, processCgroup(pid, layout));
      const st = kv(read(path.join(dir, 'cpu.stat')));
      cpu = { total: (st.usage_usec ?? 0) * 1000, user: (st.user_usec ?? 0) * 1000, kernel: (st.system_usec ?? 0) * 1000, percpu: [], throttling: { periods: st.nr_periods ?? 0, throttled_periods: st.nr_throttled ?? 0, throttled_time: (st.throttled_usec ?? 0) * 1000 } };
      mem = { usage: num(read(path.join(dir, 'memory.current'))) ?? 0, limit: num(read(path.join(dir, 'memory.max'))) ?? os.totalmem(), stats: kv(read(path.join(dir, 'memory.stat'))), max_usage: undefined, failcnt: undefined };
      pids = { current: num(read(path.join(dir, 'pids.current'))) ?? 0, limit: num(read(path.join(dir, 'pids.max'))) };
    } else {
      const dirOf = (ctrl: string) => (layout.mounts[ctrl] ? path.join(layout.mounts[ctrl], processCgroup(pid, layout, ctrl)) : undefined);
      const acct = dirOf('cpuacct');
      const ticks = kv(read(`${acct}/cpuacct.stat`));
      const thr = kv(read(`${dirOf('cpu')}/cpu.stat`));
      cpu = {
        total: num(read(`${acct}/cpuacct.usage`)) ?? 0,
        user: (ticks.user ?? 0) * 1e7,
        kernel: (ticks.system ?? 0) * 1e7,
        percpu: (read(`${acct}/cpuacct.usage_percpu`) ?? '').split(/\s+/).filter(Boolean).map(Number),
        throttling: { periods: thr.nr_periods ?? 0, throttled_periods: thr.nr_throttled ?? 0, throttled_time: thr.throttled_time ?? 0 },
      };
      const m = dirOf('memory');
      const limit = num(read(`${m}/memory.limit_in_bytes`)) ?? os.totalmem();
      mem = { usage: num(read(`${m}/memory.usage_in_bytes`)) ?? 0, limit: Math.min(limit, os.totalmem()), stats: kv(read(`${m}/memory.stat`)), max_usage: num(read(`${m}/memory.max_usage_in_bytes`)), failcnt: num(read(`${m}/memory.failcnt`)) };
      const p = dirOf('pids');
      pids = { current: num(read(`${p}/pids.current`)) ?? 0, limit: num(read(`${p}/pids.max`)) };
    }
  }
  return {
    read: new Date().toISOString(),
    preread: '0001-01-01T00:00:00Z',
    pids_stats: pids.limit !== undefined ? pids : { current: pids.current },
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: {
      cpu_usage: { total_usage: cpu.total, ...(cpu.percpu.length ? { percpu_usage: cpu.percpu } : {}), usage_in_kernelmode: cpu.kernel, usage_in_usermode: cpu.user },
      system_cpu_usage: systemCpuNs(),
      online_cpus: online,
      throttling_data: cpu.throttling,
    },
    memory_stats: pid > 0 ? { usage: mem.usage, ...(mem.max_usage !== undefined ? { max_usage: mem.max_usage } : {}), stats: mem.stats, ...(mem.failcnt !== undefined ? { failcnt: mem.failcnt } : {}), limit: mem.limit } : {},
    name: c.Name,
    id: c.Id,
    networks: pid > 0 ? networks(pid) : undefined,
  };
}

export async function containerStats(_svc: ContainerService, c: ContainerRecord, res: ApiResponse, o: { stream: boolean; oneShot: boolean; isClosed: () => boolean }): Promise<void> {
  const zeroPre = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  if (!o.stream) {
    // one document; unless one-shot, it carries a previous sample taken a second earlier (docker's behaviour)
    let pre: any = undefined;
    if (!o.oneShot && c.State.Running) {
      pre = sample(c);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const s = sample(c);
    return res.json(200, { ...s, precpu_stats: pre ? pre.cpu_stats : zeroPre, preread: pre ? pre.read : s.preread });
  }
  const out = res.stream(200, 'application/json');
  let pre: any;
  for (let i = 0; i < 24 * 3600 && !o.isClosed(); i++) {
    const s = sample(c);
    out.write(`${JSON.stringify({ ...s, precpu_stats: pre ? pre.cpu_stats : zeroPre, preread: pre ? pre.read : s.preread })}\n`);
    pre = s;
    if (!c.State.Running) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  out.end();
}
