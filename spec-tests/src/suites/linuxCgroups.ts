// config-linux.md#control-groups: every resource read back from the host's cgroup files while
// the container is created (runtime.md#create: "All of the properties configured in config.json
// except for process MUST be applied"). The same resource is checked on cgroup v1 and on v2
// (unified hierarchy); each variant runs only where the host uses that version.
import fs from 'node:fs';
import path from 'node:path';
import type { LinuxResources } from '@strata/oci';
import { defineTests, specUrl, type ConformanceTest } from '../framework/testCase';
import type { TestContext } from '../framework/context';
import { expect, fail } from '../framework/assert';
import { needsV1, needsV2, type HostCapabilities } from '../framework/hostCapabilities';
import { readMountInfo } from '../framework/mountInfo';

/** The host path of the container's cgroup for a v1 controller, or of its v2 cgroup. */
function cgroupDir(host: HostCapabilities, pid: number, controller: string | 'v2'): string {
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const [hid, ctrls, p] = line.split(':');
    if (p === undefined) continue;
    if (controller === 'v2' && hid === '0' && ctrls === '') return path.join(host.v2Mount!, p);
    if (controller !== 'v2' && ctrls.split(',').includes(controller)) return path.join(host.v1Controllers[controller], p);
  }
  fail(`process ${pid} is in no ${controller} cgroup`);
}

async function createdPid(ctx: TestContext, resources: LinuxResources, cgroupsPath?: string): Promise<number> {
  const config = ctx.config(['sleep', '30']);
  config.linux!.resources = resources;
  if (cgroupsPath) config.linux!.cgroupsPath = cgroupsPath;
  const c = await ctx.mustCreate(config);
  const pid = (await ctx.runtime.state(c.id)).state?.pid;
  if (!pid) fail('state has no pid');
  return pid;
}

interface ResourceCase {
  name: string;
  anchor: string;
  resources: (h: HostCapabilities) => LinuxResources;
  /** controller and file -> expected content (a RegExp on the trimmed text). */
  v1?: { controller: string; file: string; want: RegExp; requires?: (h: HostCapabilities) => string | undefined }[];
  /** prefer: read this file instead when the cgroup has it (e.g. io.bfq.weight under BFQ). */
  v2?: { controller: string; file: string; want: RegExp; prefer?: { file: string; want: RegExp } }[];
}

const MiB = 1024 * 1024;
const dev = (h: HostCapabilities) => (h.blockDevice ?? '0:0').split(':').map(Number);
const needsBlockDevice = (h: HostCapabilities) => (h.blockDevice ? undefined : 'no block device in /sys/block');
const needsFile = (controller: string, file: string, why: string) => (h: HostCapabilities) => {
  const base = h.v1Controllers[controller];
  return base && fs.existsSync(path.join(base, file)) ? undefined : why;
};

const cases: ResourceCase[] = [
  {
    name: 'memory.limit',
    anchor: 'memory',
    resources: () => ({ memory: { limit: 64 * MiB } }),
    v1: [{ controller: 'memory', file: 'memory.limit_in_bytes', want: /^67108864$/ }],
    v2: [{ controller: 'memory', file: 'memory.max', want: /^67108864$/ }],
  },
  {
    name: 'memory.reservation',
    anchor: 'memory',
    resources: () => ({ memory: { reservation: 32 * MiB } }),
    v1: [{ controller: 'memory', file: 'memory.soft_limit_in_bytes', want: /^33554432$/ }],
    v2: [{ controller: 'memory', file: 'memory.low', want: /^33554432$/ }],
  },
  {
    name: 'memory.swap',
    anchor: 'memory',
    // v1: swap is memory+swap (memsw); v2: memory.swap.max = swap - limit.
    resources: () => ({ memory: { limit: 64 * MiB, swap: 96 * MiB } }),
    v1: [{ controller: 'memory', file: 'memory.memsw.limit_in_bytes', want: /^100663296$/, requires: needsFile('memory', 'memory.memsw.limit_in_bytes', 'swap accounting is off (no memory.memsw.* files)') }],
    v2: [{ controller: 'memory', file: 'memory.swap.max', want: /^33554432$/ }],
  },
  {
    name: 'memory.swappiness',
    anchor: 'memory',
    resources: () => ({ memory: { swappiness: 10 } }),
    v1: [{ controller: 'memory', file: 'memory.swappiness', want: /^10$/ }],
  },
  {
    name: 'memory.disable-oom-killer',
    anchor: 'memory',
    resources: () => ({ memory: { disableOOMKiller: true } }),
    v1: [{ controller: 'memory', file: 'memory.oom_control', want: /oom_kill_disable 1/ }],
  },
  {
    name: 'cpu.shares',
    anchor: 'cpu',
    resources: () => ({ cpu: { shares: 512 } }),
    v1: [{ controller: 'cpu', file: 'cpu.shares', want: /^512$/ }],
    // The conversion runtimes agreed on: weight = 1 + ((shares - 2) * 9999) / 262142.
    v2: [{ controller: 'cpu', file: 'cpu.weight', want: /^20$/ }],
  },
  {
    name: 'cpu.quota-period',
    anchor: 'cpu',
    resources: () => ({ cpu: { quota: 50_000, period: 100_000 } }),
    v1: [
      { controller: 'cpu', file: 'cpu.cfs_quota_us', want: /^50000$/ },
      { controller: 'cpu', file: 'cpu.cfs_period_us', want: /^100000$/ },
    ],
    v2: [{ controller: 'cpu', file: 'cpu.max', want: /^50000 100000$/ }],
  },
  {
    name: 'cpu.cpuset',
    anchor: 'cpu',
    resources: () => ({ cpu: { cpus: '0', mems: '0' } }),
    v1: [
      { controller: 'cpuset', file: 'cpuset.cpus', want: /^0$/ },
      { controller: 'cpuset', file: 'cpuset.mems', want: /^0$/ },
    ],
    v2: [
      { controller: 'cpuset', file: 'cpuset.cpus', want: /^0$/ },
      { controller: 'cpuset', file: 'cpuset.mems', want: /^0$/ },
    ],
  },
  {
    name: 'pids.limit',
    anchor: 'pids',
    resources: () => ({ pids: { limit: 64 } }),
    v1: [{ controller: 'pids', file: 'pids.max', want: /^64$/ }],
    v2: [{ controller: 'pids', file: 'pids.max', want: /^64$/ }],
  },
  {
    name: 'blockio.throttle-read-bps',
    anchor: 'block-io',
    resources: (h) => ({ blockIO: { throttleReadBpsDevice: [{ major: dev(h)[0], minor: dev(h)[1], rate: MiB }] } }),
    v1: [{ controller: 'blkio', file: 'blkio.throttle.read_bps_device', want: /^\d+:\d+ 1048576$/m, requires: needsBlockDevice }],
    v2: [{ controller: 'io', file: 'io.max', want: /rbps=1048576/ }],
  },
  {
    name: 'blockio.weight',
    anchor: 'block-io',
    resources: () => ({ blockIO: { weight: 300 } }),
    v1: [{ controller: 'blkio', file: 'blkio.weight', want: /^300$/, requires: needsFile('blkio', 'blkio.weight', 'blkio.weight not offered by the kernel (no BFQ/CFQ proportional weight)') }],
    // v2 has two weight files: BFQ's io.bfq.weight takes blkio.weight's range (10..1000) as is;
    // without BFQ, io.weight (1..10000) gets the conversion runc and crun share:
    // 1 + (weight - 10) * 9999 / 990 = 2930 for 300.
    v2: [{ controller: 'io', file: 'io.weight', want: /^default 2930$/, prefer: { file: 'io.bfq.weight', want: /^default 300$/ } }],
  },
  {
    name: 'hugepage-limits',
    anchor: 'huge-page-limits',
    resources: () => ({ hugepageLimits: [{ pageSize: '2MB', limit: 4 * 2 * MiB }] }),
    v1: [{ controller: 'hugetlb', file: 'hugetlb.2MB.limit_in_bytes', want: /^8388608$/ }],
    v2: [{ controller: 'hugetlb', file: 'hugetlb.2MB.max', want: /^8388608$/ }],
  },
  {
    name: 'network.class-id',
    anchor: 'network',
    resources: () => ({ network: { classID: 0x100001 } }),
    v1: [{ controller: 'net_cls', file: 'net_cls.classid', want: /^1048577$/ }],
  },
];

function resourceTests(c: ResourceCase): ConformanceTest[] {
  const tests: ConformanceTest[] = [];
  if (c.v1) {
    const checks = c.v1;
    tests.push({
      id: `cgroups.v1.${c.name}`,
      title: `${c.name} is written to the v1 ${checks[0].controller} cgroup`,
      section: specUrl('config-linux', c.anchor),
      level: 'MUST',
      requires: (h) => checks.map((x) => needsV1(x.controller)(h) ?? x.requires?.(h)).find(Boolean),
      async run(ctx) {
        const pid = await createdPid(ctx, c.resources(ctx.host));
        for (const x of checks) {
          const file = path.join(cgroupDir(ctx.host, pid, x.controller), x.file);
          const text = fs.readFileSync(file, 'utf8').trim();
          expect(x.want.test(text), `${file}: expected ${x.want}, found ${JSON.stringify(text)}`);
        }
      },
    });
  }
  if (c.v2) {
    const checks = c.v2;
    tests.push({
      id: `cgroups.v2.${c.name}`,
      title: `${c.name} is written to the v2 cgroup (${checks[0].file})`,
      section: specUrl('config-linux', c.anchor),
      level: 'MUST',
      requires: (h) => checks.map((x) => needsV2(x.controller)(h)).find(Boolean),
      async run(ctx) {
        const pid = await createdPid(ctx, c.resources(ctx.host));
        for (const x of checks) {
          const dir = cgroupDir(ctx.host, pid, 'v2');
          const { file, want } = x.prefer && fs.existsSync(path.join(dir, x.prefer.file)) ? { file: path.join(dir, x.prefer.file), want: x.prefer.want } : { file: path.join(dir, x.file), want: x.want };
          const text = fs.readFileSync(file, 'utf8').trim();
          expect(want.test(text), `${file}: expected ${want}, found ${JSON.stringify(text)}`);
        }
      },
    });
  }
  return tests;
}

/** The directory the test asks for, under the suite's own parent (removed after the run). */
export const CGROUP_PARENT = 'strata-spec-tests';

function pathTests(version: 'v1' | 'v2'): ConformanceTest[] {
  const controller = version === 'v1' ? 'pids' : 'v2';
  const requires = version === 'v1' ? needsV1('pids') : needsV2('pids');
  return [
    {
      id: `cgroups.${version}.path.absolute`,
      title: `an absolute cgroupsPath is taken relative to the cgroup mount point (${version})`,
      section: specUrl('config-linux', 'cgroups-path'),
      level: 'MUST',
      requires,
      async run(ctx) {
        const want = `/${CGROUP_PARENT}/${ctx.newId('cg')}`;
        const pid = await createdPid(ctx, {}, want);
        const dir = cgroupDir(ctx.host, pid, controller);
        const mount = version === 'v1' ? ctx.host.v1Controllers.pids : ctx.host.v2Mount!;
        expect(dir === path.join(mount, want), `the container is in ${dir}, expected ${path.join(mount, want)}`);
      },
    },
    {
      id: `cgroups.${version}.path.relative`,
      title: `a relative cgroupsPath ends in the given path (${version})`,
      section: specUrl('config-linux', 'cgroups-path'),
      // "In the case of a relative path ... the runtime MAY interpret the path relative to a
      // runtime-determined location in the cgroups hierarchy."
      level: 'MAY',
      requires,
      async run(ctx) {
        const rel = `${CGROUP_PARENT}-rel/${ctx.newId('cg')}`;
        const pid = await createdPid(ctx, {}, rel);
        const dir = cgroupDir(ctx.host, pid, controller);
        expect(dir.endsWith(`/${rel}`), `the container is in ${dir}, which does not end in ${rel}`);
      },
    },
  ];
}

export const linuxCgroupsTests = defineTests([
  ...pathTests('v1'),
  ...pathTests('v2'),
  ...cases.flatMap(resourceTests),
  {
    id: 'cgroups.v2.unified',
    title: 'linux.resources.unified values are written to the named files',
    section: specUrl('config-linux', 'unified'),
    level: 'MUST',
    requires: needsV2('pids'),
    async run(ctx) {
      const pid = await createdPid(ctx, { unified: { 'pids.max': '42' } });
      const file = path.join(cgroupDir(ctx.host, pid, 'v2'), 'pids.max');
      const text = fs.readFileSync(file, 'utf8').trim();
      expect(text === '42', `${file}: expected 42, found ${JSON.stringify(text)}`);
    },
  },
]);

/** Remove the empty parents the runtimes created for cgroupsPath tests (bounded walk). */
export function removeCgroupParents(host: HostCapabilities): void {
  // Every cgroup hierarchy, named ones (name=systemd) included: runtimes create the path in all.
  const mounts = [...new Set(readMountInfo().filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2').map((m) => m.mountPoint))];
  void host;
  for (const mp of mounts) {
    const own = ownCgroupDirs(mp);
    for (const base of [mp, ...own]) {
      for (const name of [CGROUP_PARENT, `${CGROUP_PARENT}-rel`]) {
        try {
          fs.rmdirSync(path.join(base, name));
        } catch {
          /* absent or still in use */
        }
      }
    }
  }
}

function ownCgroupDirs(mp: string): string[] {
  try {
    return fs
      .readFileSync('/proc/self/cgroup', 'utf8')
      .split('\n')
      .map((l) => l.split(':')[2])
      .filter((p): p is string => !!p && p !== '/')
      .map((p) => path.join(mp, p));
  } catch {
    return [];
  }
}
