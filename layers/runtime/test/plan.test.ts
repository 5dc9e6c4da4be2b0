// The create plan as data: order of the steps that matter, and what the config turns into.
import { describe, expect, it } from 'vitest';
import { defaultSpec } from '@strata/oci';
import { buildCreatePlan, type CreatePlanInput } from '../src/plan/createPlan';
import { buildExecPlan } from '../src/plan/execPlan';
import { parseMountOptions, MS } from '../src/plan/mountOptions';
import { planNamespaces, CLONE } from '../src/plan/namespaces';
import { isAllowed, assertAllowed, operations, states } from '../src/lifecycle';

const input = (mutate: (s: any) => void = () => {}): CreatePlanInput => {
  const spec: any = defaultSpec();
  spec.process.terminal = false;
  mutate(spec);
  return {
    id: 'c1', spec, bundle: '/b', rootfs: '/b/rootfs', stateDir: '/run/x/c1', cgroupProcs: ['/sys/fs/cgroup/pids/c1/cgroup.procs'],
    cgroup: { version: 1, mounts: { pids: '/sys/fs/cgroup/pids' }, dirs: { pids: '/sys/fs/cgroup/pids/c1' } },
    noPivot: false, noNewKeyring: false, foreground: false, hooksPoint: false, rootfsParentMount: '/',
  };
};
const ops = (p: { op: string }[]) => p.map((o) => o.op);

describe('buildExecPlan', () => {
  it('joins the container\'s cgroup, with the init\'s sub-cgroup as the EBUSY fallback (v2)', () => {
    const spec: any = defaultSpec();
    const base = { spec, process: { ...spec.process, terminal: false }, initPid: 42, foreground: true };
    const join = (p: { op: string; args: unknown[] }[]) => p.filter((o) => o.op === 'join-cgroup').map((o) => o.args);
    expect(join(buildExecPlan({ ...base, cgroupProcs: ['/sys/fs/cgroup/c1/cgroup.procs'] }))).toEqual([['/sys/fs/cgroup/c1/cgroup.procs']]);
    const nested = buildExecPlan({ ...base, cgroupProcs: ['/sys/fs/cgroup/c1/cgroup.procs'], cgroupFallback: '/sys/fs/cgroup/c1/init/cgroup.procs' });
    expect(join(nested)).toEqual([['/sys/fs/cgroup/c1/cgroup.procs', '/sys/fs/cgroup/c1/init/cgroup.procs']]);
  });
});

describe('buildCreatePlan', () => {
  it('orders the steps as the kernel needs them', () => {
    const o = ops(buildCreatePlan(input()));
    const at = (x: string) => o.indexOf(x);
    expect(at('join-cgroup')).toBeLessThan(at('clone')); // children inherit cgroups
    expect(at('clone')).toBeLessThan(at('bind-self'));
    expect(at('bind-self')).toBeLessThan(at('pivot-root'));
    expect(at('pivot-root')).toBeLessThan(at('setresuid'));
    expect(at('caps-bounding')).toBeLessThan(at('setresuid'));
    expect(at('lookup')).toBeLessThan(at('ready')); // a missing binary fails create
    expect(at('ready')).toBeLessThan(at('fifo-wait'));
    expect(o[o.length - 1]).toBe('exec');
  });
  it('puts seccomp before the uid change without noNewPrivileges, and last with it', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    const nnp = ops(buildCreatePlan(input((s) => (s.linux.seccomp = seccomp))));
    expect(nnp.indexOf('seccomp')).toBe(nnp.length - 2);
    const plain = ops(buildCreatePlan(input((s) => ((s.linux.seccomp = seccomp), (s.process.noNewPrivileges = false)))));
    expect(plain.indexOf('seccomp')).toBeLessThan(plain.indexOf('setresuid'));
  });
  it('stops at a hooks point before pivot_root when hooks exist, and uses --no-pivot', () => {
    const p = buildCreatePlan({ ...input(), hooksPoint: true, noPivot: true });
    expect(ops(p).indexOf('hooks-point')).toBeLessThan(ops(p).indexOf('move-root'));
    expect(ops(p)).not.toContain('pivot-root');
  });
  it('writes user namespace maps in the clone step', () => {
    const p = buildCreatePlan(input((s) => {
      s.linux.namespaces.push({ type: 'user' });
      s.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 10 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 2000, size: 10 }];
    }));
    const clone = p.find((o) => o.op === 'clone')!;
    expect(Number(clone.args[0]) & CLONE.NEWUSER).toBeTruthy();
    expect(clone.args.slice(2, 4)).toEqual(['0 1000 10', '0 2000 10']);
    // no mknod in a user namespace: devices are bind mounts
    expect(ops(p)).not.toContain('mknod-in-root');
  });
  it('refuses a terminal without a console socket', () => {
    expect(() => buildCreatePlan(input((s) => (s.process.terminal = true)))).toThrow(/console-socket/);
  });
});

describe('mount options and namespaces', () => {
  it('parses flags, clears, propagation and data', () => {
    const o = parseMountOptions(['rbind', 'ro', 'nosuid', 'rw', 'rslave', 'size=1m', 'mode=755']);
    expect(o.bind && o.recursive).toBe(true);
    expect(o.flags).toBe(MS.NOSUID);
    expect(o.propagation).toEqual([MS.SLAVE | MS.REC]);
    expect(o.data).toBe('size=1m,mode=755');
  });
  it('separates new namespaces from joined ones (user first, mount last)', () => {
    const ns = planNamespaces({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'mount', path: '/proc/1/ns/mnt' }, { type: 'pid' }, { type: 'user', path: '/proc/1/ns/user' }] } } as never);
    expect(ns.cloneFlags).toBe(CLONE.NEWPID);
    expect(ns.join.map((j) => j.type)).toEqual(['user', 'mount']);
  });
});

describe('lifecycle table', () => {
  it('matches runc for the interesting cases', () => {
    expect(isAllowed('start', 'created')).toBe(true);
    expect(isAllowed('delete', 'created')).toBe(true);
    expect(isAllowed('delete', 'running')).toBe(false);
    expect(isAllowed('delete', 'running', true)).toBe(true);
    expect(() => assertAllowed('start', 'stopped', 'x')).toThrow('cannot start a container that has stopped');
    expect(() => assertAllowed('delete', 'paused', 'x')).toThrow('cannot delete container x that is not stopped: paused');
  });
  it('every refusal text exists for every state an operation refuses', () => {
    for (const [op, rule] of Object.entries(operations)) {
      for (const s of states) {
        if (!isAllowed(op as never, s, true)) expect(() => assertAllowed(op as never, s, 'x')).toThrow(/\w/);
      }
      expect(rule.spec).toBeTruthy();
    }
  });
});
