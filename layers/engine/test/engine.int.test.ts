// The real docker CLI (28.x) against a private strata-engine on a private strata-manager: every
// container command of `docker`, their output and exit codes, docker's error texts, and nothing
// left behind after each test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sleep } from '@strata/shim/testing';
import { EngineDaemon, haveDocker } from './engineHarness';

const isRoot = process.getuid?.() === 0;
const IMAGE_TAR = '/var/lib/strata/images/busybox.oci.tar';

/** A raw HTTP request on the engine's socket (for bodies the docker CLI would never send). */
function rawRequest(sock: string, method: string, p: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(sock);
    s.write(`${method} ${p} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body ?? '')}\r\nConnection: close\r\n\r\n${body ?? ''}`);
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('error', reject);
    s.on('close', () => resolve({ status: Number(out.split(' ')[1]), body: out.slice(out.indexOf('\r\n\r\n') + 4) }));
  });
}

describe.skipIf(!isRoot || !haveDocker || !fs.existsSync(IMAGE_TAR))('docker CLI -> strata-engine -> strata-manager', () => {
  const e = new EngineDaemon();
  const d = (...args: string[]) => e.docker(args);
  let testStart = 0;
  beforeEach(() => {
    testStart = Math.floor(Date.now() / 1000) - 1;
  });

  beforeAll(() => e.start(), 90_000);
  afterAll(() => e.stop(), 60_000);
  afterEach(() => {
    const ids = d('ps', '-aq', '--no-trunc').stdout.split('\n').filter(Boolean);
    if (ids.length) d('rm', '-f', ...ids);
    expect(e.leaks()).toEqual([]);
    // every container the test created (the --rm ones too, from the event log) left nothing on the host
    const created = d('events', '--since', String(testStart), '--until', String(Math.ceil(Date.now() / 1000)), '--filter', 'event=create', '--format', '{{.ID}}').stdout.split('\n').filter(Boolean);
    expect(e.hostLeaks([...new Set([...created, ...ids])])).toEqual([]);
  }, 60_000);

  it('version and info describe the engine', () => {
    const v = d('version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}');
    expect(v.stdout.trim()).toBe('1.50 1.41 linux');
    d('create', '--name', 'idle', 'busybox', 'true');
    const info = d('info', '--format', '{{.Containers}} {{.ContainersStopped}} {{.Driver}} {{.CgroupDriver}} {{.DefaultRuntime}} {{.OSType}}');
    expect(info.status).toBe(0);
    expect(info.stdout.trim()).toBe('1 1 overlayfs cgroupfs io.containerd.strata.v2 linux');
    expect(Number(d('info', '--format', '{{.NCPU}}').stdout)).toBeGreaterThan(0);
  });

  it('run: attached output, exit code, stderr, --rm', () => {
    const r = d('run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toBe('err\n');
    expect(d('ps', '-aq').stdout).toBe('');
  });

  it('run -e -w -u --entrypoint, hostname and /etc files', () => {
    const r = d('run', '--rm', '-u', 'nobody', '-e', 'FOO=bar', '-w', '/tmp', 'busybox', 'sh', '-c', 'id -u; echo $FOO; pwd; hostname; grep -c "$(hostname)" /etc/hosts');
    expect(r.status).toBe(0);
    const [uid, foo, pwd, host, inHosts] = r.stdout.trim().split('\n');
    expect([uid, foo, pwd]).toEqual(['65534', 'bar', '/tmp']);
    expect(host).toMatch(/^[0-9a-f]{12}$/);
    expect(Number(inHosts)).toBeGreaterThan(0);
    expect(d('run', '--rm', '--entrypoint', 'echo', 'busybox', 'via-entrypoint').stdout).toBe('via-entrypoint\n');
    // --init: docker-init (the host's static tini) is PID 1 and runs the command
    expect(d('run', '--rm', '--init', 'busybox', 'cat', '/proc/1/cmdline').stdout.split('\0')[0]).toBe('/sbin/docker-init');
  });

  it('run -i pipes stdin; -t gives a terminal', () => {
    const r = e.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'from stdin\n' });
    expect(r.stdout).toBe('from stdin\ndone\n');
    // `script` gives docker a pty; the container sees a tty and CR LF line ends come back
    const s = spawnScript(e, 'run --rm -t busybox sh -c "tty; echo tty-ok"');
    expect(s).toContain('/dev/pts/0');
    expect(s).toContain('tty-ok');
    // -it: what is typed on the terminal reaches the container's shell through the pty
    const typed = spawnSync('sh', ['-c', `(sleep 2; echo hello-tty; sleep 3) | script -qc "docker run --rm -it busybox sh -c 'read x; echo got:\\$x'" /dev/null`], { env: e.env(), encoding: 'utf8', timeout: 60_000 });
    expect(typed.stdout).toContain('got:hello-tty');
  });

  it('run -d, ps --format, logs --tail/-t/-f, inspect', async () => {
    const id = d('run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done').stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = d('ps', '--format', '{{.Names}}|{{.Image}}|{{.Status}}');
    expect(ps.stdout).toMatch(/^ticker\|busybox\|Up (Less than a second|\d+ seconds?)\n$/);
    const follow = await e.dockerAsync(['logs', '-f', 'ticker'], { timeout: 20_000 });
    expect(follow.stdout).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');
    expect(d('logs', '--tail', '2', 'ticker').stdout).toBe('line 4\nline 5\n');
    expect(d('logs', '-t', '--tail', '1', 'ticker').stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 5\n$/);
    const insp = JSON.parse(d('inspect', 'ticker').stdout)[0];
    expect(insp.Name).toBe('/ticker');
    expect(insp.Id).toBe(id);
    expect(insp.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0, Pid: 0 });
    expect(insp.Image).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(insp.Config.Cmd[0]).toBe('sh');
    expect(d('ps', '-a', '--format', '{{.Status}}').stdout).toMatch(/^Exited \(0\) (Less than a second|\d+ seconds?) ago\n$/);
    expect(d('wait', 'ticker').stdout).toBe('0\n');
  }, 30_000);

  it('exec: output, -e, -i, exit code; top; stats; pause/unpause; rename', () => {
    d('run', '-d', '--name', 'box', 'busybox', 'sleep', '1000');
    expect(d('exec', '-e', 'X=1', 'box', 'sh', '-c', 'echo $X').stdout).toBe('1\n');
    expect(e.docker(['exec', '-i', 'box', 'cat'], { input: 'piped\n' }).stdout).toBe('piped\n');
    expect(d('exec', 'box', 'sh', '-c', 'exit 7').status).toBe(7);
    const top = d('top', 'box');
    expect(top.stdout).toMatch(/PID[\s\S]*sleep 1000/);
    const stats = d('stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.MemUsage}}', 'box');
    expect(stats.stdout).toMatch(/^box 1 [\d.]+[KMG]i?B \/ /);
    expect(d('pause', 'box').stderr).toBe('');
    expect(d('inspect', '-f', '{{.State.Status}}', 'box').stdout.trim()).toBe('paused');
    expect(d('exec', 'box', 'true').stderr).toContain('is paused, unpause the container before exec');
    d('unpause', 'box');
    expect(d('rename', 'box', 'box2').status).toBe(0);
    expect(d('inspect', '-f', '{{.Name}} {{.State.Status}}', 'box2').stdout.trim()).toBe('/box2 running');
  });

  it('stop, kill, restart, wait, rm -f', { timeout: 120_000 }, () => {
    // PID 1 ignores signals it has no handler for: the trap makes SIGTERM end it with 143
    d('run', '-d', '--name', 's1', 'busybox', 'sh', '-c', 'trap "exit 143" TERM; while true; do sleep 0.1; done');
    const t0 = Date.now();
    expect(d('stop', '-t', '1', 's1').status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(d('inspect', '-f', '{{.State.ExitCode}}', 's1').stdout.trim()).toBe('143');
    expect(d('start', 's1').status).toBe(0);
    expect(d('kill', '-s', 'TERM', 's1').status).toBe(0);
    expect(d('wait', 's1').stdout).toBe('143\n');
    expect(d('restart', '-t', '1', 's1').status).toBe(0);
    expect(d('inspect', '-f', '{{.State.Running}}', 's1').stdout.trim()).toBe('true');
    const rm = d('rm', 's1');
    expect(rm.stderr).toContain('cannot remove container "/s1": container is running: stop the container before removing or force remove');
    expect(d('rm', '-f', 's1').status).toBe(0);
    expect(d('inspect', 's1').stderr).toContain('No such object: s1');
  });

  it('-v bind mount, named volume, --memory/--cpus/--pids-limit', () => {
    const host = fs.mkdtempSync(path.join(e.dir, 'bind-'));
    fs.writeFileSync(path.join(host, 'in.txt'), 'from host\n');
    const r = d('run', '--rm', '-v', `${host}:/data`, 'busybox', 'sh', '-c', 'cat /data/in.txt; echo back > /data/out.txt');
    expect(r.stdout).toBe('from host\n');
    expect(fs.readFileSync(path.join(host, 'out.txt'), 'utf8')).toBe('back\n');
    expect(d('run', '--rm', '-v', `${host}:/data:ro`, 'busybox', 'touch', '/data/x').status).not.toBe(0);
    d('run', '--rm', '-v', 'vol1:/v', 'busybox', 'sh', '-c', 'echo kept > /v/f');
    expect(d('run', '--rm', '-v', 'vol1:/v', 'busybox', 'cat', '/v/f').stdout).toBe('kept\n');
    d('volume', 'rm', 'vol1');
    const lim = d('run', '--rm', '--memory', '64m', '--cpus', '0.5', '--pids-limit', '20', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max');
    expect(lim.stdout.split('\n').slice(0, 2)).toEqual(['67108864', '20']);
    expect(lim.stdout).toMatch(/50000/);
    // the kernel's OOM killer in the container's memory cgroup: exit 137 and State.OOMKilled
    // busybox `tail /dev/zero` keeps its one endless line in memory: it reaches 8 MiB at once
    const oom = d('run', '--name', 'oom', '--memory', '8m', 'busybox', 'tail', '/dev/zero');
    expect(oom.status).toBe(137);
    expect(d('inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom').stdout.trim()).toBe('true 137');
  }, 180_000);

  it('--restart on-failure:2 restarts twice; cp both ways', () => {
    d('run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo try; exit 1');
    const end = Date.now() + 60_000;
    let state = '';
    while (Date.now() < end) {
      state = d('inspect', '-f', '{{.RestartCount}} {{.State.Status}}', 'flaky').stdout.trim();
      if (state === '2 exited') break;
      sleep(200);
    }
    expect(state).toBe('2 exited');
    expect(d('logs', 'flaky').stdout).toBe('try\ntry\ntry\n');

    d('run', '-d', '--name', 'cp1', 'busybox', 'sleep', '1000');
    const f = path.join(e.dir, 'up.txt');
    fs.writeFileSync(f, 'uploaded\n');
    expect(d('cp', f, 'cp1:/tmp/').status).toBe(0);
    expect(d('exec', 'cp1', 'cat', '/tmp/up.txt').stdout).toBe('uploaded\n');
    const out = path.join(e.dir, 'down');
    fs.mkdirSync(out);
    expect(d('cp', 'cp1:/etc/hostname', out).status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'hostname'), 'utf8').trim()).toMatch(/^[0-9a-f]{12}$/);
    expect(d('cp', 'cp1:/nonexistent', out).stderr).toContain('Could not find the file /nonexistent in container cp1');
  }, 120_000);

  it('events between --since and --until', () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    d('run', '--rm', '--name', 'ev1', 'busybox', 'true');
    sleep(1100);
    const until = Math.ceil(Date.now() / 1000);
    const ev = d('events', '--since', String(since), '--until', String(until), '--filter', 'container=ev1', '--format', '{{.Action}}');
    const actions = ev.stdout.trim().split('\n');
    for (const a of ['create', 'attach', 'start', 'die', 'destroy']) expect(actions).toContain(a);
    expect(actions.indexOf('create')).toBeLessThan(actions.indexOf('start'));
    expect(actions.indexOf('die')).toBeLessThan(actions.indexOf('destroy'));
  });

  it('errors: unknown image, unknown container, name conflict, bad body, old API version', async () => {
    const r = d('run', '--rm', 'nosuchimage-strata');
    expect(r.status).toBe(125);
    expect(r.stderr).toContain("Unable to find image 'nosuchimage-strata:latest' locally");
    expect(d('create', '--pull', 'never', 'nosuchimage-strata').stderr).toContain('No such image: nosuchimage-strata:latest');
    expect(d('stop', 'nope').stderr).toContain('No such container: nope');
    d('create', '--name', 'dup', 'busybox', 'true');
    const c = d('create', '--name', 'dup', 'busybox', 'true');
    expect(c.status).not.toBe(0);
    expect(c.stderr).toMatch(/Conflict\. The container name "\/dup" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\./);
    expect(d('create', '--name', 'bad name', 'busybox').stderr).toContain('Invalid container name (bad name)');
    const bad = await rawRequest(e.sock, 'POST', '/v1.50/containers/create', '{not json');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).message).toContain('invalid JSON body');
    const old = await rawRequest(e.sock, 'GET', '/v1.40/version');
    expect(old.status).toBe(400);
    expect(JSON.parse(old.body).message).toBe('client version 1.40 is too old. Minimum supported API version is 1.41, please upgrade your client to a newer version');
    const notFound = await rawRequest(e.sock, 'GET', '/v1.50/containers/nope/json');
    expect(notFound.status).toBe(404);
    const autoRemove = await rawRequest(e.sock, 'POST', '/v1.50/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }));
    expect(autoRemove.status).toBe(400);
    expect(JSON.parse(autoRemove.body).message).toBe("can't create 'AutoRemove' container with restart policy");
  });

  it('networking: -p publishes on 127.0.0.1', async () => {
    d('run', '-d', '--name', 'web', '-p', '127.0.0.1::80', 'busybox', 'sh', '-c', 'echo hello-from-web > /tmp/i; while true; do nc -l -p 80 < /tmp/i; done');
    const port = d('port', 'web', '80').stdout.trim().split(':').pop();
    expect(Number(port)).toBeGreaterThan(0);
    let got = '';
    for (let i = 0; i < 30 && !got.includes('hello-from-web'); i++) {
      got = await new Promise<string>((resolve) => {
        const s = net.connect(Number(port), '127.0.0.1');
        let b = '';
        s.on('data', (x) => (b += x));
        s.on('error', () => resolve(''));
        s.on('close', () => resolve(b));
        setTimeout(() => s.destroy(), 1000);
      });
      if (!got) sleep(200);
    }
    expect(got).toContain('hello-from-web');
    expect(d('port', 'web').stdout).toMatch(/^80\/tcp -> 127\.0\.0\.1:\d+\n$/);
  }, 60_000);

  it('networking: containers on a user-defined network reach each other by IP', { timeout: 120_000 }, () => {
    const netName = `sn${process.pid}`;
    expect(d('network', 'create', netName).status).toBe(0);
    d('run', '-d', '--name', 'peer', '--network', netName, 'busybox', 'sleep', '1000');
    const ip = d('inspect', '-f', `{{(index .NetworkSettings.Networks "${netName}").IPAddress}}`, 'peer').stdout.trim();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(d('run', '--rm', '--network', netName, 'busybox', 'ping', '-c', '1', '-W', '2', ip).status).toBe(0);
    // a container on the default bridge joins the user network too (docker network connect)
    d('run', '-d', '--name', 'joiner', 'busybox', 'sleep', '1000');
    expect(d('network', 'connect', netName, 'joiner').status).toBe(0);
    expect(d('exec', 'joiner', 'ping', '-c', '1', '-W', '2', ip).status).toBe(0);
    expect(d('network', 'rm', netName).stderr).toMatch(/active endpoints|in use|attached/i);
    expect(d('network', 'disconnect', netName, 'joiner').status).toBe(0);
    d('rm', '-f', 'peer', 'joiner');
    expect(d('network', 'rm', netName).status).toBe(0);
  });

  it('engine restart: a running container is re-adopted; one that exited meanwhile gets its status', async () => {
    d('run', '-d', '--name', 'survivor', 'busybox', 'sh', '-c', 'while true; do echo tick; sleep 0.2; done');
    d('run', '-d', '--name', 'quitter', 'busybox', 'sh', '-c', 'sleep 1; exit 4');
    const pid = d('inspect', '-f', '{{.State.Pid}}', 'survivor').stdout.trim();
    expect(await e.terminate()).toBe(0);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true); // live restore: the container kept running
    sleep(1500);
    e.start();
    expect(d('inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor').stdout.trim()).toBe(`running ${pid}`);
    expect(d('inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'quitter').stdout.trim()).toBe('exited 4');
    const before = d('logs', 'survivor').stdout.split('\n').length;
    sleep(800);
    expect(d('logs', 'survivor').stdout.split('\n').length).toBeGreaterThan(before); // FIFOs re-opened
    expect(d('exec', 'survivor', 'echo', 'still-here').stdout).toBe('still-here\n');
    expect(d('stop', '-t', '1', 'survivor').status).toBe(0);
  }, 90_000);
});

/** docker under `script`, which gives it a pseudo-terminal (for -t). */
function spawnScript(e: EngineDaemon, cmd: string): string {
  const r = spawnSync('script', ['-qc', `docker ${cmd}`, '/dev/null'], { encoding: 'utf8', timeout: 30_000, env: e.env() });
  return r.stdout ?? '';
}
