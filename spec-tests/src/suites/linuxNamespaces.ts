// config-linux.md#namespaces and #user-namespace-mappings. Namespace identity is compared from
// the host: /proc/<pid>/ns/<type> of the created container's process against ours.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import type { LinuxNamespace } from '@strata/oci';
import { defineTests, specUrl, type ConformanceTest } from '../framework/testCase';
import type { TestContext } from '../framework/context';
import { expect, expectMatch, fail } from '../framework/assert';
import { needsUserNamespaces } from '../framework/hostCapabilities';
import { sleep } from '../framework/runtimeDriver';
import { declaredInFeatures } from '../framework/runtimeInfo';

type NsType = LinuxNamespace['type'];
/** config.json name -> /proc/<pid>/ns/ file name. */
const procName: Record<NsType, string> = { pid: 'pid', network: 'net', mount: 'mnt', ipc: 'ipc', uts: 'uts', user: 'user', cgroup: 'cgroup', time: 'time' };

function nsOf(pid: number | 'self', type: NsType): string {
  return fs.readlinkSync(`/proc/${pid}/ns/${procName[type]}`);
}

async function containerPid(ctx: TestContext, configure: (c: ReturnType<TestContext['config']>) => void): Promise<number> {
  const config = ctx.config(['sleep', '30']);
  configure(config);
  const c = await ctx.mustCreate(config);
  const pid = (await ctx.runtime.state(c.id)).state?.pid;
  if (!pid) fail('state has no pid for the created container');
  return pid;
}

function withNamespaces(types: NsType[]) {
  return (c: ReturnType<TestContext['config']>) => {
    c.linux!.namespaces = types.map((type) => ({ type }));
    if (!types.includes('uts')) delete c.hostname; // a hostname needs a private UTS namespace
  };
}

/** A process holding a new namespace of `flag` (util-linux unshare), killed at cleanup. */
async function namespaceHolder(ctx: TestContext, flag: string): Promise<number> {
  const child = spawn('unshare', [flag, 'sleep', '60'], { stdio: 'ignore' });
  ctx.defer(() => {
    child.kill('SIGKILL');
  });
  const pid = child.pid;
  if (!pid) fail('could not start the namespace holder (unshare)');
  // Wait until the holder has moved into its namespace (bounded).
  for (let i = 0; i < 100; i++) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`).endsWith('sleep')) return pid;
    } catch {
      /* not there yet */
    }
    await sleep(10);
  }
  fail('the namespace holder did not start');
}

const separateTypes: NsType[] = ['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'];

const newNamespaceTests: ConformanceTest[] = separateTypes.map((type) => ({
  id: `namespaces.new.${type}`,
  title: `a ${type} namespace without path is a new namespace`,
  section: specUrl('config-linux', 'namespaces'),
  // "The following namespace types SHOULD be supported"; once listed, "If path is not specified,
  // the runtime MUST create a new container namespace of type type."
  level: 'MUST' as const,
  async run(ctx: TestContext) {
    const types = [...new Set<NsType>(['mount', type])];
    const pid = await containerPid(ctx, withNamespaces(types));
    expect(nsOf(pid, type) !== nsOf('self', type), `the container shares the runtime's ${type} namespace`);
  },
}));

const inheritTests: ConformanceTest[] = (['pid', 'network', 'ipc', 'uts', 'cgroup'] as NsType[]).map((type) => ({
  id: `namespaces.inherit.${type}`,
  title: `without a ${type} entry the container inherits the runtime's ${type} namespace`,
  section: specUrl('config-linux', 'namespaces'),
  level: 'MUST' as const,
  async run(ctx: TestContext) {
    const types = separateTypes.filter((t) => t !== type);
    const pid = await containerPid(ctx, withNamespaces(types));
    expect(nsOf(pid, type) === nsOf('self', type), `the container got a new ${type} namespace although none was configured`);
  },
}));

export const linuxNamespacesTests = defineTests([
  ...newNamespaceTests,
  ...inheritTests,
  {
    id: 'namespaces.time',
    title: 'a time namespace is created',
    section: specUrl('config-linux', 'namespaces'),
    level: 'SHOULD',
    requires: (h, rt) => (fs.existsSync('/proc/self/ns/time') ? declaredInFeatures(['linux', 'namespaces'], 'time')(h, rt) : 'kernel without time namespaces'),
    async run(ctx) {
      const pid = await containerPid(ctx, (c) => c.linux!.namespaces!.push({ type: 'time' }));
      expect(nsOf(pid, 'time') !== nsOf('self', 'time'), 'the container shares the runtime\'s time namespace');
    },
  },
  {
    id: 'namespaces.path.join',
    title: 'a namespace path is joined',
    section: specUrl('config-linux', 'namespaces'),
    level: 'MUST',
    async run(ctx) {
      const holder = await namespaceHolder(ctx, '--net');
      const path = `/proc/${holder}/ns/net`;
      const pid = await containerPid(ctx, (c) => {
        c.linux!.namespaces = c.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path } : n));
      });
      expect(nsOf(pid, 'network') === nsOf(holder, 'network'), `the container is not in the network namespace at ${path}`);
    },
  },
  {
    id: 'namespaces.path.wrong-type',
    title: 'a path to a namespace of another type generates an error',
    section: specUrl('config-linux', 'namespaces'),
    level: 'MUST',
    async run(ctx) {
      const holder = await namespaceHolder(ctx, '--uts');
      const config = ctx.config(['true']);
      config.linux!.namespaces = config.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/proc/${holder}/ns/uts` } : n));
      await ctx.expectCreateError(config, 'network namespace path pointing at a UTS namespace');
    },
  },
  {
    id: 'namespaces.duplicate',
    title: 'duplicate namespace types generate an error',
    section: specUrl('config-linux', 'namespaces'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config(['true']);
      config.linux!.namespaces!.push({ type: 'ipc' });
      await ctx.expectCreateError(config, 'two ipc namespace entries');
    },
  },
  {
    id: 'namespaces.user.mappings',
    title: 'a user namespace gets the configured uid and gid mappings',
    section: specUrl('config-linux', 'user-namespace-mappings'),
    level: 'MUST',
    requires: needsUserNamespaces,
    async run(ctx) {
      const config = ctx.config('cat /proc/self/uid_map /proc/self/gid_map');
      config.linux!.namespaces!.push({ type: 'user' });
      config.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      config.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      const out = (await ctx.run(config)).stdout;
      expectMatch(out, /^\s*0\s+200000\s+65536\s*$/m, 'uid_map');
      expectMatch(out, /^\s*0\s+300000\s+65536\s*$/m, 'gid_map');
    },
  },
]);
