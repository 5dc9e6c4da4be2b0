// config.json validation: JSON pointers in every error, semantic rules, and interop with the
// configs the real runc and crun write.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { validateSpec, validateState, parseSpecFile, defaultSpec, formatIssue, getPointer, OciError } from '../src';

const valid = () => JSON.parse(JSON.stringify(defaultSpec()));
const issuesOf = (mutate: (c: any) => void) => {
  const c = valid();
  mutate(c);
  return validateSpec(c);
};
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('validateSpec', () => {
  it('accepts the default spec', () => {
    expect(validateSpec(valid())).toEqual([]);
    expect(validateSpec(defaultSpec({ rootless: true }))).toEqual([]);
  });

  it.each<[string, (c: any) => void, string, RegExp]>([
    ['type', (c) => (c.linux.resources.memory = { limit: '64M' }), '/linux/resources/memory/limit', /must be an integer \(got "64M"\)/],
    ['required', (c) => delete c.ociVersion, '/ociVersion', /is required/],
    ['enum', (c) => (c.linux.namespaces[0].type = 'pidd'), '/linux/namespaces/0/type', /must be one of "pid"/],
    ['pattern', (c) => (c.process.env = ['NOEQUALS']), '/process/env/0', /must match/],
    ['range', (c) => (c.process.oomScoreAdj = 5000), '/process/oomScoreAdj', /<= 1000/],
  ])('schema rule %s names the pointer', (_rule, mutate, pointer, message) => {
    const issues = issuesOf(mutate);
    expect(issues.map((i) => i.pointer)).toContain(pointer);
    expect(issues.find((i) => i.pointer === pointer)!.message).toMatch(message);
  });

  it.each<[string, (c: any) => void, string]>([
    ['relative cwd', (c) => (c.process.cwd = 'tmp'), '/process/cwd'],
    ['empty args', (c) => (c.process.args = []), '/process/args'],
    ['duplicate namespace', (c) => c.linux.namespaces.push({ type: 'pid' }), '/linux/namespaces/5/type'],
    ['relative namespace path', (c) => (c.linux.namespaces[0].path = 'proc/1/ns/pid'), '/linux/namespaces/0/path'],
    ['mappings without user ns', (c) => (c.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]), '/linux/uidMappings'],
    ['hostname without uts ns', (c) => (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'uts')), '/hostname'],
    ['net sysctl without net ns', (c) => ((c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }), (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network'))), '/linux/sysctl/net.ipv4.ip_forward'],
    ['ipc sysctl without ipc ns', (c) => ((c.linux.sysctl = { 'kernel.shmmax': '1' }), (c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'ipc'))), '/linux/sysctl/kernel.shmmax'],
    ['swap below limit', (c) => (c.linux.resources.memory = { limit: 100, swap: 50 }), '/linux/resources/memory/swap'],
    ['device without major', (c) => (c.linux.devices = [{ path: '/dev/x', type: 'c' }]), '/linux/devices/0'],
    ['duplicate rlimit', (c) => c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }), '/process/rlimits/1/type'],
    ['soft above hard', (c) => (c.process.rlimits[0] = { type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }), '/process/rlimits/0/soft'],
    ['bad capability', (c) => (c.process.capabilities.bounding[0] = 'kill'), '/process/capabilities/bounding/0'],
    ['relative hook path', (c) => (c.hooks = { prestart: [{ path: 'bin/true' }] }), '/hooks/prestart/0/path'],
    ['relative masked path', (c) => (c.linux.maskedPaths = ['proc/kcore']), '/linux/maskedPaths/0'],
  ])('semantic rule: %s', (_name, mutate, pointer) => {
    expect(issuesOf(mutate).map((i) => i.pointer)).toContain(pointer);
  });

  it('formats an issue with its pointer', () => {
    expect(formatIssue({ pointer: '/process/cwd', rule: 'absolute-path', message: 'must be an absolute path' })).toBe('config.json /process/cwd: must be an absolute path');
  });

  it('random mutations either validate or point at existing locations (fast-check)', () => {
    const paths = ['/process/cwd', '/process/terminal', '/linux/resources', '/hostname', '/root/path', '/process/user/uid', '/mounts/0/options'];
    const values = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
    fc.assert(
      fc.property(fc.constantFrom(...paths), values, (p, v) => {
        const c = valid();
        const parts = p.split('/').slice(1);
        let cur = c;
        for (const k of parts.slice(0, -1)) cur = cur[k];
        cur[parts[parts.length - 1]] = v;
        for (const i of validateSpec(c)) {
          const parent = i.pointer.split('/').slice(0, -1).join('/');
          expect(getPointer(c, i.pointer) !== undefined || getPointer(c, parent) !== undefined).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseSpecFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-oci-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  it('reports bad JSON with a line and column', () => {
    const f = path.join(dir, 'bad.json');
    fs.writeFileSync(f, '{\n  "ociVersion": "1.0.2",\n  oops\n}');
    expect(() => parseSpecFile(f)).toThrow(/line 3/);
    try {
      parseSpecFile(f);
    } catch (e) {
      expect((e as OciError).code).toBe('INVALID_JSON');
    }
  });
  it('reports a missing file', () => {
    expect(() => parseSpecFile(path.join(dir, 'none.json'))).toThrow(/no such file/);
  });
  it('reads blockIO weight 0 as "not set" only when asked to be lenient like runc (dockerd 20.10 sends it)', () => {
    const f = path.join(dir, 'weight0.json');
    const spec = defaultSpec();
    spec.linux!.resources = { blockIO: { weight: 0 } };
    fs.writeFileSync(f, JSON.stringify(spec));
    expect(() => parseSpecFile(f)).toThrow(/\/linux\/resources\/blockIO\/weight: must be >= 10/);
    const notes: string[] = [];
    const read = parseSpecFile(f, { runcLenient: true, notes });
    expect(read.linux?.resources?.blockIO).toEqual({});
    expect(notes).toEqual(['/linux/resources/blockIO/weight: 0 read as "not set" (as runc does)']);
    // a weight out of range that is not 0 is still refused
    spec.linux!.resources = { blockIO: { weight: 5 } };
    fs.writeFileSync(f, JSON.stringify(spec));
    expect(() => parseSpecFile(f, { runcLenient: true })).toThrow(/must be >= 10/);
  });
});

describe('state documents', () => {
  it('accepts runc-shaped state and refuses bad status', () => {
    expect(validateState({ ociVersion: '1.0.2', id: 'a', status: 'paused', pid: 1, bundle: '/b' })).toEqual([]);
    expect(validateState({ ociVersion: '1.0.2', id: 'a', status: 'sleeping', bundle: '/b' })[0].pointer).toBe('/status');
  });
});

describe.skipIf(!has('runc'))('interop with the configs real runtimes write', () => {
  const gen = (args: string[]) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-spec-'));
    try {
      const r = spawnSync(args[0], [...args.slice(1)], { cwd: d, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(fs.readFileSync(path.join(d, 'config.json'), 'utf8'));
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  };
  it('runc spec and runc spec --rootless validate and equal defaultSpec()', () => {
    const runc = gen(['runc', 'spec']);
    expect(validateSpec(runc)).toEqual([]);
    expect(defaultSpec()).toEqual(runc);
    const rootless = gen(['runc', 'spec', '--rootless']);
    expect(validateSpec(rootless)).toEqual([]);
    expect(defaultSpec({ rootless: true })).toEqual(rootless);
  });
  it.skipIf(!has('crun'))('crun spec validates', () => {
    expect(validateSpec(gen(['crun', 'spec']))).toEqual([]);
  });
});
