// The resource part of runtime-spec config-linux.md#control-groups, structurally typed here so
// layers/linux does not depend on layers/oci (the OCI types are compatible with it).
export interface WeightDevice { major: number; minor: number; weight?: number; leafWeight?: number }
export interface ThrottleDevice { major: number; minor: number; rate: number }
export interface DeviceRule { allow: boolean; type?: string; major?: number | null; minor?: number | null; access?: string }

export interface CgroupResources {
  memory?: { limit?: number; reservation?: number; swap?: number; kernel?: number; kernelTCP?: number; swappiness?: number; disableOOMKiller?: boolean; useHierarchy?: boolean; checkBeforeUpdate?: boolean };
  cpu?: { shares?: number; quota?: number; burst?: number; period?: number; realtimeRuntime?: number; realtimePeriod?: number; cpus?: string; mems?: string; idle?: number };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    leafWeight?: number;
    weightDevice?: WeightDevice[];
    throttleReadBpsDevice?: ThrottleDevice[];
    throttleWriteBpsDevice?: ThrottleDevice[];
    throttleReadIOPSDevice?: ThrottleDevice[];
    throttleWriteIOPSDevice?: ThrottleDevice[];
  };
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  devices?: DeviceRule[];
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  unified?: Record<string, string>;
}

/** One write: which file, what value, and which config field it comes from. */
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
  pointer: string;
}

const P = '/linux/resources';
const num = (v: number) => String(v);

function deviceLine(r: DeviceRule): string {
  const t = r.type ?? 'a';
  if (t === 'a') return 'a';
  const major = r.major === undefined || r.major === null || r.major < 0 ? '*' : String(r.major);
  const minor = r.minor === undefined || r.minor === null || r.minor < 0 ? '*' : String(r.minor);
  return `${t} ${major}:${minor} ${r.access ?? 'rwm'}`;
}

/** cgroup v1 files (kernel Documentation/admin-guide/cgroup-v1/). */
export function v1Writes(r: CgroupResources, update = false): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const add = (controller: string, file: string, value: string, pointer: string) => w.push({ controller, file, value, pointer: `${P}${pointer}` });
  const m = r.memory;
  if (m) {
    if (m.limit !== undefined && m.limit !== 0) add('memory', 'memory.limit_in_bytes', num(m.limit), '/memory/limit');
    if (m.swap !== undefined && m.swap !== 0) add('memory', 'memory.memsw.limit_in_bytes', num(m.swap), '/memory/swap');
    if (m.reservation !== undefined && m.reservation !== 0) add('memory', 'memory.soft_limit_in_bytes', num(m.reservation), '/memory/reservation');
    if (m.kernel !== undefined && m.kernel !== 0) add('memory', 'memory.kmem.limit_in_bytes', num(m.kernel), '/memory/kernel');
    if (m.kernelTCP !== undefined && m.kernelTCP !== 0) add('memory', 'memory.kmem.tcp.limit_in_bytes', num(m.kernelTCP), '/memory/kernelTCP');
    if (m.swappiness !== undefined && m.swappiness !== null && m.swappiness >= 0) add('memory', 'memory.swappiness', num(m.swappiness), '/memory/swappiness');
    if (m.disableOOMKiller) add('memory', 'memory.oom_control', '1', '/memory/disableOOMKiller');
  }
  const c = r.cpu;
  if (c) {
    if (c.shares) add('cpu', 'cpu.shares', num(c.shares), '/cpu/shares');
    if (c.period) add('cpu', 'cpu.cfs_period_us', num(c.period), '/cpu/period');
    if (c.quota !== undefined && c.quota !== 0) add('cpu', 'cpu.cfs_quota_us', num(c.quota), '/cpu/quota');
    if (c.burst !== undefined) add('cpu', 'cpu.cfs_burst_us', num(c.burst), '/cpu/burst');
    if (c.realtimePeriod) add('cpu', 'cpu.rt_period_us', num(c.realtimePeriod), '/cpu/realtimePeriod');
    if (c.realtimeRuntime) add('cpu', 'cpu.rt_runtime_us', num(c.realtimeRuntime), '/cpu/realtimeRuntime');
    if (c.idle !== undefined && c.idle !== 0) add('cpu', 'cpu.idle', num(c.idle), '/cpu/idle');
    if (c.cpus) add('cpuset', 'cpuset.cpus', c.cpus, '/cpu/cpus');
    if (c.mems) add('cpuset', 'cpuset.mems', c.mems, '/cpu/mems');
  }
  if (r.pids && r.pids.limit !== 0) add('pids', 'pids.max', r.pids.limit > 0 ? num(r.pids.limit) : 'max', '/pids/limit');
  const b = r.blockIO;
  if (b) {
    if (b.weight) add('blkio', 'blkio.weight', num(b.weight), '/blockIO/weight');
    if (b.leafWeight) add('blkio', 'blkio.leaf_weight', num(b.leafWeight), '/blockIO/leafWeight');
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight) add('blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`, `/blockIO/weightDevice/${i}`);
      if (d.leafWeight) add('blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`, `/blockIO/weightDevice/${i}`);
    });
    const thr: [keyof NonNullable<CgroupResources['blockIO']>, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    for (const [key, file] of thr) ((b[key] as ThrottleDevice[] | undefined) ?? []).forEach((d, i) => add('blkio', file, `${d.major}:${d.minor} ${d.rate}`, `/blockIO/${key}/${i}`));
  }
  (r.hugepageLimits ?? []).forEach((h, i) => add('hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, num(h.limit), `/hugepageLimits/${i}`));
  if (r.network?.classID) add('net_cls', 'net_cls.classid', num(r.network.classID), '/network/classID');
  (r.network?.priorities ?? []).forEach((p, i) => add('net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`, `/network/priorities/${i}`));
  if (!update && r.devices) {
    // v1 devices: start from "deny everything", then replay the rules in order (later rules win).
    add('devices', 'devices.deny', 'a', '/devices');
    r.devices.forEach((d, i) => add('devices', d.allow ? 'devices.allow' : 'devices.deny', deviceLine(d), `/devices/${i}`));
  }
  for (const [k, v] of Object.entries(r.unified ?? {})) add('', k, v, `/unified/${k}`);
  return w;
}

/** cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000), the conversion runc and crun use. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) -> io.weight (1..10000). */
export function blkioWeightToIoWeight(w: number): number {
  if (w === 0) return 0;
  return Math.floor(1 + ((w - 10) * 9999) / 990);
}

/** What the container's v2 cgroup offers, where it changes which file a value goes to. */
export interface V2Host {
  /** io.bfq.weight exists (the BFQ scheduler): weights go there unconverted, as blkio.weight on v1. */
  bfq?: boolean;
}

/** cgroup v2 files (kernel Documentation/admin-guide/cgroup-v2.rst). */
export function v2Writes(r: CgroupResources, host: V2Host = {}): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const add = (controller: string, file: string, value: string, pointer: string) => w.push({ controller, file, value, pointer: `${P}${pointer}` });
  const max = (v: number) => (v < 0 ? 'max' : num(v));
  const m = r.memory;
  if (m) {
    if (m.limit !== undefined && m.limit !== 0) add('memory', 'memory.max', max(m.limit), '/memory/limit');
    if (m.reservation !== undefined && m.reservation !== 0) add('memory', 'memory.low', max(m.reservation), '/memory/reservation');
    if (m.swap !== undefined && m.swap !== 0) {
      // v1 swap = memory+swap (memsw); v2 memory.swap.max = swap alone, so the limit must be known.
      if (m.swap > 0 && !(m.limit !== undefined && m.limit > 0)) {
        throw Object.assign(new Error(`memory.swap ${m.swap} is memory+swap (the v1 meaning): cgroup v2 limits swap alone (memory.swap.max = swap - limit), which needs memory.limit as well`), { pointer: `${P}/memory/swap` });
      }
      if (m.swap > 0 && m.swap < m.limit!) throw Object.assign(new Error(`memory+swap limit ${m.swap} must be at least the memory limit ${m.limit}`), { pointer: `${P}/memory/swap` });
      add('memory', 'memory.swap.max', m.swap < 0 ? 'max' : num(m.swap - m.limit!), '/memory/swap');
    } else if (m.limit === -1) {
      // Unlimited memory without a swap value: unlimited memory+swap, as on v1 (and in runc).
      add('memory', 'memory.swap.max', 'max', '/memory/limit');
    }
    if (m.disableOOMKiller) throw Object.assign(new Error('disableOOMKiller is not available on cgroup v2'), { pointer: `${P}/memory/disableOOMKiller` });
  }
  const c = r.cpu;
  if (c) {
    if (c.shares) add('cpu', 'cpu.weight', num(sharesToWeight(c.shares)), '/cpu/shares');
    // cpu.max is "$MAX [$PERIOD]": without a period the kernel keeps the cgroup's current one (an
    // update of the quota alone must not reset it). An update of the period alone needs the quota
    // too (the runtime passes the container's current one), else the quota becomes "max".
    if ((c.quota !== undefined && c.quota !== 0) || c.period) {
      const quota = c.quota === undefined || c.quota === 0 || c.quota < 0 ? 'max' : num(c.quota);
      add('cpu', 'cpu.max', c.period ? `${quota} ${c.period}` : quota, c.quota !== undefined && c.quota !== 0 ? '/cpu/quota' : '/cpu/period');
    }
    if (c.burst !== undefined) add('cpu', 'cpu.max.burst', num(c.burst), '/cpu/burst');
    if (c.idle !== undefined && c.idle !== 0) add('cpu', 'cpu.idle', num(c.idle), '/cpu/idle');
    if (c.cpus) add('cpuset', 'cpuset.cpus', c.cpus, '/cpu/cpus');
    if (c.mems) add('cpuset', 'cpuset.mems', c.mems, '/cpu/mems');
    if (c.realtimeRuntime || c.realtimePeriod) throw Object.assign(new Error('realtime cpu scheduling limits are not available on cgroup v2'), { pointer: `${P}/cpu/realtimeRuntime` });
  }
  if (r.pids && r.pids.limit !== 0) add('pids', 'pids.max', r.pids.limit > 0 ? num(r.pids.limit) : 'max', '/pids/limit');
  const b = r.blockIO;
  if (b) {
    // BFQ's io.bfq.weight has blkio.weight's range (1..1000): the value as given. Otherwise io.weight
    // (1..10000, the iocost controller), converted; its per-device form needs iocost enabled on
    // the device (io.cost.qos), else the kernel says EOPNOTSUPP.
    const [file, conv] = host.bfq ? ['io.bfq.weight', (x: number) => x] : ['io.weight', blkioWeightToIoWeight];
    if (b.weight) add('io', file, `default ${conv(b.weight)}`, '/blockIO/weight');
    (b.weightDevice ?? []).forEach((d, i) => d.weight && add('io', file, `${d.major}:${d.minor} ${conv(d.weight)}`, `/blockIO/weightDevice/${i}`));
    const keys: [keyof NonNullable<CgroupResources['blockIO']>, string][] = [
      ['throttleReadBpsDevice', 'rbps'],
      ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'],
      ['throttleWriteIOPSDevice', 'wiops'],
    ];
    for (const [key, name] of keys) ((b[key] as ThrottleDevice[] | undefined) ?? []).forEach((d, i) => add('io', 'io.max', `${d.major}:${d.minor} ${name}=${d.rate}`, `/blockIO/${key}/${i}`));
  }
  (r.hugepageLimits ?? []).forEach((h, i) => add('hugetlb', `hugetlb.${h.pageSize}.max`, num(h.limit), `/hugepageLimits/${i}`));
  if (r.network?.classID || r.network?.priorities?.length) throw Object.assign(new Error('net_cls/net_prio do not exist on cgroup v2'), { pointer: `${P}/network` });
  for (const [k, v] of Object.entries(r.unified ?? {})) {
    if (k.includes('/') || k.includes('..') || k.startsWith('.')) throw Object.assign(new Error(`unified key ${JSON.stringify(k)} must be a plain file name`), { pointer: `${P}/unified/${k}` });
    add(k.split('.')[0], k, v, `/unified/${k}`);
  }
  return w;
}
