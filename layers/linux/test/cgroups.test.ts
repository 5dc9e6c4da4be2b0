// cgroup v1/v2 file writes and conversions (pure), the layout detection from mountinfo text, and
// the cgroup v2 device eBPF program run in a small interpreter.
import { describe, expect, it } from 'vitest';
import { v1Writes, v2Writes, v2Blkio, sharesToWeight, blkioWeightToIoWeight, compileDeviceRules, detectCgroupLayout, resolveCgroupsPath, type BpfInsn } from '../src/cgroups';
import type { MountInfo } from '../src/sys';

const files = (w: { file: string; value: string }[]) => Object.fromEntries(w.map((x) => [x.file, x.value]));

describe('cgroup resource writes', () => {
  it('v1: memory, cpu, pids, blkio, devices in runc order', () => {
    const w = v1Writes({
      memory: { limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20 },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1' },
      pids: { limit: 42 },
      blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }] },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
    });
    const f = files(w);
    expect(f).toMatchObject({
      'memory.limit_in_bytes': String(64 << 20),
      'memory.memsw.limit_in_bytes': String(128 << 20),
      'memory.soft_limit_in_bytes': String(32 << 20),
      'cpu.shares': '512',
      'cpu.cfs_quota_us': '50000',
      'cpuset.cpus': '0-1',
      'pids.max': '42',
      'blkio.throttle.read_bps_device': '8:0 1000',
    });
    const dev = w.filter((x) => x.controller === 'devices').map((x) => `${x.file} ${x.value}`);
    expect(dev).toEqual(['devices.deny a', 'devices.deny a', 'devices.allow c 1:3 rwm']);
    expect(w.find((x) => x.file === 'pids.max')!.pointer).toBe('/linux/resources/pids/limit');
  });

  it('v2: converts shares, swap, quota and blkio weight like runc', () => {
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(blkioWeightToIoWeight(500)).toBe(4950);
    const f = files(v2Writes({ memory: { limit: 100, swap: 300 }, cpu: { shares: 1024, quota: 20000, period: 100000 }, pids: { limit: -1 }, unified: { 'memory.high': '50' } }));
    expect(f).toMatchObject({ 'memory.max': '100', 'memory.swap.max': '200', 'cpu.weight': '39', 'cpu.max': '20000 100000', 'pids.max': 'max', 'memory.high': '50' });
    expect(files(v2Writes({ memory: { limit: -1, swap: -1 } }))).toMatchObject({ 'memory.max': 'max', 'memory.swap.max': 'max' });
    expect(() => v2Writes({ unified: { '../escape': '1' } })).toThrow(/plain file name/);
  });

  it('v2: cpu.max keeps the current period unless one is given; swap needs the memory limit', () => {
    // "$MAX [$PERIOD]": a quota alone must not reset the period the container was created with.
    expect(files(v2Writes({ cpu: { quota: 20000 } }))['cpu.max']).toBe('20000');
    expect(files(v2Writes({ cpu: { period: 50000 } }))['cpu.max']).toBe('max 50000');
    expect(files(v2Writes({ cpu: { quota: -1, period: 50000 } }))['cpu.max']).toBe('max 50000');
    // memory+swap (v1 meaning) -> swap alone: without the limit it cannot be converted.
    expect(() => v2Writes({ memory: { swap: 300 } })).toThrow(expect.objectContaining({ pointer: '/linux/resources/memory/swap' }));
    expect(() => v2Writes({ memory: { limit: 300, swap: 200 } })).toThrow(/at least the memory limit/);
    expect(files(v2Writes({ memory: { limit: 300, swap: 300 } }))['memory.swap.max']).toBe('0');
    // Unlimited memory, no swap value: unlimited memory+swap, as on v1.
    expect(files(v2Writes({ memory: { limit: -1 } }))).toMatchObject({ 'memory.max': 'max', 'memory.swap.max': 'max' });
    expect(files(v2Writes({ memory: { limit: 100 } }))['memory.swap.max']).toBeUndefined();
  });

  it('v2: block io weights go to io.bfq.weight unconverted with BFQ, else io.weight converted', () => {
    const blockIO = { weight: 300, weightDevice: [{ major: 254, minor: 0, weight: 500 }] };
    const iocost = v2Writes({ blockIO }).map((x) => `${x.file} ${x.value}`);
    expect(iocost).toEqual(['io.weight default 2930', 'io.weight 254:0 4950']);
    const bfq = v2Writes({ blockIO }, { bfq: true }).map((x) => `${x.file} ${x.value}`);
    expect(bfq).toEqual(['io.bfq.weight default 300', 'io.bfq.weight 254:0 500']);
  });
});

describe('cgroup v2 stats', () => {
  it('io.stat becomes the v1-shaped blkio entries (bytes and ios per device and op)', () => {
    const b = v2Blkio('254:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=512 wbytes=0 rios=1 wios=0\n');
    expect(b.ioServiceBytesRecursive).toEqual([
      { major: 254, minor: 0, op: 'Read', value: 4096 },
      { major: 254, minor: 0, op: 'Write', value: 8192 },
      { major: 254, minor: 0, op: 'Discard', value: 0 },
      { major: 8, minor: 16, op: 'Read', value: 512 },
      { major: 8, minor: 16, op: 'Write', value: 0 },
    ]);
    expect(b.ioServicedRecursive.filter((e) => e.major === 254).map((e) => e.value)).toEqual([1, 2, 0]);
    expect(v2Blkio('')).toEqual({ ioServiceBytesRecursive: [], ioServicedRecursive: [] });
  });
});

describe('cgroup layout', () => {
  const mi = (fstype: string, mountPoint: string, superOptions: string): MountInfo => ({ id: 1, parent: 0, majorMinor: '0:1', root: '/', mountPoint, options: 'rw', optional: [], fstype, source: fstype, superOptions });
  it('detects a v1 hybrid host and a pure v2 host', () => {
    const hybrid = detectCgroupLayout([mi('cgroup', '/sys/fs/cgroup/memory', 'rw,memory'), mi('cgroup', '/sys/fs/cgroup/cpu,cpuacct', 'rw,cpu,cpuacct'), mi('cgroup2', '/sys/fs/cgroup/unified', 'rw')]);
    expect(hybrid).toMatchObject({ version: 1, hybrid: true, unified: '/sys/fs/cgroup/unified' });
    expect(hybrid.mounts.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct');
    const v2 = detectCgroupLayout([mi('cgroup2', '/sys/fs/cgroup', 'rw')]);
    expect(v2).toMatchObject({ version: 2, hybrid: false, mounts: { '': '/sys/fs/cgroup' } });
  });

  it('resolves cgroupsPath like runc: absolute from the root, relative (or none) from the caller', () => {
    const v1 = detectCgroupLayout([mi('cgroup', '/sys/fs/cgroup/memory', 'rw,memory'), mi('cgroup2', '/sys/fs/cgroup/unified', 'rw')]);
    const v2 = detectCgroupLayout([mi('cgroup2', '/sys/fs/cgroup', 'rw')]);
    const unit = '/system.slice/cloud-final.service';
    expect(resolveCgroupsPath('/tut/a', 'c1', v2, unit)).toBe('/tut/a');
    // v1: below the caller's own cgroup.
    expect(resolveCgroupsPath(undefined, 'c1', v1, unit)).toBe(`${unit}/c1`);
    expect(resolveCgroupsPath('sub/c2', 'c1', v1, unit)).toBe(`${unit}/sub/c2`);
    // v2: below its parent, which holds no processes (a child of a cgroup with processes cannot
    // get domain controllers, and refuses processes once the parent is a thread root).
    expect(resolveCgroupsPath(undefined, 'c1', v2, unit)).toBe('/system.slice/c1');
    expect(resolveCgroupsPath('', 'c1', v2, unit)).toBe('/system.slice/c1');
    expect(resolveCgroupsPath('sub/c2', 'c1', v2, unit)).toBe('/system.slice/sub/c2');
    expect(resolveCgroupsPath(undefined, 'c1', v2, '/')).toBe('/c1');
    expect(() => resolveCgroupsPath('../x', 'c1', v2, unit)).toThrow(/must not contain/);
    expect(() => resolveCgroupsPath('system.slice:strata:c1', 'c1', v2, unit)).toThrow(/systemd/);
  });
});

/** Interpreter for the eBPF subset compileDeviceRules emits. */
function runDevProg(prog: BpfInsn[], type: 'c' | 'b', major: number, minor: number, access: string): number {
  const ctx = [((access.includes('m') ? 1 : 0) | (access.includes('r') ? 2 : 0) | (access.includes('w') ? 4 : 0)) << 16 | (type === 'b' ? 1 : 2), major, minor];
  const r = new Array(11).fill(0);
  for (let pc = 0; pc < prog.length; pc++) {
    const i = prog[pc];
    switch (i.code) {
      case 0x61: r[i.dst] = ctx[i.off / 4] >>> 0; break;
      case 0x57: r[i.dst] = (r[i.dst] & i.imm) >>> 0; break;
      case 0x77: r[i.dst] = r[i.dst] >>> i.imm; break;
      case 0xb7: r[i.dst] = i.imm; break;
      case 0xbf: r[i.dst] = r[i.src]; break;
      case 0x55: if (r[i.dst] !== (i.imm >>> 0)) pc += i.off; break;
      case 0x95: return r[0];
      default: throw new Error(`opcode ${i.code}`);
    }
  }
  throw new Error('no exit');
}

describe('cgroup v2 device filter (eBPF)', () => {
  it('the last matching rule wins; no match denies', () => {
    const prog = compileDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rw' },
      { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
    ]);
    expect(runDevProg(prog, 'c', 1, 3, 'r')).toBe(1);
    expect(runDevProg(prog, 'c', 1, 3, 'w')).toBe(0);
    expect(runDevProg(prog, 'c', 136, 7, 'rw')).toBe(1);
    expect(runDevProg(prog, 'c', 136, 7, 'm')).toBe(0);
    expect(runDevProg(prog, 'b', 8, 0, 'r')).toBe(0);
    expect(runDevProg(compileDeviceRules([{ allow: true, access: 'rwm' }]), 'b', 8, 0, 'rwm')).toBe(1);
  });
});
