// The pure parts of checkpoint/restore: which mounts CRIU must treat as external, the options
// both sides share, and how CRIU's reason is taken from its log.
import { describe, expect, it } from 'vitest';
import { externalMounts, dumpMountArgs, restoreMountArgs } from '../src/criu/externalMounts';
import { criuReason } from '../src/criu/criu';
import { commonCriuArgs, externalNetns } from '../src/operations/checkpoint';

const v2 = { version: 2 as const, mounts: { '': '/sys/fs/cgroup' }, dirs: { '': '/sys/fs/cgroup/new-id' } };
const v1 = {
  version: 1 as const,
  mounts: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' },
  dirs: { memory: '/sys/fs/cgroup/memory/c', cpu: '/sys/fs/cgroup/cpu,cpuacct/c', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/c' },
};

function spec(extra: any = {}): any {
  return {
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/data', type: 'bind', source: 'data', options: ['rbind', 'ro'] },
      { destination: 'etc/hosts', source: '/etc/hosts', options: ['bind'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup' },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }], maskedPaths: ['/proc/kcore'] },
    ...extra,
  };
}

describe('external mounts for CRIU', () => {
  it('host binds (resolved against the bundle), cgroup binds without a cgroup ns, masked files', () => {
    const ms = externalMounts(spec(), '/b', v2);
    expect(ms).toEqual([
      { destination: '/data', source: '/b/data' },
      { destination: '/etc/hosts', source: '/etc/hosts' },
      { destination: '/sys/fs/cgroup', source: '/sys/fs/cgroup/new-id' },
      { destination: '/proc/kcore', source: '/dev/null' },
    ]);
    expect(dumpMountArgs(ms.slice(0, 1))).toEqual(['--external', 'mnt[/data]:/data']);
    expect(restoreMountArgs(ms.slice(0, 1))).toEqual(['--external', 'mnt[/data]:/b/data']);
  });

  it('a cgroup namespace makes /sys/fs/cgroup a real mount CRIU recreates', () => {
    const s = spec();
    s.linux.namespaces.push({ type: 'cgroup' });
    expect(externalMounts(s, '/b', v2).map((m) => m.destination)).not.toContain('/sys/fs/cgroup');
  });

  it('cgroup v1 without a cgroup namespace: one bind per hierarchy (co-mounted ones once)', () => {
    const ms = externalMounts(spec(), '/b', v1).filter((m) => m.destination.startsWith('/sys/fs/cgroup'));
    expect(ms).toEqual([
      { destination: '/sys/fs/cgroup/memory', source: '/sys/fs/cgroup/memory/c' },
      { destination: '/sys/fs/cgroup/cpu,cpuacct', source: '/sys/fs/cgroup/cpu,cpuacct/c' },
    ]);
  });

  it('a joined network namespace is external with runc\'s key', () => {
    expect(externalNetns(spec())).toBeUndefined();
    expect(externalNetns(spec({ linux: { namespaces: [{ type: 'network', path: '/var/run/netns/x' }] } }))).toEqual({ path: '/var/run/netns/x', key: 'extRootNetNS' });
  });
});

describe('CRIU options and errors', () => {
  it('maps runc\'s flags onto criu\'s', () => {
    const base = { imagePath: '/i', tcpEstablished: false, extUnixSk: false, shellJob: false, fileLocks: false };
    expect(commonCriuArgs(base)).toEqual(['--manage-cgroups=soft']);
    expect(commonCriuArgs({ ...base, tcpEstablished: true, extUnixSk: true, shellJob: true, fileLocks: true, manageCgroupsMode: 'strict' })).toEqual(['--tcp-established', '--ext-unix-sk', '--shell-job', '--file-locks', '--manage-cgroups=strict']);
  });

  it('takes the last Error lines of a CRIU log as the reason', () => {
    const log = '(00.1) mnt: foo\n(00.2) Error (criu/files-reg.c:1710): Can\'t lookup mount=24 for fd=0 path=/dev/null\n(00.3) Error (criu/cr-dump.c:2053): Dumping FAILED.\n';
    expect(criuReason(log)).toBe("Error (criu/files-reg.c:1710): Can't lookup mount=24 for fd=0 path=/dev/null; Error (criu/cr-dump.c:2053): Dumping FAILED.");
    expect(criuReason('something odd\n')).toBe('something odd');
  });
});
