// The strata-cri daemon as a program: its command line (help, version, config, bad flags and
// their exit codes), refusing to start without a manager, serving with STRATA_TRACE on, and the
// shutdown on SIGTERM. The services themselves are tested in image.int.test.ts and crictl.int.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRegistry } from '@strata/manager/testing';
import { isRoot } from '@strata/shim/testing';
import { built, criBin, CriDaemon } from './harness';

const cli = (args: string[], timeout = 30_000) => spawnSync(process.execPath, [criBin, ...args], { encoding: 'utf8', timeout, killSignal: 'SIGKILL' });

describe.skipIf(!built())('strata-cri command line', () => {
  it('--help and --version exit 0', () => {
    const h = cli(['--help']);
    expect(h.status).toBe(0);
    for (const flag of ['--listen', '--root', '--runroot', '--manager-address', '--cni-conf-dir', '--cni-bin-dir', '--registry-mirror', '--config', '--runtime', '--pause-image', '--stream-address', '--stream-port', '--log-level', '--log-format']) expect(h.stdout).toContain(flag);
    const v = cli(['--version']);
    expect(v.stdout).toBe('strata-cri version 0.1.0\nCRI API version v1\n');
    expect(v.status).toBe(0);
  });

  it('`config` prints the effective configuration as TOML', () => {
    const r = cli(['config', '--registry-mirror', 'registry.k8s.io=http://127.0.0.1:5000', '--listen', '/tmp/x.sock']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('listen = "/tmp/x.sock"');
    expect(r.stdout).toMatch(/\[registry\.mirrors\."registry\.k8s\.io"\]\nendpoint = \[ "http:\/\/127\.0\.0\.1:5000" \]/);
  });

  it('bad flags exit 2 naming the flag, and start nothing', () => {
    const r = cli(['--registry-mirror', 'nonsense']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^strata-cri: --registry-mirror: want HOST=URL/);
    expect(cli(['--no-such-flag']).status).toBe(2);
    expect(cli(['--config', '/nonexistent/strata-cri.toml']).stderr).toMatch(/--config \/nonexistent\/strata-cri\.toml/);
  });

  it.skipIf(!isRoot)('exits 1 when the manager cannot be reached, leaving no socket', () => {
    const dir = fs.mkdtempSync(path.join('/tmp', 'strata-cri-nomgr-'));
    try {
      const sock = path.join(dir, 'cri.sock');
      const r = cli(['--listen', sock, '--root', path.join(dir, 'root'), '--runroot', path.join(dir, 'run'), '--manager-address', path.join(dir, 'none.sock')], 60_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/cannot reach the manager at .*none\.sock/);
      expect(fs.existsSync(sock)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(!(built() && isRoot && haveRegistry()))('strata-cri serving with STRATA_TRACE', () => {
  const cri = new CriDaemon();
  const trace = path.join(cri.dir, 'trace.jsonl');
  beforeAll(async () => {
    await cri.start({ env: { STRATA_TRACE: trace }, importPause: false, args: ['--log-format', 'json'] });
  }, 120_000);
  afterAll(async () => {
    await cri.stop();
    expect(cri.leaks()).toEqual([]);
  }, 60_000);

  it('traces each served call: caller -> strata-cri, grpc, Service.Method, result', async () => {
    expect(cri.crictl(['version']).status).toBe(0);
    const c = cri.client();
    await c.image('ImageStatus', { image: { image: '' } }).catch(() => {});
    await c.image('ImageStatus', { image: { image: 'registry.k8s.io/nothing:1' } });
    c.close();
    const lines = fs.readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ours = lines.filter((l) => l.layer === 'cri');
    expect(ours).toContainEqual(expect.objectContaining({ from: 'strata-crictl', to: 'strata-cri', protocol: 'grpc', op: 'RuntimeService.Version', result: 'ok', by: 'callee' }));
    expect(ours).toContainEqual(expect.objectContaining({ op: 'ImageService.ImageStatus', result: 'error: image.image: must not be empty' }));
    expect(ours).toContainEqual(expect.objectContaining({ op: 'ImageService.ImageStatus', ids: { image: 'registry.k8s.io/nothing:1' }, result: 'ok' }));
    for (const l of ours) expect(l.end).toBeGreaterThanOrEqual(l.ts);
  });

  it('logs JSON lines with --log-format json', () => {
    const first = fs.readFileSync(cri.logFile, 'utf8').split('\n').find((l) => l.startsWith('{'))!;
    expect(JSON.parse(first)).toMatchObject({ level: 'info', msg: expect.stringMatching(/^starting strata-cri/) });
  });

  it('SIGTERM: exit 0, socket gone', async () => {
    expect(await cri.terminate()).toBe(0);
    expect(fs.existsSync(cri.sock)).toBe(false);
  });
});
