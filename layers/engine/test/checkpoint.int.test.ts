// Checkpoint and restore through strata-engine (docker's experimental `docker checkpoint`), on a
// private strata-manager.
//   everywhere (the docker CLI against the engine): --experimental on /_ping, /info and /version;
//     ls and rm; a checkpoint where CRIU cannot run fails fast with CRIU's own reason and leaves the
//     container running and nothing behind; bad names, unknown containers and checkpoints, wrong
//     states; a daemon without --experimental. strata prints what docker prints.
//   where `criu check` passes (the Debian 12 qemu guest: `npm run test:checkpoint`; no docker CLI
//     and no CNI plugins there, so strata and --network none): the busybox counter checkpointed and
//     restored goes on counting where it stopped; --leave-running; a restore into another container
//     with --checkpoint-dir (moving a running process); rm.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineDaemon, engineBin, haveDocker, strataBin, type RunResult } from './engineHarness';

const IMAGE_OCI = '/var/lib/strata/images/busybox.oci.tar';
const COUNTER = 'i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done';
const ready = process.getuid?.() === 0 && fs.existsSync(IMAGE_OCI) && fs.existsSync(engineBin) && fs.existsSync(strataBin);
const criuWorks = spawnSync('criu', ['check'], { stdio: 'ignore' }).status === 0;
const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (!ready) console.warn('checkpoint: skipped, needs root, the busybox image and a build (node scripts/build.mjs)');
else if (!criuWorks) console.warn('checkpoint: `criu check` fails here: only the API, the errors and the fast failure are tested (real CRIU: npm run test:checkpoint)');

/**
 * The repository's shim and runtime first on PATH, where the manager looks for
 * containerd-shim-strata-v2 (/usr/local/bin may link to another checkout, or be absent in the guest).
 */
function distOnPath(dir: string): void {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  const repo = path.resolve(path.dirname(engineBin), '../../..');
  fs.symlinkSync(path.join(repo, 'layers/shim/dist/containerd-shim-strata-v2.mjs'), path.join(bin, 'containerd-shim-strata-v2'));
  fs.symlinkSync(path.join(repo, 'layers/runtime/dist/strata-runtime.mjs'), path.join(bin, 'strata-runtime'));
  process.env.PATH = `${bin}:${process.env.PATH}`;
}

/** GET/POST/DELETE on the engine's socket: status, the Docker-Experimental header, the body. */
function api(sock: string, method: string, p: string, body?: unknown): Promise<{ status: number; experimental?: string; body: string }> {
  const data = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    // agent: false, a connection per request: a pooled keep-alive one may have been closed by the
    // engine while this process sat in spawnSync (its close unseen), and the write fails with EPIPE
    const req = http.request({ socketPath: sock, method, path: `/v1.50${p}`, agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, experimental: res.headers['docker-experimental'] as string | undefined, body: text }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The container's events so far (GET /events up to now), their actions. */
async function eventActions(sock: string, container: string): Promise<string[]> {
  const filters = encodeURIComponent(JSON.stringify({ container: [container] }));
  const r = await api(sock, 'GET', `/events?since=0&until=${Date.now() / 1000}&filters=${filters}`);
  return r.body
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).Action as string);
}

/** What an attach (POST /containers/{id}/attach, hijacked) receives on stdout within `ms`, or once `lines` lines came. */
function attachStdout(sock: string, container: string, lines: number, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method: 'POST', path: `/v1.50/containers/${container}/attach?stream=1&stdout=1`, agent: false, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
    req.on('error', reject);
    req.on('response', (res) => reject(new Error(`attach: ${res.statusCode}`)));
    req.on('upgrade', (_res, socket, head) => {
      let raw = head;
      let out = '';
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(out);
      };
      const timer = setTimeout(done, ms);
      // docker's multiplexed stream: [stream, 0, 0, 0, size (big-endian u32)] then size bytes
      const take = () => {
        while (raw.length >= 8 && raw.length >= 8 + raw.readUInt32BE(4)) {
          const size = raw.readUInt32BE(4);
          if (raw[0] === 1) out += raw.subarray(8, 8 + size).toString();
          raw = raw.subarray(8 + size);
        }
        if (out.split('\n').filter(Boolean).length >= lines) done();
      };
      socket.on('data', (d: Buffer) => {
        raw = Buffer.concat([raw, d]);
        take();
      });
      take();
    });
    req.end();
  });
}

/** The engine's leases and checkpoint temp dirs: what a failed or finished operation must not leave. */
function leftovers(e: EngineDaemon, dirs: string[]): string[] {
  const out = e
    .ctr(['leases', 'ls', '-q'])
    .stdout.split('\n')
    .filter((l) => l.startsWith('strata-engine-'))
    .map((l) => `lease ${l}`);
  for (const d of dirs) for (const n of fs.existsSync(d) ? fs.readdirSync(d) : []) if (n.startsWith('.partial-')) out.push(`partial checkpoint ${d}/${n}`);
  return out;
}

describe.skipIf(!ready || !haveDocker)('checkpoint endpoints, errors and --experimental (docker CLI; no CRIU needed)', () => {
  const args = ['--experimental'];
  const e = new EngineDaemon(args);
  const strata = (...a: string[]): RunResult => {
    const r = spawnSync(process.execPath, [strataBin, ...a], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL', env: { ...e.env(), STRATA_NO_AUTOSTART: '1' } });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  /** docker's answer, and strata's is the same (its name in place of docker's). */
  const both = (...a: string[]): RunResult => {
    const d = e.docker(a);
    const s = strata(...a);
    expect({ ...s, stderr: s.stderr.replace(/\bstrata(?= )/g, 'docker') }, `strata ${a.join(' ')}`).toEqual(d);
    return d;
  };
  let counterId = '';
  const ownDir = () => path.join(e.dataRoot, 'containers', counterId, 'checkpoints');
  const state = (name: string) => e.docker(['inspect', '--format', '{{.State.Status}}', name]).stdout.trim();

  beforeAll(() => {
    distOnPath(e.dir);
    e.start();
    counterId = e.docker(['run', '-d', '--name', 'counter', '--network', 'none', 'busybox', 'sh', '-c', COUNTER]).stdout.trim();
    expect(counterId).toMatch(/^[0-9a-f]{64}$/);
    e.docker(['create', '--name', 'stopped', '--network', 'none', 'busybox', 'true']);
  }, 120_000);
  afterAll(() => e.stop(), 60_000);

  it('says it is experimental: the Docker-Experimental header, info and version', async () => {
    expect((await api(e.sock, 'GET', '/_ping')).experimental).toBe('true');
    expect((await api(e.sock, 'GET', '/containers/json')).experimental).toBe('true');
    expect(e.docker(['info', '--format', '{{.ExperimentalBuild}}']).stdout).toBe('true\n');
    expect(e.docker(['version', '--format', '{{.Server.Experimental}}']).stdout).toBe('true\n');
  });

  it.skipIf(criuWorks)("checkpoint create fails fast with CRIU's reason and leaves the container running, no checkpoint, no lease", async () => {
    for (const flags of [[], ['--leave-running']]) {
      const t0 = Date.now();
      const r = both('checkpoint', 'create', ...flags, 'counter', 'cp1');
      expect(Date.now() - t0, 'a checkpoint that cannot work must say so at once').toBeLessThan(30_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^Error response from daemon: Cannot checkpoint container counter: .*criu/i);
      expect(state('counter')).toBe('running');
      expect(fs.existsSync(path.join(ownDir(), 'cp1'))).toBe(false);
      expect(leftovers(e, [ownDir()])).toEqual([]);
    }
    // no empty checkpoints directory either, and the counter still counts
    expect(fs.existsSync(ownDir())).toBe(false);
    const before = e.docker(['logs', 'counter']).stdout.split('\n').length;
    sleep(1_000);
    expect(e.docker(['logs', 'counter']).stdout.split('\n').length).toBeGreaterThan(before);
    expect(await eventActions(e.sock, 'counter')).not.toContain('checkpoint');
  });

  it.skipIf(criuWorks)("start --checkpoint where CRIU cannot run: CRIU's reason, the container unchanged, the checkpoint kept, no lease", () => {
    // a checkpoint directory as CRIU would leave it (enough for the engine, the manager and the
    // shim to get to `criu restore`): the engine sends it as a tar through the content store
    const stoppedId = e.docker(['inspect', '--format', '{{.Id}}', 'stopped']).stdout.trim();
    const dir = path.join(e.dataRoot, 'containers', stoppedId, 'checkpoints', 'cp1');
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'inventory.img'), Buffer.alloc(64, 1));
    fs.writeFileSync(path.join(dir, 'sub', 'pages-1.img'), Buffer.alloc(300_000, 2));
    for (let i = 0; i < 2; i++) {
      // twice: the second restore meets the first one's blob if the collector has not run yet
      const r = both('start', '--checkpoint', 'cp1', 'stopped');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^Error response from daemon: Cannot restore container stopped from checkpoint cp1: .*criu/i);
      expect(state('stopped')).toMatch(/^(created|exited)$/);
      expect(fs.readdirSync(dir).sort()).toEqual(['inventory.img', 'sub']);
      expect(leftovers(e, [])).toEqual([]);
    }
    expect(e.leaks()).toEqual([]);
    fs.rmSync(path.dirname(dir), { recursive: true });
  });

  it('ls and rm work on the checkpoint directories (own and --checkpoint-dir); strata prints the same', () => {
    expect(both('checkpoint', 'ls', 'counter').stdout).toBe('CHECKPOINT NAME\n');
    // checkpoints are directories: two, plus what ls must not show (a file, an interrupted create)
    for (const n of ['cp2', 'cp1', '.partial-cp3-x']) fs.mkdirSync(path.join(ownDir(), n), { recursive: true });
    fs.writeFileSync(path.join(ownDir(), 'notes'), 'x');
    expect(both('checkpoint', 'ls', 'counter').stdout).toBe('CHECKPOINT NAME\ncp1\ncp2\n');
    expect(both('checkpoint', 'list', counterId.slice(0, 12)).stdout).toBe('CHECKPOINT NAME\ncp1\ncp2\n');
    const shared = path.join(e.dir, 'shared');
    fs.mkdirSync(path.join(shared, 'moved'), { recursive: true });
    expect(both('checkpoint', 'ls', '--checkpoint-dir', shared, 'stopped').stdout).toBe('CHECKPOINT NAME\nmoved\n');
    expect(both('checkpoint', 'ls', '--checkpoint-dir', path.join(e.dir, 'none-yet'), 'stopped').stdout).toBe('CHECKPOINT NAME\n');
    // rm prints nothing, as docker
    expect(e.docker(['checkpoint', 'rm', 'counter', 'cp1'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(strata('checkpoint', 'rm', 'counter', 'cp2')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(strata('checkpoint', 'rm', '--checkpoint-dir', shared, 'stopped', 'moved')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(fs.readdirSync(ownDir()).sort()).toEqual(['.partial-cp3-x', 'notes']);
    expect(fs.readdirSync(shared)).toEqual([]);
    expect(both('checkpoint', 'ls', 'counter').stdout).toBe('CHECKPOINT NAME\n');
    fs.rmSync(ownDir(), { recursive: true });
  });

  it('bad names, unknown containers and checkpoints, wrong states: clear errors, nothing changed or left', async () => {
    const refused = (a: string[], message: RegExp) => {
      const r = both(...a);
      expect(r.status, a.join(' ')).toBe(1);
      expect(r.stderr, a.join(' ')).toMatch(message);
    };
    refused(['checkpoint', 'create', 'counter', 'a'], /^Error response from daemon: invalid checkpoint name "a": it must match/);
    refused(['checkpoint', 'create', 'counter', '../x'], /invalid checkpoint name "\.\.\/x"/);
    // a name that looks like a flag is a flag error (125), as in docker
    expect(both('checkpoint', 'create', 'counter', '-x')).toMatchObject({ status: 125, stderr: expect.stringMatching(/unknown shorthand flag: 'x' in -x/) });
    refused(['checkpoint', 'create', '--checkpoint-dir', 'relative', 'counter', 'cp1'], /checkpoint-dir: must be an absolute path \(got "relative"\)/);
    // ".." as a name: strata sends it as it is and the engine refuses the name. (The docker CLI
    // cleans the path to DELETE /containers/counter first: it asks to remove the container!)
    expect(strata('checkpoint', 'rm', 'counter', '..')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^Error response from daemon: invalid checkpoint name "\.\."/) });
    expect((await api(e.sock, 'DELETE', '/containers/counter/checkpoints/..')).status).toBe(400);
    refused(['checkpoint', 'create', 'nosuch', 'cp1'], /^Error response from daemon: No such container: nosuch\n$/);
    refused(['checkpoint', 'ls', 'nosuch'], /No such container: nosuch/);
    refused(['checkpoint', 'rm', 'counter', 'nosuch'], /^Error response from daemon: checkpoint nosuch does not exist for container counter\n$/);
    refused(['checkpoint', 'create', 'stopped', 'cp1'], /^Error response from daemon: container [0-9a-f]{64} is not running\n$/);
    refused(['start', '--checkpoint', 'nope', 'stopped'], /^Error response from daemon: checkpoint nope does not exist for container stopped\n$/);
    refused(['start', '--checkpoint', 'nope', 'nosuch'], /No such container: nosuch/);
    refused(['start', '--checkpoint', 'cp1', 'counter'], /cannot restore a checkpoint into container [0-9a-f]{64}: it is running/);
    refused(['start', '--checkpoint', 'cp1', 'counter', 'stopped'], /you cannot restore multiple containers at once/);
    expect(state('stopped')).toBe('created');
    expect(state('counter')).toBe('running');
    expect(fs.existsSync(ownDir())).toBe(false);
    expect(fs.existsSync(path.join(e.dataRoot, 'containers', e.docker(['inspect', '--format', '{{.Id}}', 'stopped']).stdout.trim(), 'checkpoints'))).toBe(false);
    expect(leftovers(e, [])).toEqual([]);
    expect(e.leaks()).toEqual([]);
  });

  it('without --experimental: the CLIs refuse, the API answers 501 (start?checkpoint= 400)', async () => {
    args.length = 0;
    expect(await e.terminate()).toBe(0);
    e.start();
    expect((await api(e.sock, 'GET', '/_ping')).experimental).toBe('false');
    expect(e.docker(['info', '--format', '{{.ExperimentalBuild}}']).stdout).toBe('false\n');
    for (const a of [['checkpoint', 'ls', 'counter'], ['checkpoint', 'create', 'counter', 'cp1'], ['checkpoint', 'rm', 'counter', 'cp1']]) {
      const r = both(...a);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`docker ${a.slice(0, 2).join(' ')} is only supported on a Docker daemon with experimental features enabled\n`);
    }
    expect(both('start', '--checkpoint', 'cp1', 'stopped').stderr).toBe('"--checkpoint" is only supported on a Docker daemon with experimental features enabled\n');
    for (const [method, p] of [
      ['POST', '/containers/counter/checkpoints'],
      ['GET', '/containers/counter/checkpoints'],
      ['DELETE', '/containers/counter/checkpoints/cp1'],
    ]) {
      const r = await api(e.sock, method, p, method === 'POST' ? { CheckpointID: 'cp1', Exit: true } : undefined);
      expect({ status: r.status, message: JSON.parse(r.body).message }, `${method} ${p}`).toEqual({ status: 501, message: expect.stringMatching(/experimental feature: start strata-engine with --experimental/) });
    }
    const r = await api(e.sock, 'POST', '/containers/stopped/start?checkpoint=cp1');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toMatch(/^checkpoint: restoring from a checkpoint needs an experimental daemon/);
    expect(state('stopped')).toBe('created');
    expect(state('counter')).toBe('running');
  }, 120_000);
});

describe.skipIf(!ready || !criuWorks)('checkpoint and restore with CRIU (strata CLI; the guest)', () => {
  // --bridge none: the guest has no CNI plugins; the containers run with --network none (loopback
  // in a netns of their own, which CRIU takes as external and the restore is given anew)
  const e = new EngineDaemon(['--experimental', '--bridge', 'none'], 'strata-manager', 400_000);
  const strata = (...a: string[]): RunResult => {
    const r = spawnSync(process.execPath, [strataBin, ...a], { encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL', env: { ...e.env(), STRATA_NO_AUTOSTART: '1' } });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const ok = (...a: string[]): string => {
    const r = strata(...a);
    expect(r, `strata ${a.join(' ')}`).toMatchObject({ status: 0, stderr: '' });
    return r.stdout;
  };
  const numbers = (name: string): number[] =>
    ok('logs', name)
      .split('\n')
      .filter(Boolean)
      .map(Number);
  /** Wait (bounded: the guest is emulated and slow) until the container's log satisfies `cond`. */
  const waitLog = (name: string, cond: (n: number[]) => boolean, what: string): number[] => {
    const end = Date.now() + 180_000;
    let n = numbers(name);
    while (!cond(n) && Date.now() < end) {
      sleep(500);
      n = numbers(name);
    }
    expect(cond(n), `${name}: ${what} (log ends ${n.slice(-5).join(',')})`).toBe(true);
    return n;
  };
  const consecutive = (n: number[], from = 0) => n.every((x, i) => x === from + i);
  const inspect = (name: string, f: string) => ok('inspect', '--format', f, name).trim();
  const shared = () => path.join(e.dir, 'moving');

  beforeAll(() => {
    distOnPath(e.dir);
    e.start();
  }, 600_000);
  afterAll(async () => {
    expect(leftovers(e, [shared()])).toEqual([]);
    expect(e.leaks()).toEqual([]);
    await e.stop();
  }, 600_000);

  it('checkpoint create stops the counter (no restart despite --restart always); start --checkpoint goes on counting', async () => {
    // No -i: the task's stdin is the host's /dev/null, which the runtime swaps for the container's
    // own /dev/null after pivot_root (as runc does); CRIU could not dump the host's ("Can't lookup
    // mount=N for fd=0 path=/dev/null"). The moves below use -i: stdin a pipe from the shim.
    ok('run', '-d', '--name', 'counter', '--restart', 'always', '--network', 'none', 'busybox', 'sh', '-c', COUNTER);
    waitLog('counter', (n) => n.length >= 10, 'counts');
    expect(ok('checkpoint', 'create', 'counter', 'cp1')).toBe('cp1\n');
    expect(inspect('counter', '{{.State.Status}}')).toBe('exited');
    const stoppedAt = numbers('counter');
    expect(consecutive(stoppedAt), 'the log before the checkpoint').toBe(true);
    const id = inspect('counter', '{{.Id}}');
    expect(fs.existsSync(path.join(e.dataRoot, 'containers', id, 'checkpoints', 'cp1', 'inventory.img'))).toBe(true);
    expect(ok('checkpoint', 'ls', 'counter')).toBe('CHECKPOINT NAME\ncp1\n');
    // stopped on purpose: the restart policy leaves it alone
    sleep(3_000);
    expect(inspect('counter', '{{.State.Status}} {{.RestartCount}}')).toBe('exited 0');
    expect(numbers('counter')).toEqual(stoppedAt);

    expect(strata('start', '--checkpoint', 'cp1', 'counter')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(inspect('counter', '{{.State.Status}}')).toBe('running');
    const after = waitLog('counter', (n) => n.length >= stoppedAt.length + 10, 'counts again after the restore');
    // one unbroken count: the restored shell went on from its own i, it did not start over at 0
    expect(consecutive(after), `the log across the restore: ...${after.slice(stoppedAt.length - 3, stoppedAt.length + 3).join(',')}...`).toBe(true);
    // an attach follows the restored process too
    const seen = (await attachStdout(e.sock, 'counter', 3, 60_000)).split('\n').filter(Boolean).map(Number);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen[0]).toBeGreaterThan(stoppedAt[stoppedAt.length - 1]);
    const events = await eventActions(e.sock, 'counter');
    expect(events.filter((a) => ['checkpoint', 'die', 'start'].includes(a))).toEqual(['start', 'checkpoint', 'die', 'start']);
  });

  it('--leave-running keeps counting; --checkpoint-dir restores it into another container (the process moves)', () => {
    fs.mkdirSync(shared());
    expect(ok('checkpoint', 'create', '--leave-running', '--checkpoint-dir', shared(), 'counter', 'cp2')).toBe('cp2\n');
    expect(inspect('counter', '{{.State.Status}}')).toBe('running');
    const at = numbers('counter').length;
    waitLog('counter', (n) => n.length >= at + 5, 'goes on counting after --leave-running');
    expect(ok('checkpoint', 'ls', '--checkpoint-dir', shared(), 'counter')).toBe('CHECKPOINT NAME\ncp2\n');

    ok('create', '-i', '--name', 'moved', '--network', 'none', 'busybox', 'sh', '-c', COUNTER);
    expect(strata('start', '--checkpoint', 'cp2', '--checkpoint-dir', shared(), 'moved')).toEqual({ status: 0, stdout: '', stderr: '' });
    const moved = waitLog('moved', (n) => n.length >= 5, 'counts in the new container');
    // the moved process starts where the counter was at the checkpoint, not at 0
    expect(moved[0]).toBeGreaterThan(0);
    expect(moved[0]).toBeLessThanOrEqual(at + 1);
    expect(consecutive(moved, moved[0])).toBe(true);
    expect(inspect('moved', '{{.State.Status}}')).toBe('running');
    expect(inspect('counter', '{{.State.Status}}')).toBe('running');
    // a checkpoint stays after a restore: the same images start a third copy at once (its blob
    // may still be in the content store from the restore before)
    ok('create', '-i', '--name', 'moved2', '--network', 'none', 'busybox', 'sh', '-c', COUNTER);
    expect(strata('start', '--checkpoint', 'cp2', '--checkpoint-dir', shared(), 'moved2')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(waitLog('moved2', (n) => n.length >= 3, 'counts in a third container')[0]).toBe(moved[0]);
    ok('rm', '-f', 'moved', 'moved2');
  });

  it('rm removes a checkpoint (own and --checkpoint-dir); a second rm is a 404', () => {
    expect(strata('checkpoint', 'rm', 'counter', 'cp1')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(ok('checkpoint', 'ls', 'counter')).toBe('CHECKPOINT NAME\n');
    expect(strata('checkpoint', 'rm', '--checkpoint-dir', shared(), 'counter', 'cp2')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(fs.readdirSync(shared())).toEqual([]);
    const r = strata('checkpoint', 'rm', '--checkpoint-dir', shared(), 'counter', 'cp2');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('Error response from daemon: checkpoint cp2 does not exist for container counter\n');
    ok('rm', '-f', 'counter');
  });
});
