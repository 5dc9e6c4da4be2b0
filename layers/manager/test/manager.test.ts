// Pure logic of the manager: containerd's filter language, the TOML config, the daemon's flags,
// the state table, the OCI spec a client builds from an image config, chain ids, shim names.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainIds } from '../src/client/unpack';
import { containerSpec } from '../src/client/spec';
import { loadConfig } from '../src/config';
import { parseDaemonArgs } from '../src/cli/daemonArgs';
import { parseFlags } from '../src/cli/ctr/args';
import { ManagerError } from '../src/errors';
import { parseFilters, recordAdaptor } from '../src/filters';
import { assertAllowed, managerStates, opAllowed } from '../src/lifecycle';
import { managerLifecycleMermaid } from '../src/lifecycleDiagram';
import { shimBinaryName } from '../src/tasks/runtimes';

const code = (f: () => unknown) => {
  try {
    f();
    return 'OK';
  } catch (e) {
    return e instanceof ManagerError ? e.code : String(e);
  }
};

describe('filters (containerd syntax)', () => {
  const rec = recordAdaptor({ id: 'web-1', image: 'docker.io/library/nginx:latest' }, { app: 'web', 'com.example/tier': 'front' });
  it.each([
    ['', true],
    ['id==web-1', true],
    ['id!=web-1', false],
    ['id~=^web-', true],
    ['labels.app==web', true],
    ['labels."com.example/tier"==front', true],
    ['labels.app==web,id==other', false],
    ['labels.missing', false],
    ['image~="nginx"', true],
  ])('%s -> %s', (f, want) => expect(parseFilters([f])(rec)).toBe(want));
  it('ORs several filters', () => expect(parseFilters(['id==x', 'labels.app==web'])(rec)).toBe(true));
  it('names the problem in a bad filter', () => {
    expect(() => parseFilters(['id=='])).toThrow(/expected a value after ==/);
    expect(() => parseFilters(['id~=('])).toThrow(/bad regular expression/);
    expect(() => parseFilters(['"unterminated'])).toThrow(/unterminated/);
  });
});

describe('config and flags', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const write = (text: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cfg-'));
    dirs.push(d);
    const f = path.join(d, 'config.toml');
    fs.writeFileSync(f, text);
    return f;
  };
  it('reads containerd-shaped TOML with runtimes and registry mirrors', () => {
    const c = loadConfig(write(`version = 2\nroot = "/r"\nstate = "/s"\n[grpc]\naddress = "/s/m.sock"\n[debug]\nlevel = "warning"\n[runtimes."io.containerd.runc.v2"]\nshim = "containerd-shim-runc-v2"\n[runtimes."io.containerd.runc.v2".options]\nBinaryName = "crun"\n[registry.mirrors."registry.k8s.io"]\nendpoint = ["http://127.0.0.1:5000"]\n`));
    expect(c).toMatchObject({ root: '/r', state: '/s', address: '/s/m.sock', logLevel: 'warn', registry: { mirrors: { 'registry.k8s.io': ['http://127.0.0.1:5000'] } } });
    expect(c.runtimes['io.containerd.runc.v2']).toEqual({ shim: 'containerd-shim-runc-v2', options: { binaryName: 'crun' } });
  });
  it('names the key of a wrong value', () => {
    expect(() => loadConfig(write('[snapshotter]\ndefault = "btrfs"\n'))).toThrow(/snapshotter.default: must be "overlayfs" or "native"/);
    expect(() => loadConfig(write('[runtimes.x.options]\nBinaryNam = "crun"\n'))).toThrow(/runtimes."x".options.BinaryNam: unknown option/);
    expect(() => loadConfig(write('version = 3\n'))).toThrow(/version/);
    expect(() => loadConfig(write('root = \n'))).toThrow(/--config/);
  });
  it('parses containerd flags and rejects unknown ones', () => {
    expect(parseDaemonArgs(['--root', '/r', '-a=/x.sock', '-l', 'debug'])).toMatchObject({ command: 'serve', root: '/r', address: '/x.sock', logLevel: 'debug' });
    expect(parseDaemonArgs(['config', 'default']).command).toBe('config-default');
    expect(() => parseDaemonArgs(['--nope'])).toThrow(/flag provided but not defined: --nope/);
    expect(() => parseDaemonArgs(['--root'])).toThrow(/flag needs an argument/);
    expect(() => parseDaemonArgs(['--log-format', 'xml'])).toThrow(/text" or "json/);
  });
  it('strata-ctr flags stop at the command for run/exec', () => {
    const p = parseFlags(['--rm', '-e', 'A=1', 'img', 'id', 'sh', '-c', 'echo -n hi'], [{ name: 'rm', help: '' }, { name: 'env', alias: 'e', value: true, repeat: true, help: '' }], { stopAtPositional: 2 });
    expect(p).toEqual({ flags: { rm: true, env: ['A=1'] }, args: ['img', 'id', 'sh', '-c', 'echo -n hi'] });
  });
});

describe('the container/task table', () => {
  it('refuses with the table\'s codes', () => {
    expect(code(() => assertAllowed('startTask', 'none', 'x'))).toBe('NOT_FOUND');
    expect(code(() => assertAllowed('startTask', 'container', 'x'))).toBe('NOT_FOUND');
    expect(code(() => assertAllowed('createTask', 'running', 'x'))).toBe('ALREADY_EXISTS');
    expect(code(() => assertAllowed('deleteContainer', 'running', 'x'))).toBe('FAILED_PRECONDITION');
    expect(code(() => assertAllowed('killTask', 'stopped', 'x'))).toBe('NOT_FOUND');
    expect(code(() => assertAllowed('deleteTask', 'stopped', 'x'))).toBe('OK');
  });
  it('every state is reachable and the diagram draws every transition', () => {
    const d = managerLifecycleMermaid();
    for (const s of managerStates) expect(d).toContain(`${s}:`);
    expect(d).toContain('created --> running: Tasks.Start');
    expect(opAllowed('exit', 'paused')).toBe(true);
  });
});

describe('what a client builds', () => {
  it('an OCI spec from an image config like containerd (entrypoint + cmd, env, cwd, cgroups path)', () => {
    const s = containerSpec({ namespace: 'default', id: 'c1', image: { Env: ['PATH=/bin', 'A=1'], Entrypoint: ['/entry'], Cmd: ['x'], WorkingDir: '/w', User: '1000:1000' }, env: ['A=2'] });
    expect(s.process?.args).toEqual(['/entry', 'x']);
    expect(s.process?.env).toEqual(['PATH=/bin', 'A=2']);
    expect(s.process?.cwd).toBe('/w');
    expect(s.process?.user).toEqual({ uid: 1000, gid: 1000 });
    expect(s.linux?.cgroupsPath).toBe('/default/c1');
    expect(s.process?.capabilities?.bounding).toContain('CAP_NET_RAW');
    expect(containerSpec({ namespace: 'n', id: 'c', image: { Entrypoint: ['/e'], Cmd: ['d'] }, args: ['o'] }).process?.args).toEqual(['/e', 'o']);
    expect(code(() => containerSpec({ namespace: 'n', id: 'c', image: {} }))).toBe('INVALID_ARGUMENT');
    expect(code(() => containerSpec({ namespace: 'n', id: 'c', image: { Cmd: ['x'], User: 'nobody' } }))).toBe('INVALID_ARGUMENT');
  });
  it('chain ids (image-spec config.md#layer-chainid)', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    const [c0, c1] = chainIds([a, b]);
    expect(c0).toBe(a);
    expect(c1).toBe(`sha256:${crypto.createHash('sha256').update(`${a} ${b}`).digest('hex')}`);
  });
  it('shim binary names from runtime names', () => {
    expect(shimBinaryName('io.containerd.runc.v2')).toBe('containerd-shim-runc-v2');
    expect(shimBinaryName('io.containerd.strata.v2')).toBe('containerd-shim-strata-v2');
    expect(code(() => shimBinaryName('bad name'))).toBe('INVALID_ARGUMENT');
  });
});
