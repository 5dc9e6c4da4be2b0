// How the engine's parts are wired together, seen from the docker CLI: OCI runtimes chosen per
// container (--add-runtime, --default-runtime, docker run --runtime), container names and the
// embedded DNS server of user-defined networks, `docker build -t` over an existing tag, and volume
// users forgotten when their containers are gone after an engine restart.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineDaemon, haveDocker } from './engineHarness';

const isRoot = process.getuid?.() === 0;
const IMAGE_TAR = '/var/lib/strata/images/busybox.oci.tar';
const RUNC = '/usr/sbin/runc';

describe.skipIf(!isRoot || !haveDocker || !fs.existsSync(IMAGE_TAR) || !fs.existsSync(RUNC))('engine wiring (docker CLI -> strata-engine)', () => {
  // a runc that notes its invocations: proof that the runtime's binary, not the shim's default, ran
  const wrapperDir = fs.mkdtempSync('/tmp/strata-wiring-');
  const wrapper = path.join(wrapperDir, 'logged-runc');
  const calls = path.join(wrapperDir, 'calls');
  fs.writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> ${calls}\nexec ${RUNC} "$@"\n`, { mode: 0o755 });
  const e = new EngineDaemon(['--add-runtime', `logged=${wrapper}`, '--default-runtime', 'io.containerd.strata.v2']);
  const d = (...args: string[]) => e.docker(args);

  beforeAll(() => e.start(), 90_000);
  afterAll(async () => {
    await e.stop();
    fs.rmSync(wrapperDir, { recursive: true, force: true });
  }, 60_000);
  afterEach(() => {
    const ids = d('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
    if (ids.length) d('rm', '-f', ...ids);
    expect(e.leaks()).toEqual([]);
  }, 60_000);

  it('runtimes: docker info lists them; --runtime NAME runs the added binary; unknown names are refused', () => {
    const runtimes = JSON.parse(d('info', '--format', '{{json .Runtimes}}').stdout);
    expect(runtimes.logged).toMatchObject({ path: wrapper });
    expect(Object.keys(runtimes)).toEqual(expect.arrayContaining(['io.containerd.strata.v2', 'io.containerd.runc.v2', 'logged']));
    expect(d('info', '--format', '{{.DefaultRuntime}}').stdout.trim()).toBe('io.containerd.strata.v2');

    const r = d('run', '--rm', '--network', 'none', '--runtime', 'logged', 'busybox', 'echo', 'via-logged');
    expect(r.stdout).toBe('via-logged\n');
    const log = fs.readFileSync(calls, 'utf8');
    expect(log).toMatch(/(^|\s)create(\s|$)/m);
    expect(log).toMatch(/(^|\s)start(\s|$)/m);

    // a shim name is a runtime too; the default one does not call the wrapper
    fs.rmSync(calls, { force: true });
    expect(d('run', '--rm', '--network', 'none', 'busybox', 'echo', 'default').stdout).toBe('default\n');
    expect(fs.existsSync(calls)).toBe(false);

    const bad = d('run', '--rm', '--runtime', 'nope', 'busybox', 'true');
    expect(bad.status).toBe(125);
    expect(bad.stderr).toContain('Unknown runtime specified nope');
    expect(d('ps', '-aq').stdout.trim()).toBe(''); // nothing was created
  }, 120_000);

  it('run --rm of a command that cannot start: exit 127, and the container is removed (the CLI waits for that)', () => {
    const r = e.docker(['run', '--rm', '--network', 'none', 'busybox', 'no-such-command-here']);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/no-such-command-here/);
    expect(d('ps', '-aq').stdout.trim()).toBe('');
  }, 60_000);

  it('run -t: the terminal size is there before the process runs', () => {
    // script(1) gives docker a terminal; stty sets its size, which docker sends as ConsoleSize
    const r = spawnSync('script', ['-qc', 'stty rows 33 cols 101; docker run --rm -t --network none busybox stty size', '/dev/null'], { env: e.env(), encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.replace(/\r/g, '')).toContain('33 101');
  }, 60_000);

  it('user-defined network: inspect names the container; resolv.conf names the network DNS server', () => {
    const net = `wiring-${process.pid}`;
    expect(d('network', 'create', '--subnet', `10.231.${process.pid % 250}.0/24`, net).status).toBe(0);
    try {
      expect(d('run', '-d', '--name', 'named', '--network', net, 'busybox', 'sleep', '60').status).toBe(0);
      const containers = JSON.parse(d('network', 'inspect', '--format', '{{json .Containers}}', net).stdout);
      expect(Object.values(containers).map((c: any) => c.Name)).toEqual(['named']);
      const gw = d('network', 'inspect', '--format', '{{(index .IPAM.Config 0).Gateway}}', net).stdout.trim();
      expect(d('exec', 'named', 'cat', '/etc/resolv.conf').stdout).toMatch(new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}$`, 'm'));
      d('rm', '-f', 'named');
    } finally {
      d('network', 'rm', net);
    }
  }, 120_000);

  it('build -t over an existing tag leaves the old image dangling', () => {
    const ctx = fs.mkdtempSync(path.join(e.dir, 'ctx-'));
    const build = (v: string) => {
      fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM busybox\nLABEL version=${v}\n`);
      const r = e.docker(['build', '-q', '-t', 'wired:1', ctx], { timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    const first = build('one');
    const second = build('two');
    expect(second).not.toBe(first);
    const dangling = d('images', '--filter', 'dangling=true', '--format', '{{.ID}}').stdout.trim().split('\n');
    expect(dangling).toContain(first.replace(/^sha256:/, '').slice(0, 12));
    expect(d('image', 'inspect', '--format', '{{.Id}}', 'wired:1').stdout.trim()).toBe(second);
    d('rmi', 'wired:1', first);
  }, 180_000);

  it('engine restart: a volume whose container record is gone is no longer in use', async () => {
    const vol = `wiring-vol-${process.pid}`;
    const id = d('create', '-v', `${vol}:/data`, 'busybox', 'true').stdout.trim();
    expect(d('volume', 'rm', vol).stderr).toContain('volume is in use');
    expect(await e.terminate()).toBe(0);
    // the record is lost while the engine is down (its snapshot goes too, as `docker rm` would)
    fs.rmSync(path.join(e.dataRoot, 'containers', id), { recursive: true, force: true });
    expect(e.ctr(['snapshots', 'rm', id]).status).toBe(0);
    e.start();
    expect(d('volume', 'rm', vol).status).toBe(0);
  }, 120_000);
});
