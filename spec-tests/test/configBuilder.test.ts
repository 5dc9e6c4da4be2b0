// Unit tests of the base config and the small pure helpers the suite relies on.
import { describe, expect, it } from 'vitest';
import { validateSpec } from '@strata/oci';
import { baseConfig, cloneConfig, serializeConfig, shArgs } from '../src/framework/configBuilder';
import { parseMountInfo } from '../src/framework/mountInfo';
import { parseRuntimeSpecifier } from '../src/framework/runtimeInfo';
import { hybridCgroupWrapper } from '../src/framework/wrappers';
import { predict } from '../src/property/lifecycleProperty';
import { allTests } from '../src/suites/index';

describe('baseConfig', () => {
  const c = baseConfig({ args: shArgs('echo hi'), rootfs: '/tmp/rootfs' });
  it('is a valid config.json for the spec', () => {
    expect(validateSpec(c)).toEqual([]);
  });
  it('hands stdio to the container and uses the given rootfs read-only', () => {
    expect(c.process?.terminal).toBe(false);
    expect(c.process?.args).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(c.root).toEqual({ path: '/tmp/rootfs', readonly: true });
    expect(c.linux?.namespaces?.map((n) => n.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount']);
  });
  it('clones deeply and serializes with hostname not last (self-test wrappers rely on it)', () => {
    const d = cloneConfig(c);
    d.process!.args!.push('x');
    expect(c.process!.args).toHaveLength(3);
    const lines = serializeConfig(c).split('\n');
    expect(lines.find((l) => l.includes('"hostname"'))).toMatch(/,$/);
  });
});

describe('helpers', () => {
  it('parses mountinfo with escapes and optional fields', () => {
    const [m] = parseMountInfo('36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 shared:2 - ext3 /dev/root rw,errors=continue\n');
    expect(m.mountPoint).toBe('/mnt/with space');
    expect(m.optional).toEqual(['master:1', 'shared:2']);
    expect(m.fstype).toBe('ext3');
  });
  it('parses NAME[:WRAPPER] runtime specifiers', () => {
    expect(parseRuntimeSpecifier('/usr/bin/crun:hybrid-cgroup')).toEqual({ name: 'crun+hybrid-cgroup', runtime: '/usr/bin/crun', wrapper: 'hybrid-cgroup' });
    expect(parseRuntimeSpecifier('runc')).toEqual({ name: 'runc', runtime: 'runc', wrapper: undefined });
    expect(() => parseRuntimeSpecifier('runc:nope')).toThrow(/unknown wrapper/);
  });
  it('generates the hybrid-cgroup wrapper around the given runtime', () => {
    const s = hybridCgroupWrapper('/usr/bin/crun');
    expect(s).toMatch(/^#!\/bin\/sh/);
    expect(s).toContain("umount /sys/fs/cgroup/unified");
    expect(s).toContain("'/usr/bin/crun' \"$@\"");
  });
});

describe('lifecycle model', () => {
  it('predicts from the lifecycle table', () => {
    expect(predict('start', { status: 'created', doomed: false })).toEqual({ ok: true, next: ['running', 'stopped'] });
    expect(predict('start', { status: 'running', doomed: false })).toEqual({ ok: false, next: ['running'] });
    expect(predict('kill KILL', { status: 'stopped', doomed: false }).ok).toBe(false);
    expect(predict('create', { status: 'created', doomed: false }).ok).toBe(false);
    expect(predict('delete', { status: 'running', doomed: false }).ok).toBe(false);
    expect(predict('delete --force', { status: 'running', doomed: false })).toEqual({ ok: true, next: ['absent'] });
    expect(predict('state', { status: 'absent', doomed: false }).ok).toBe(false);
  });
});

describe('test catalogue', () => {
  it('has unique ids, a spec link and a level on every test', () => {
    const ids = allTests.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of allTests) {
      expect(t.section).toMatch(/^https:\/\/github\.com\/opencontainers\/runtime-spec\/blob\/v1\.2\.0\/[\w-]+\.md#[\w-]+$/);
      expect(['MUST', 'SHOULD', 'MAY']).toContain(t.level);
    }
  });
});
