// `strata` (the CLI) against a REAL dockerd (Debian docker.io 20.10) started with private dirs, side
// by side with the real docker CLI 28 on the same daemon: for deterministic commands the two
// must print the same bytes and exit with the same status. Skipped (with the reason) when
// dockerd, docker, skopeo or the busybox image is missing, or when not root.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountsBelow, startRegistry, haveRegistry, type RunningRegistry } from '@strata/manager/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STRATA = path.join(repo, 'layers/engine/dist/strata.mjs');
const DOCKERD = '/usr/sbin/dockerd';
const DOCKER = '/usr/local/bin/docker';
const IMAGE_OCI = '/var/lib/strata/images/busybox.oci.tar';
const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const missing = [
  process.getuid?.() !== 0 && 'root',
  !fs.existsSync(DOCKERD) && DOCKERD,
  !fs.existsSync(DOCKER) && DOCKER,
  !has('skopeo') && 'skopeo',
  !fs.existsSync(IMAGE_OCI) && IMAGE_OCI,
].filter(Boolean);
if (missing.length) console.warn(`cliDockerd: skipped, needs ${missing.join(', ')}`);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A dockerd with everything below one temp dir (it starts its own containerd there too). */
class PrivateDockerd {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-cli-dockerd-${process.pid}-`));
  readonly sock = path.join(this.dir, 'docker.sock');
  readonly home = path.join(this.dir, 'home');
  pid?: number;

  start(): void {
    fs.mkdirSync(this.home);
    const log = fs.openSync(path.join(this.dir, 'dockerd.log'), 'a');
    const child = spawn(DOCKERD, ['--data-root', path.join(this.dir, 'data'), '--exec-root', path.join(this.dir, 'exec'), '-H', `unix://${this.sock}`, '--pidfile', path.join(this.dir, 'dockerd.pid'), '--iptables=false', '--bridge=none'], { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    this.pid = child.pid;
    child.unref();
    const end = Date.now() + 30_000;
    while (Date.now() < end && this.docker(['version']).status !== 0) sleep(200);
    if (this.docker(['version']).status !== 0) throw new Error(`dockerd did not start:\n${this.log()}`);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const { NODE_EXTRA_CA_CERTS: _n, DOCKER_HOST: _h, ...rest } = process.env;
    return { ...rest, DOCKER_HOST: `unix://${this.sock}`, HOME: this.home, DOCKER_CLI_HINTS: 'false', STRATA_NO_AUTOSTART: '1', ...extra };
  }

  docker(args: string[], o: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
    const r = spawnSync(DOCKER, args, { encoding: 'utf8', input: o.input ?? '', timeout: 60_000, killSignal: 'SIGKILL', env: this.env(o.env), cwd: o.cwd });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  strata(args: string[], o: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
    const r = spawnSync(process.execPath, [STRATA, ...args], { encoding: 'utf8', input: o.input ?? '', timeout: 60_000, killSignal: 'SIGKILL', env: this.env(o.env), cwd: o.cwd });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  log(): string {
    return fs.existsSync(path.join(this.dir, 'dockerd.log')) ? fs.readFileSync(path.join(this.dir, 'dockerd.log'), 'utf8').split('\n').slice(-40).join('\n') : '';
  }

  /** Processes whose command line names our dir (dockerd, its containerd, shims). */
  processes(): number[] {
    const out: number[] = [];
    for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        if (fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(this.dir)) out.push(Number(p));
      } catch {
        // exited meanwhile
      }
    }
    return out;
  }

  stop(): void {
    if (this.pid && this.docker(['version']).status === 0) {
      const ids = this.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (ids.length) this.docker(['rm', '-f', ...ids]);
    }
    if (this.pid) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const end = Date.now() + 20_000;
    while (Date.now() < end && this.processes().length) sleep(100);
    for (const p of this.processes()) process.kill(p, 'SIGKILL');
    for (const m of mountsBelow(this.dir).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Run argv on a pseudo-terminal of rows x cols (python3's pty); optionally resize after `resizeAfterMs`. */
function onPty(argv: string[], env: NodeJS.ProcessEnv, o: { rows: number; cols: number; resize?: { afterText: string; rows: number; cols: number } }): Run {
  const py = `
import pty, os, sys, struct, fcntl, termios, json, time, select
a = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', a['rows'], a['cols'], 0, 0))
    os.execvp(a['argv'][0], a['argv'])
out = b''
start = time.time()
resized = False
while True:
    if a.get('resize') and not resized and a['resize']['afterText'].encode() in out:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', a['resize']['rows'], a['resize']['cols'], 0, 0))
        resized = True
    r, _, _ = select.select([fd], [], [], 0.05)
    if not r:
        continue
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(st))
`;
  const r = spawnSync('python3', ['-c', py, JSON.stringify({ argv, ...o })], { encoding: 'utf8', env, timeout: 60_000, killSignal: 'SIGKILL' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe.skipIf(missing.length > 0)('strata CLI against a private dockerd 20.10, compared with the docker CLI', () => {
  const d = new PrivateDockerd();
  const docker = (...a: string[]) => d.docker(a);
  const strata = (...a: string[]) => d.strata(a);
  /** Same stdout, stderr (docker -> strata) and status; retried when a clock tick changed a "seconds ago". */
  const same = (args: string[], o: { input?: string } = {}) => {
    let a: Run = { status: 0, stdout: '', stderr: '' };
    let b: Run = a;
    for (let i = 0; i < 6; i++) {
      a = d.docker(args, o);
      b = d.strata(args, o);
      if (a.stdout === b.stdout && a.status === b.status) break;
    }
    expect({ status: b.status, stdout: b.stdout, stderr: b.stderr.replace(/\bstrata(?=[ :'])/g, 'docker') }).toEqual({ status: a.status, stdout: a.stdout, stderr: a.stderr });
    return b;
  };

  beforeAll(() => {
    if (!fs.existsSync(STRATA)) throw new Error(`${STRATA} missing: run node scripts/build.mjs`);
    d.start();
    // dockerd 20.10 loads docker-save tars only (not OCI layouts): convert with skopeo.
    const tar = path.join(d.dir, 'busybox.docker.tar');
    const c = spawnSync('skopeo', ['copy', `oci-archive:${IMAGE_OCI}`, `docker-archive:${tar}:busybox:latest`], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(`skopeo: ${c.stderr}`);
    expect(d.strata(['load', '-i', tar]).stdout).toBe('Loaded image: busybox:latest\n');
  }, 120_000);

  afterAll(() => {
    d.stop();
    expect(d.processes()).toEqual([]);
    expect(fs.existsSync(d.dir)).toBe(false);
  }, 60_000);

  it('version negotiation, version and info', () => {
    const v = strata('version');
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/API version:\s+1\.41 \(downgraded from 1\.50\)/);
    expect(v.stdout).toMatch(/Server:[\s\S]*Engine:[\s\S]*Version:\s+20\.10/);
    same(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}']);
    same(['info', '--format', '{{.Containers}} {{.Images}} {{.ServerVersion}} {{json .Driver}}']);
    expect(strata('info').stdout).toMatch(/Server Version: 20\.10/);
    expect(strata('--log-level', 'debug', 'version', '--format', '{{.Server.APIVersion}}').stderr).toMatch(/HEAD \/_ping[\s\S]*GET \/v1\.41\/version/);
  });

  it('images, tag, rmi, inspect of an image', () => {
    same(['images']);
    same(['images', '-q']);
    same(['images', '--format', '{{json .}}']);
    same(['images', '--format', 'table {{.Repository}}\t{{.Tag}}\t{{.Size}}']);
    expect(strata('tag', 'busybox', 'bb:x').status).toBe(0);
    same(['images', 'bb']);
    same(['inspect', '--type', 'image', '--format', '{{.Id}} {{.RepoTags}} {{.Config.Cmd}}', 'bb:x']);
    expect(strata('rmi', 'bb:x')).toMatchObject({ status: 0, stdout: 'Untagged: bb:x\n' });
    same(['rmi', 'nosuch:img']);
  });

  it('run attached: output, stderr, exit code, -e -w -u, -i, --rm', () => {
    same(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    same(['run', '--rm', '-e', 'A=1', '--env', 'B', '-w', '/tmp', '-u', '1:2', 'busybox', 'sh', '-c', 'echo $A-$B; pwd; id']);
    same(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'line1\nline2\n' });
    same(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'a', 'b']);
    same(['run', '--rm', '--hostname', 'box', '--add-host', 'h1:10.1.2.3', 'busybox', 'sh', '-c', 'hostname; grep h1 /etc/hosts | cut -f1']);
    same(['run', '--rm', '--read-only', 'busybox', 'touch', '/x']);
    // big output survives the multiplexed stream intact
    const big = strata('run', '--rm', 'busybox', 'sh', '-c', 'seq 1 100000');
    expect(big.stdout.split('\n').length).toBe(100001);
    expect(docker('ps', '-aq').stdout).toBe('');
  });

  it('exit statuses: 125 daemon errors, 126 cannot invoke, 127 not found', () => {
    const nf = strata('run', '--rm', 'busybox', 'nosuchcmd');
    expect(nf.status).toBe(127);
    expect(nf.stderr).toMatch(/^strata: Error response from daemon: .*executable file not found/);
    expect(strata('run', '--rm', 'busybox', '/etc').status).toBe(126);
    expect(docker('run', '--rm', 'busybox', '/etc').status).toBe(126);
    const noimg = strata('run', '--rm', '127.0.0.1:1/nosuch:1');
    expect(noimg.status).toBe(125);
    expect(noimg.stderr).toMatch(/^Unable to find image '127\.0\.0\.1:1\/nosuch:1' locally\nstrata: Error response from daemon: /);
    same(['rm']);
    same(['rm', '--nope', 'x']);
    same(['rm', 'nosuch']);
    same(['inspect', 'nosuch']);
    same(['stop', 'nosuch']);
    expect(strata('nosuchcommand').status).toBe(1);
    expect(strata('run', '--cpus', 'x', 'busybox').status).toBe(125);
  });

  it('run -d, ps formats and filters, logs, exec, inspect, top, stats, wait, stop, rm', () => {
    const id = strata('run', '-d', '--name', 'c1', '--label', 'k=v', 'busybox', 'sh', '-c', 'echo started; echo warn >&2; while true; do sleep 1; done').stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(strata('create', '--name', 'c2', 'busybox', 'true').stdout).toMatch(/^[0-9a-f]{64}\n$/);
    sleep(300);
    same(['ps']);
    same(['ps', '-a']);
    same(['ps', '-q']);
    same(['ps', '-aq', '--no-trunc']);
    same(['ps', '-a', '--format', '{{.Names}}\t{{.Status}}\t{{.Label "k"}}']);
    same(['ps', '-a', '--format', 'table {{.ID}}\t{{.Names}}\t{{.State}}']);
    same(['ps', '-a', '--format', '{{json .}}']);
    same(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}']);
    same(['ps', '--filter', 'label=k=v', '-q']);
    same(['logs', 'c1']);
    same(['logs', '--tail', '1', 'c1']);
    same(['logs', '-t', 'c1']);
    same(['exec', 'c1', 'sh', '-c', 'echo o; echo e >&2; exit 5']);
    same(['exec', '-e', 'X=1', '-w', '/etc', '-u', 'nobody', 'c1', 'sh', '-c', 'echo $X; pwd; id -u']);
    same(['exec', '-i', 'c1', 'sh', '-c', 'tr a-z A-Z'], { input: 'hello\n' });
    same(['exec', 'c1', 'nosuchcmd']);
    expect(strata('exec', '-d', 'c1', 'touch', '/tmp/detached').status).toBe(0);
    sleep(300);
    same(['exec', 'c1', 'ls', '/tmp/detached']);
    same(['inspect', '--format', '{{.State.Status}} {{.Name}} {{json .Config.Cmd}} {{.Config.Labels}}', 'c1', 'c2']);
    expect(JSON.parse(strata('inspect', 'c1').stdout)).toEqual(JSON.parse(docker('inspect', 'c1').stdout));
    same(['container', 'inspect', '--format', '{{.Id}}', 'c1']);
    same(['top', 'c1']);
    const st = strata('stats', '--no-stream');
    expect(st.status).toBe(0);
    expect(st.stdout.split('\n')[0]).toBe(docker('stats', '--no-stream').stdout.split('\n')[0]);
    expect(st.stdout).toMatch(/\nc?[0-9a-f]{12}\s+c1\s+\d+\.\d\d%\s+[\d.]+[KMG]?i?B \/ [\d.]+[KMG]?i?B/);
    expect(strata('pause', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    expect(strata('ps', '--format', '{{.Status}}').stdout).toMatch(/\(Paused\)/);
    expect(strata('unpause', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    expect(strata('rename', 'c2', 'c3')).toMatchObject({ status: 0, stdout: '' });
    same(['rename', 'nosuch', 'c4']);
    expect(strata('stop', '-t', '1', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    same(['wait', 'c1']);
    expect(strata('wait', 'c1').stdout).toBe('137\n');
    same(['ps', '-a', '--format', '{{.Names}} {{.Status}}']);
    expect(strata('start', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    expect(strata('kill', '-s', 'KILL', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    same(['kill', 'c1']);
    expect(strata('restart', '-t', '0', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    expect(strata('ps', '--format', '{{.Names}} {{.State}}').stdout).toBe('c1 running\n');
    expect(strata('rm', '-f', 'c1', 'c3')).toMatchObject({ status: 0, stdout: 'c1\nc3\n' });
    same(['rm', '-f', 'c1']);
  });

  it('resource, restart, security and network flags make the same container as docker run', () => {
    const flags = ['--memory', '64m', '--cpus', '0.5', '--pids-limit', '10', '--restart', 'on-failure:2', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', '--dns', '10.0.0.53', '--label', 'x=y', '--read-only', '--tmpfs', '/scratch', '--network', 'none', '--stop-signal', 'SIGUSR1', '-e', 'K=V'];
    const fmt = '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{json .HostConfig.RestartPolicy}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.Dns}} {{.HostConfig.ReadonlyRootfs}} {{json .HostConfig.Tmpfs}} {{.HostConfig.NetworkMode}} {{.Config.StopSignal}} {{.Config.Labels}} {{.Config.Env}}';
    docker('create', '--name', 'flags-docker', ...flags, 'busybox', 'true');
    strata('create', '--name', 'flags-strata', ...flags, 'busybox', 'true');
    const a = docker('inspect', '--format', fmt, 'flags-docker').stdout;
    expect(a).toMatch(/^67108864 500000000 10 \{"MaximumRetryCount":2,"Name":"on-failure"\} \[CAP_NET_ADMIN\] \[ALL\] \[10\.0\.0\.53\] true/);
    expect(strata('inspect', '--format', fmt, 'flags-strata').stdout).toBe(a);
    strata('rm', 'flags-docker', 'flags-strata');
    same(['run', '--rm', '--cap-drop', 'ALL', '--cap-add', 'NET_ADMIN', 'busybox', 'grep', 'Cap', '/proc/self/status']);
    same(['run', '--rm', '--privileged', 'busybox', 'grep', 'CapEff', '/proc/self/status']);
    same(['run', '--rm', '--pids-limit', '10', '--memory', '64m', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max']);
    same(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
  });

  it('logs -f follows until the container exits; --since', () => {
    strata('run', '-d', '--name', 'follow', 'busybox', 'sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 0.4; done');
    const f = strata('logs', '-f', 'follow');
    expect(f).toMatchObject({ status: 0, stdout: 'line 1\nline 2\nline 3\n' });
    same(['logs', '--since', '1h', 'follow']);
    same(['logs', '--since', String(Math.floor(Date.now() / 1000) + 60), 'follow']);
    strata('rm', 'follow');
  });

  it('start -a returns the exit code; wait and --rm with -d', () => {
    strata('create', '--name', 'sa', 'busybox', 'sh', '-c', 'echo hi; exit 4');
    const r = strata('start', '-a', 'sa');
    expect(r).toMatchObject({ status: 4, stdout: 'hi\n' });
    strata('rm', 'sa');
    strata('run', '-d', '--rm', '--name', 'gone', 'busybox', 'true');
    sleep(1000);
    expect(docker('ps', '-aq', '--filter', 'name=gone').stdout).toBe('');
  });

  it('run -it: raw TTY, the size at start and after SIGWINCH (POST /resize)', () => {
    const r = onPty([process.execPath, STRATA, 'run', '--rm', '-it', 'busybox', 'sh', '-c', 'sleep 1; stty size; sleep 3; stty size; exit 7'], d.env(), { rows: 33, cols: 91, resize: { afterText: '33 91', rows: 40, cols: 100 } });
    expect(r.status).toBe(7);
    expect(r.stdout.replace(/\r/g, '')).toBe('33 91\n40 100\n');
    // Docker's raw mode clears OPOST: one \r per line, as the container's TTY wrote it.
    expect(r.stdout).toContain('33 91\r\n40 100\r\n');
    strata('run', '-d', '--name', 'ttyc', 'busybox', 'sleep', '100');
    const e = onPty([process.execPath, STRATA, 'exec', '-it', 'ttyc', 'sh', '-c', 'sleep 0.5; stty size; exit 3'], d.env(), { rows: 21, cols: 77 });
    expect(e.status).toBe(3);
    expect(e.stdout.replace(/\r/g, '')).toContain('21 77');
    strata('rm', '-f', 'ttyc');
  });

  it('cp both directions, directories, and tar on stdout/stdin', () => {
    strata('run', '-d', '--name', 'cpc', 'busybox', 'sleep', '100');
    const dir = path.join(d.dir, 'cp');
    fs.mkdirSync(path.join(dir, 'tree', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'tree', 'a.txt'), 'A');
    fs.writeFileSync(path.join(dir, 'tree', 'sub', 'b.txt'), 'B');
    expect(strata('cp', path.join(dir, 'tree', 'a.txt'), 'cpc:/tmp/').status).toBe(0);
    expect(strata('cp', path.join(dir, 'tree'), 'cpc:/tmp/newtree').status).toBe(0);
    expect(docker('exec', 'cpc', 'sh', '-c', 'cat /tmp/a.txt /tmp/newtree/a.txt /tmp/newtree/sub/b.txt').stdout).toBe('AAB');
    expect(strata('cp', 'cpc:/tmp/newtree', path.join(dir, 'back')).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'back', 'sub', 'b.txt'), 'utf8')).toBe('B');
    fs.mkdirSync(path.join(dir, 'into'));
    expect(strata('cp', 'cpc:/etc/hostname', path.join(dir, 'into')).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'into', 'hostname'), 'utf8')).toBe(docker('exec', 'cpc', 'cat', '/etc/hostname').stdout);
    const tar = spawnSync(process.execPath, [STRATA, 'cp', 'cpc:/tmp/newtree', '-'], { env: d.env() });
    const list = spawnSync('tar', ['t'], { input: tar.stdout, encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
    expect(list).toEqual(['newtree/', 'newtree/a.txt', 'newtree/sub/', 'newtree/sub/b.txt']);
    // a tar on stdin is extracted into the destination directory
    const up = spawnSync(process.execPath, [STRATA, 'cp', '-', 'cpc:/'], { env: d.env(), input: tar.stdout });
    expect(up.status).toBe(0);
    expect(docker('exec', 'cpc', 'cat', '/newtree/sub/b.txt').stdout).toBe('B');
    same(['cp', 'cpc:/nonexistent', dir]);
    strata('rm', '-f', 'cpc');
  });

  it('volumes and networks', () => {
    same(['volume', 'create', `v${process.pid}`]);
    same(['volume', 'ls']);
    same(['volume', 'ls', '-q']);
    same(['volume', 'inspect', '--format', '{{.Name}} {{.Driver}}', `v${process.pid}`]);
    same(['run', '--rm', '-v', `v${process.pid}:/data`, 'busybox', 'sh', '-c', 'echo persisted > /data/f']);
    same(['run', '--rm', '--mount', `type=volume,source=v${process.pid},target=/d`, 'busybox', 'cat', '/d/f']);
    const bindDir = path.join(d.dir, 'bind');
    fs.mkdirSync(bindDir);
    fs.writeFileSync(path.join(bindDir, 'x'), 'bound');
    same(['run', '--rm', '-v', `${bindDir}:/b:ro`, 'busybox', 'cat', '/b/x']);
    expect(strata('volume', 'rm', `v${process.pid}`)).toMatchObject({ status: 0, stdout: `v${process.pid}\n` });
    same(['volume', 'rm', `v${process.pid}`]);
    const net = `n${process.pid}`;
    const id = strata('network', 'create', '--label', 'a=b', net).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    same(['network', 'ls']);
    same(['network', 'ls', '--filter', `name=${net}`, '--format', '{{.Name}} {{.Driver}} {{.Label "a"}}']);
    same(['network', 'inspect', '--format', '{{.Name}} {{.Driver}}', net]);
    expect(strata('network', 'rm', net)).toMatchObject({ status: 0, stdout: `${net}\n` });
    // docker 28 adds an "exit status 1" line of its own here; the daemon's message is the same
    const gone = strata('network', 'rm', net);
    expect(gone).toMatchObject({ status: 1, stdout: '' });
    expect(docker('network', 'rm', net).stderr).toContain(gone.stderr);
  });

  it('save and load', () => {
    const out = path.join(d.dir, 'saved.tar');
    expect(strata('save', '-o', out, 'busybox').status).toBe(0);
    expect(spawnSync('tar', ['tf', out], { encoding: 'utf8' }).stdout).toContain('manifest.json');
    same(['load', '-i', out]);
    const piped = spawnSync('sh', ['-c', `${process.execPath} ${STRATA} save busybox | ${process.execPath} ${STRATA} load -q`], { encoding: 'utf8', env: d.env() });
    expect(piped.stdout).toBe('Loaded image: busybox:latest\n');
    same(['load', '-i', path.join(d.dir, 'nope.tar')]);
  });

  it('build: context tar honouring .dockerignore, build args, labels, the classic builder stream', () => {
    const ctx = path.join(d.dir, 'ctx');
    fs.mkdirSync(path.join(ctx, 'skip'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nARG GREETING=hi\nENV G=$GREETING\nCOPY . /ctx/\nRUN ls /ctx | sort > /list\nCMD ["sh", "-c", "echo $G; cat /list"]\n');
    fs.writeFileSync(path.join(ctx, 'keep.txt'), 'k');
    fs.writeFileSync(path.join(ctx, 'secret.key'), 's');
    fs.writeFileSync(path.join(ctx, 'skip', 'x'), 'x');
    fs.writeFileSync(path.join(ctx, '.dockerignore'), '*.key\nskip\n');
    const b = strata('build', '-t', 'built:1', '--build-arg', 'GREETING=hello', '--label', 'made.by=strata', '--no-cache', ctx);
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/^Sending build context to Docker daemon {2}\d/);
    // the classic builder turns --label into a last LABEL step
    expect(b.stdout).toContain('Step 1/7 : FROM busybox');
    expect(b.stdout).toContain('Step 7/7 : LABEL made.by=strata');
    expect(b.stdout).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged built:1\n$/);
    expect(strata('run', '--rm', 'built:1').stdout).toBe('hello\nDockerfile\nkeep.txt\n');
    same(['inspect', '--format', '{{index .Config.Labels "made.by"}}', 'built:1']);
    const q = strata('build', '-q', '-t', 'built:2', ctx);
    expect(q.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const bad = strata('build', '-t', 'bad', '-f', path.join(ctx, 'nope'), ctx);
    expect(bad.status).toBe(1);
    fs.writeFileSync(path.join(ctx, 'Dockerfile.fail'), 'FROM busybox\nRUN exit 9\n');
    const fail = strata('build', '-f', path.join(ctx, 'Dockerfile.fail'), ctx);
    expect(fail.status).toBe(1);
    expect(fail.stderr).toMatch(/returned a non-zero code: 9/);
    strata('rmi', 'built:1', 'built:2');
  });

  it('events --since/--until print what docker prints', () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    strata('run', '--rm', '--name', 'ev', 'busybox', 'true');
    sleep(1100);
    const t1 = Math.floor(Date.now() / 1000);
    const r = same(['events', '--since', String(t0), '--until', String(t1), '--filter', 'container=ev']);
    expect(r.stdout).toMatch(/container create [0-9a-f]{64} \(image=busybox, name=ev\)/);
    same(['events', '--since', String(t0), '--until', String(t1), '--format', '{{json .}}']);
    same(['events', '--since', String(t0), '--until', String(t1), '--format', '{{.Type}} {{.Action}}']);
  });

  it.skipIf(!haveRegistry())('push and pull through a registry on 127.0.0.1, plain progress lines', async () => {
    const reg: RunningRegistry = await startRegistry();
    try {
      const ref = `${reg.host}/strata/bb:1`;
      expect(strata('tag', 'busybox', ref).status).toBe(0);
      const p = strata('push', ref);
      expect(p.status).toBe(0);
      expect(p.stdout).toMatch(/: Pushed\n[\s\S]*1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
      strata('rmi', ref);
      const a = strata('pull', ref);
      strata('rmi', ref);
      const b = docker('pull', ref);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toMatch(/Status: Downloaded newer image for .*\n127\.0\.0\.1:\d+\/strata\/bb:1\n$/);
      strata('rmi', ref);
      expect(strata('pull', '-q', ref).stdout).toBe(`${ref}\n`);
      const onTty = onPty([process.execPath, STRATA, 'pull', ref.replace(':1', ':1')], d.env(), { rows: 30, cols: 120 });
      expect(onTty.status).toBe(0);
      same(['pull', `${reg.host}/strata/nosuch:1`]);
      strata('rmi', ref);
    } finally {
      await reg.stop();
    }
  });
});
