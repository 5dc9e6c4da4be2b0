// strata-cri's configuration and command line (pure logic: no daemon).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { DEFAULTS, loadConfig } from '../src/config';
import { parseCriArgs } from '../src/cli/criArgs';
import { configToml } from '../src/config';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cri-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describe('strata-cri flags and config', () => {
  it('has CRI-O-like defaults', () => {
    const { config, command } = parseCriArgs([]);
    expect(command).toBe('serve');
    expect(config.listen).toBe('/run/strata-cri/strata-cri.sock');
    expect(config.root).toBe('/var/lib/strata-cri');
    expect(config.runroot).toBe('/run/strata-cri');
    expect(config.managerAddress).toBe('/run/strata-manager/strata-manager.sock');
    expect(config.cniConfDir).toBe('/etc/cni/net.d');
    expect(config.cniBinDirs).toEqual(['/usr/lib/cni', '/opt/cni/bin']);
    expect(config.runtime).toBe('io.containerd.strata.v2');
  });

  it('reads every flag, both --flag value and --flag=value; mirrors repeat', () => {
    const { config } = parseCriArgs([
      '--listen', '/tmp/x/cri.sock', '--root=/tmp/x/root', '--runroot', '/tmp/x/run', '--manager-address', 'unix:///run/containerd/containerd.sock',
      '--cni-conf-dir', '/tmp/x/net.d', '--cni-bin-dir', '/a:/b', '--registry-mirror', 'registry.k8s.io=http://127.0.0.1:5000',
      '--registry-mirror', 'registry.k8s.io=http://127.0.0.1:5001', '--registry-mirror=docker.io=https://mirror.example', '--runtime', 'io.containerd.runc.v2',
      '--pause-image', 'registry.k8s.io/pause:3.9', '--stream-address', '0.0.0.0', '--stream-port', '10010', '--log-level', 'warning', '--log-format', 'json',
    ]);
    expect(config).toMatchObject({
      listen: '/tmp/x/cri.sock', root: '/tmp/x/root', runroot: '/tmp/x/run', managerAddress: '/run/containerd/containerd.sock', cniConfDir: '/tmp/x/net.d', cniBinDirs: ['/a', '/b'],
      mirrors: { 'registry.k8s.io': ['http://127.0.0.1:5000', 'http://127.0.0.1:5001'], 'docker.io': ['https://mirror.example'] },
      runtime: 'io.containerd.runc.v2', pauseImage: 'registry.k8s.io/pause:3.9', streamAddress: '0.0.0.0', streamPort: 10010, logLevel: 'warn', logFormat: 'json',
    });
  });

  it('takes --registry-offline alone or with a value', () => {
    expect(parseCriArgs([]).config.registryOffline).toBe(false);
    expect(parseCriArgs(['--registry-offline']).config.registryOffline).toBe(true);
    expect(parseCriArgs(['--registry-offline=false']).config.registryOffline).toBe(false);
  });

  it('flags override the file, wherever --config stands', () => {
    const f = file('a.toml', `root = "/from/file"\nrunroot = "/run/file"\n[cni]\nconf_dir = "/etc/file/net.d"\n[registry]\noffline = true\n[registry.mirrors."registry.k8s.io"]\nendpoint = ["http://127.0.0.1:6000"]\n[runtime_handlers]\nfast = "io.containerd.runc.v2"\n`);
    const { config } = parseCriArgs(['--root', '/from/flag', '--config', f]);
    expect(config.root).toBe('/from/flag');
    expect(config.runroot).toBe('/run/file');
    expect(config.cniConfDir).toBe('/etc/file/net.d');
    expect(config.mirrors).toEqual({ 'registry.k8s.io': ['http://127.0.0.1:6000'] });
    expect(config.runtimeHandlers.fast).toBe('io.containerd.runc.v2');
    expect(config.registryOffline).toBe(true);
  });

  it('round-trips through `strata-cri config`', () => {
    const { config } = parseCriArgs(['--registry-mirror', 'registry.k8s.io=http://127.0.0.1:5000', '--root', '/r']);
    const again = loadConfig(file('b.toml', configToml(config)));
    expect(again).toEqual(config);
    expect(parse(configToml(DEFAULTS))).toMatchObject({ listen: DEFAULTS.listen });
  });

  it.each([
    [['--registry-mirror', 'registry.k8s.io'], '--registry-mirror: want HOST=URL'],
    [['--registry-mirror', 'registry.k8s.io=ftp://x'], '--registry-mirror: ftp://x: only http and https'],
    [['--stream-port', '70000'], '--stream-port: must be a port number'],
    [['--log-level', 'loud'], '--log-level: must be one of'],
    [['--log-format', 'xml'], '--log-format: must be "text" or "json"'],
    [['--listen'], 'flag needs an argument: --listen'],
    [['--bogus'], 'flag provided but not defined: --bogus'],
    [['--registry-offline=maybe'], '--registry-offline: want true or false'],
    [['serve', 'now'], 'unknown command'],
  ])('refuses %j naming the flag', (argv, msg) => {
    expect(() => parseCriArgs(argv as string[])).toThrow(msg);
  });

  it('refuses bad config files naming the key', () => {
    expect(() => parseCriArgs(['--config', path.join(dir, 'missing.toml')])).toThrow(/--config .*missing\.toml/);
    expect(() => parseCriArgs(['--config', file('c.toml', 'root = "relative/dir"\n')])).toThrow('root: must be an absolute path');
    expect(() => parseCriArgs(['--config', file('d.toml', 'colour = "blue"\n')])).toThrow(/colour: unknown key/);
    expect(() => parseCriArgs(['--config', file('e.toml', '[cni]\nbin_dirs = "/usr/lib/cni"\n')])).toThrow('cni.bin_dirs: must be a list');
    expect(() => parseCriArgs(['--config', file('f.toml', '[registry.mirrors."x.io"]\nendpoint = ["not a url"]\n')])).toThrow('registry.mirrors."x.io".endpoint: "not a url" is not a URL');
    expect(() => parseCriArgs(['--config', file('g.toml', 'root = \n')])).toThrow(/--config/);
  });
});
