// `strata` (the CLI) against strata-engine (private, on a private strata-manager), side by side
// with the real docker CLI on the same engine: the same smoke subset as cliDockerd.int.test.ts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineDaemon, engineBin, haveDocker } from './engineHarness';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const STRATA = path.join(repo, 'layers/engine/dist/strata.mjs');
const IMAGE_OCI = '/var/lib/strata/images/busybox.oci.tar';
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const ready = process.getuid?.() === 0 && haveDocker && fs.existsSync(IMAGE_OCI) && fs.existsSync(engineBin) && fs.existsSync(STRATA);
if (!ready) console.warn('cliEngine: skipped, needs root, docker, the busybox image and a build (node scripts/build.mjs)');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(!ready)('strata CLI against strata-engine, compared with the docker CLI', () => {
  const e = new EngineDaemon();
  const run = (args: string[], o: { input?: string | Buffer; cwd?: string } = {}): Run => {
    const r = spawnSync(process.execPath, [STRATA, ...args], { encoding: 'utf8', input: o.input ?? '', cwd: o.cwd, timeout: 60_000, killSignal: 'SIGKILL', env: { ...e.env(), STRATA_NO_AUTOSTART: '1' } });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const strata = (...a: string[]) => run(a);
  const docker = (...a: string[]) => e.docker(a);
  /** Read-only commands: both CLIs print the same (retried when a clock tick changed "... ago"). */
  const same = (args: string[], o: { input?: string } = {}) => {
    let a: Run = { status: 0, stdout: '', stderr: '' };
    let b: Run = a;
    for (let i = 0; i < 6; i++) {
      a = e.docker(args, o);
      b = run(args, o);
      if (a.stdout === b.stdout && a.status === b.status) break;
    }
    expect({ status: b.status, stdout: b.stdout, stderr: b.stderr.replace(/\bstrata(?=[ :'])/g, 'docker') }).toEqual({ status: a.status, stdout: a.stdout, stderr: a.stderr });
    return b;
  };

  beforeAll(() => e.start(), 120_000);
  afterAll(() => e.stop(), 60_000);
  afterEach(() => {
    const ids = docker('ps', '-aq').stdout.split('\n').filter(Boolean);
    if (ids.length) docker('rm', '-f', ...ids);
    expect(e.leaks()).toEqual([]);
  }, 60_000);

  it('negotiates API 1.50; version, info, images', () => {
    expect(strata('version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}').stdout).toBe('1.50 1.50\n');
    expect(strata('--log-level', 'debug', 'info', '--format', '{{.OSType}}').stderr).toMatch(/HEAD \/_ping[\s\S]*GET \/v1\.50\/info/);
    same(['info', '--format', '{{.Containers}} {{.Images}} {{.Driver}}']);
    same(['images']);
    same(['images', '--format', '{{json .}}']);
  });

  it('run: attached output and exit code, -e -w -u, -i, --rm, 127', () => {
    same(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    same(['run', '--rm', '-e', 'A=1', '-w', '/tmp', '-u', '1:2', 'busybox', 'sh', '-c', 'echo $A; pwd; id']);
    same(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'in\n' });
    expect(strata('run', '--rm', 'busybox', 'seq', '1', '50000').stdout.split('\n').length).toBe(50001);
    expect(docker('ps', '-aq').stdout).toBe('');
  });

  it('run --rm of a command that cannot start: 127, and the daemon removes the container (as dockerd does)', () => {
    // (not compared with docker here: docker 28 waits for the removal without a bound and hangs
    // while the engine leaves the container; strata waits at most 5 s)
    const r = strata('run', '--rm', 'busybox', 'nosuchcmd');
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^strata: Error response from daemon: .*nosuchcmd/);
    expect(docker('ps', '-aq').stdout, 'an --rm container whose start failed is left behind by the engine').toBe('');
  });

  it('run -d, ps, logs, exec, inspect, top, stats, stop, wait, rm', () => {
    expect(strata('run', '-d', '--name', 'c1', 'busybox', 'sh', '-c', 'echo started; exec sleep 1000').stdout).toMatch(/^[0-9a-f]{64}\n$/);
    sleep(500);
    // (STATUS and CREATED tick independently of the CLI: the columns that cannot change)
    same(['ps', '--format', 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.Ports}}\t{{.Names}}']);
    same(['ps', '-a', '--format', '{{.Names}} {{.Image}} {{.Command}} {{.State}}']);
    same(['logs', 'c1']);
    same(['logs', '-t', 'c1']);
    same(['exec', 'c1', 'sh', '-c', 'echo o; echo e >&2; exit 5']);
    same(['exec', '-i', 'c1', 'tr', 'a-z', 'A-Z'], { input: 'hello\n' });
    same(['inspect', '--format', '{{.State.Status}} {{.Name}} {{json .Config.Cmd}}', 'c1']);
    same(['top', 'c1']);
    const st = strata('stats', '--no-stream');
    expect(st.status).toBe(0);
    expect(st.stdout).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS\n[0-9a-f]{12}\s+c1\s+\d+\.\d\d%/);
    expect(strata('stop', '-t', '1', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    same(['wait', 'c1']);
    expect(strata('rm', 'c1')).toMatchObject({ status: 0, stdout: 'c1\n' });
    same(['rm', 'c1']);
    same(['inspect', 'c1']);
  });

  it('run -it: the TTY has the size of ours from the start (ConsoleSize on create)', () => {
    const py = `
import pty, os, sys, struct, fcntl, termios
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 91, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
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
    const r = spawnSync('python3', ['-c', py, process.execPath, STRATA, 'run', '--rm', '-it', 'busybox', 'sh', '-c', 'stty size; exit 7'], { encoding: 'utf8', env: { ...e.env(), STRATA_NO_AUTOSTART: '1' }, timeout: 60_000 });
    expect(r.status).toBe(7);
    expect(r.stdout.replace(/\r/g, '')).toBe('33 91\n');
  });

  it('cp both ways, volumes, networks', () => {
    strata('run', '-d', '--name', 'cpc', 'busybox', 'sleep', '100');
    const f = path.join(e.dir, 'up.txt');
    fs.writeFileSync(f, 'uploaded');
    expect(strata('cp', f, 'cpc:/tmp/').status).toBe(0);
    expect(strata('cp', 'cpc:/tmp/up.txt', path.join(e.dir, 'down.txt')).status).toBe(0);
    expect(fs.readFileSync(path.join(e.dir, 'down.txt'), 'utf8')).toBe('uploaded');
    const vol = `sv${process.pid}`;
    expect(strata('volume', 'create', vol).stdout).toBe(`${vol}\n`);
    same(['volume', 'ls']);
    expect(strata('run', '--rm', '-v', `${vol}:/d`, 'busybox', 'sh', '-c', 'echo kept > /d/f').status).toBe(0);
    expect(strata('run', '--rm', '-v', `${vol}:/d`, 'busybox', 'cat', '/d/f').stdout).toBe('kept\n');
    expect(strata('volume', 'rm', vol).stdout).toBe(`${vol}\n`);
    const net = `sn${process.pid}`;
    expect(strata('network', 'create', net).stdout).toMatch(/^[0-9a-f]{64}\n$/);
    same(['network', 'ls']);
    expect(strata('network', 'rm', net)).toMatchObject({ status: 0, stdout: `${net}\n` });
  });

  it('save/load, build, events', () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    const out = path.join(e.dir, 'bb.tar');
    expect(strata('save', '-o', out, 'busybox').status).toBe(0);
    expect(strata('load', '-i', out).stdout).toMatch(/Loaded image: busybox:latest\n/);
    const ctx = path.join(e.dir, 'ctx');
    fs.mkdirSync(ctx);
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx/\nRUN ls /ctx > /list\nCMD ["cat", "/list"]\n');
    fs.writeFileSync(path.join(ctx, 'keep.txt'), 'k');
    fs.writeFileSync(path.join(ctx, 'drop.txt'), 'd');
    fs.writeFileSync(path.join(ctx, '.dockerignore'), 'drop.txt\n');
    const b = strata('build', '-t', 'cli-built:1', ctx);
    expect(b.status, b.stdout + b.stderr).toBe(0);
    expect(strata('run', '--rm', 'cli-built:1').stdout).toBe('Dockerfile\nkeep.txt\n');
    expect(strata('rmi', 'cli-built:1').status).toBe(0);
    strata('run', '--rm', '--name', 'evc', 'busybox', 'true');
    sleep(1100);
    const t1 = Math.floor(Date.now() / 1000);
    const ev = same(['events', '--since', String(t0), '--until', String(t1), '--filter', 'container=evc']);
    expect(ev.stdout).toMatch(/container start [0-9a-f]{64} \(.*name=evc/);
  });
});
