// Real containerd 1.6 runs containerd-shim-strata-v2, unchanged, for each engine the shim can
// drive: strata-runtime (runtime io.containerd.strata.v2, the shim's default engine), runc and
// crun (runtime io.containerd.runc.v2 with --runc-binary: this containerd finds our shim first on
// its PATH under the runc shim's name, and the runc Options' BinaryName names the engine).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketAddress } from '../src/cli/main';
import { built, busyboxRootfs, defaultImage, has, isRoot, mountsUnder, PrivateContainerd, processesMatching, sleep, uniqueId, waitFor } from './helpers';

const IMAGE = 'strata.local/busybox:latest';
const ready = isRoot && built && has('containerd') && has('ctr') && fs.existsSync(defaultImage);

interface Engine {
  name: string;
  /** ctr run's runtime flags for this engine. */
  args: (dir: string) => string[];
}

// crun 1.8 refuses cgroup v1 hybrid hosts. BinaryName may be any runc-compatible program, so
// there it is a wrapper (as in spec-tests: a private mount namespace without the cgroup2 mount).
const hybrid = fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
function crunBinary(dir: string): string {
  if (!hybrid) return 'crun';
  const w = path.join(dir, 'crun-hybrid');
  if (!fs.existsSync(w)) fs.writeFileSync(w, `#!/bin/sh\nexec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified; exec crun "$@"' crun "$@"\n`, { mode: 0o755 });
  return w;
}

const engines: Engine[] = [
  { name: 'strata-runtime', args: () => ['--runtime', 'io.containerd.strata.v2'] },
  ...(has('runc') ? [{ name: 'runc', args: () => ['--runtime', 'io.containerd.runc.v2', '--runc-binary', 'runc'] }] : []),
  ...(has('crun') ? [{ name: 'crun', args: (dir: string) => ['--runtime', 'io.containerd.runc.v2', '--runc-binary', crunBinary(dir)] }] : []),
];

/** The shim process serving container `id` (its -id flag), if any. */
function shimOf(id: string): number[] {
  return processesMatching(`-id\0${id}\0`).filter((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('containerd-shim-'));
}

describe.skipIf(!ready)('containerd drives containerd-shim-strata-v2', () => {
  let ctd: PrivateContainerd;

  beforeAll(() => {
    // Our shim under both names: io.containerd.strata.v2 and io.containerd.runc.v2.
    ctd = new PrivateContainerd(['containerd-shim-strata-v2', 'containerd-shim-runc-v2']);
    ctd.start();
    const imp = ctd.ctr(['images', 'import', defaultImage]);
    if (imp.status !== 0) throw new Error(`ctr images import: ${imp.stderr}`);
  });
  afterAll(() => ctd?.stop());

  /** Nothing of container `id` is left: shim, container processes, socket, mounts, runtime state. */
  function expectNoLeaks(id: string) {
    expect(waitFor(() => processesMatching(id).length === 0, 5_000), `processes left: ${processesMatching(id)}`).toBe(true);
    expect(fs.existsSync(socketAddress(ctd.sock, ctd.ns, id).replace('unix://', ''))).toBe(false);
    expect(mountsUnder(ctd.dir)).toEqual([]);
    expect(fs.existsSync(path.join('/run/containerd/runc', ctd.ns, id))).toBe(false);
  }

  const stopped = (id: string) => new RegExp(`${id}\\s+\\d+\\s+STOPPED`).test(ctd.ctr(['t', 'ls']).stdout);

  /** SIGKILL a task, wait until it is STOPPED, remove task and container, check nothing is left. */
  function killAndRemove(id: string) {
    ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
    expect(waitFor(() => stopped(id))).toBe(true);
    expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
    expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
    expectNoLeaks(id);
  }

  for (const engine of engines) {
    describe(`engine ${engine.name}`, () => {
      const run = (id: string, args: string[], extra: string[] = []) => ctd.ctr(['run', ...engine.args(ctd.dir), ...extra, IMAGE, id, ...args]);
      const servedByUs = (id: string) => ctd.fullLog().includes(`serving containerd.task.v2.Task for ${ctd.ns}/${id}`);

      it('ctr run --rm <image>: output, exit code, and nothing left behind', () => {
        const id = uniqueId('run');
        const r = run(id, ['sh', '-c', 'echo hello from the strata shim; echo to stderr >&2; exit 3'], ['--rm']);
        expect(r.stdout, r.stderr + ctd.log()).toContain('hello from the strata shim');
        expect(r.stderr).toContain('to stderr');
        expect(r.status).toBe(3);
        expect(servedByUs(id)).toBe(true);
        expect(ctd.ctr(['c', 'ls', '-q']).stdout).not.toContain(id);
        expectNoLeaks(id);
      });

      it('stdin reaches the container and its end is the process EOF', () => {
        const id = uniqueId('stdin');
        const r = spawnSync('ctr', ['-a', ctd.sock, '-n', ctd.ns, 'run', '--rm', ...engine.args(ctd.dir), IMAGE, id, 'sh', '-c', 'wc -l; echo done'], { input: 'a\nb\nc\n', encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
        expect(r.stdout, r.stderr).toMatch(/^\s*3\s*\ndone/);
        expect(r.status).toBe(0);
        expectNoLeaks(id);
      });

      it('a terminal: the process sees a tty, and the output comes back (ctr run -t)', () => {
        if (!has('script')) return;
        const id = uniqueId('tty');
        const cmd = `ctr -a ${ctd.sock} -n ${ctd.ns} run --rm -t ${engine.args(ctd.dir).join(' ')} ${IMAGE} ${id} sh -c 'tty; echo tty-ok'`;
        const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', input: '' });
        expect(r.stdout, r.stderr + ctd.log()).toMatch(/\/dev\/pts\/\d+/);
        expect(r.stdout).toContain('tty-ok');
        // ctr resizes the terminal on start and on SIGWINCH, racing the exit: never an error.
        expect(r.stdout).not.toMatch(/resize pty/);
        expectNoLeaks(id);
      });

      it('a detached task: exec, ps, pause/resume, metrics, kill, delete', () => {
        const id = uniqueId('detached');
        expect(run(id, ['sleep', '60'], ['-d']).status, ctd.log()).toBe(0);
        const ex = ctd.ctr(['t', 'exec', '--exec-id', 'e1', id, 'sh', '-c', 'echo exec-ok; cat /proc/1/cmdline; exit 5']);
        expect(ex.stdout, ex.stderr).toContain('exec-ok');
        expect(ex.stdout).toContain('sleep');
        expect(ex.status).toBe(5);
        const ps = ctd.ctr(['t', 'ps', id]);
        expect(ps.stdout).toMatch(/^PID\s+INFO\n\d+\s+-/);
        expect(ctd.ctr(['t', 'pause', id]).status).toBe(0);
        expect(ctd.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+PAUSED`));
        expect(ctd.ctr(['t', 'resume', id]).status).toBe(0);
        expect(ctd.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+\\d+\\s+RUNNING`));
        const m = ctd.ctr(['t', 'metrics', id]);
        expect(m.stdout, m.stderr).toMatch(/memory\.usage(_in_bytes)?\s+[1-9]\d*/);
        expect(m.stdout).toMatch(/pids\.current\s+1/);
        killAndRemove(id);
      });

      it("publishes task events in containerd's order", async () => {
        const id = uniqueId('events');
        const ev = spawn('ctr', ['-a', ctd.sock, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
        await new Promise((r) => setTimeout(r, 300));
        try {
          expect(run(id, ['sleep', '30'], ['-d']).status).toBe(0);
          expect(ctd.ctr(['t', 'exec', '--exec-id', 'x1', id, 'true']).status).toBe(0);
          expect(ctd.ctr(['t', 'pause', id]).status).toBe(0);
          expect(ctd.ctr(['t', 'resume', id]).status).toBe(0);
          ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
          waitFor(() => stopped(id));
          ctd.ctr(['t', 'rm', id]);
          ctd.ctr(['c', 'rm', id]);
          await new Promise((r) => setTimeout(r, 500));
        } finally {
          ev.kill('SIGKILL');
        }
        const topics = out.split('\n').filter((l) => l.includes(id)).map((l) => /\/tasks\/[\w-]+/.exec(l)?.[0]).filter(Boolean);
        expect(topics).toEqual(['/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/exit', '/tasks/paused', '/tasks/resumed', '/tasks/exit', '/tasks/delete']);
      });

      it('an OOM kill under a memory limit is published as /tasks/oom before the exit', async () => {
        const id = uniqueId('oom');
        const ev = spawn('ctr', ['-a', ctd.sock, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
        await new Promise((r) => setTimeout(r, 300));
        try {
          // busybox `tail /dev/zero` keeps the (endless) last line in memory until it is killed.
          const r = run(id, ['sh', '-c', 'tail /dev/zero; echo "tail ended: $?"'], ['--rm', '--memory-limit', String(16 << 20)]);
          expect(r.stdout, r.stderr).toContain('tail ended: 137');
          await new Promise((r) => setTimeout(r, 500));
        } finally {
          ev.kill('SIGKILL');
        }
        const topics = out.split('\n').filter((l) => l.includes(id)).map((l) => /\/tasks\/[\w-]+/.exec(l)?.[0]);
        expect(topics, out).toContain('/tasks/oom');
        expect(topics.indexOf('/tasks/oom')).toBeLessThan(topics.lastIndexOf('/tasks/exit'));
        expectNoLeaks(id);
      });

      it('containers outlive containerd, and a restarted containerd reconnects to the shim', () => {
        const id = uniqueId('survive');
        expect(run(id, ['sleep', '60'], ['-d']).status).toBe(0);
        const pid = ctd.taskPid(id);
        ctd.crash();
        sleep(300);
        expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
        ctd.start();
        expect(ctd.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${id}\\s+${pid}\\s+RUNNING`));
        const ex = ctd.ctr(['t', 'exec', '--exec-id', 'after', id, 'echo', 'still-here']);
        expect(ex.stdout, ex.stderr).toContain('still-here');
        killAndRemove(id);
      });

      it('if the shim dies, containerd runs `delete` and the container is cleaned up', () => {
        const id = uniqueId('shimdies');
        expect(run(id, ['sleep', '60'], ['-d']).status).toBe(0);
        const pid = ctd.taskPid(id);
        const [shim] = shimOf(id);
        expect(shim).toBeGreaterThan(0);
        process.kill(shim, 'SIGKILL');
        expect(waitFor(() => !new RegExp(`${id}\\s+\\d+\\s+RUNNING`).test(ctd.ctr(['t', 'ls']).stdout))).toBe(true);
        expect(waitFor(() => !fs.existsSync(`/proc/${pid}/cmdline`) || fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '', 5_000)).toBe(true);
        ctd.ctr(['t', 'rm', '-f', id]);
        expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
        expectNoLeaks(id);
      });
    });
  }

  it('one shim serves the containers of a group (io.containerd.runc.v2.group), and ends after the last', () => {
    const a = uniqueId('grp-a');
    const b = uniqueId('grp-b');
    const group = uniqueId('group');
    const run = (id: string) => ctd.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', '--annotation', `io.containerd.runc.v2.group=${group}`, IMAGE, id, 'sleep', '30']);
    expect(run(a).status).toBe(0);
    expect(run(b).status).toBe(0);
    expect(shimOf(a)).toHaveLength(1);
    expect(shimOf(b)).toHaveLength(0); // b has no shim of its own
    expect(ctd.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${b}\\s+\\d+\\s+RUNNING`));
    for (const id of [a, b]) {
      ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
      waitFor(() => stopped(id));
      expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
      expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
    }
    expect(waitFor(() => shimOf(a).length === 0, 5_000)).toBe(true);
    expect(fs.existsSync(socketAddress(ctd.sock, ctd.ns, group).replace('unix://', ''))).toBe(false);
    expectNoLeaks(a);
    expectNoLeaks(b);
  });

  it('--runtime-config-path: a runtime config file names the engine (runtimeoptions.v1.Options)', () => {
    if (!has('runc')) return;
    const id = uniqueId('cfgpath');
    const cfg = path.join(ctd.dir, 'strata-runc.toml');
    fs.writeFileSync(cfg, 'BinaryName = "runc"\n');
    expect(ctd.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', '--runtime-config-path', cfg, IMAGE, id, 'sleep', '30']).status).toBe(0);
    expect(path.basename(fs.readFileSync(path.join(ctd.bundle(id), 'runtime'), 'utf8'))).toBe('runc');
    killAndRemove(id);
  });

  it('--rootfs without an image: the shim runs a plain directory', () => {
    const id = uniqueId('rootfs');
    const r = ctd.ctr(['run', '--rm', '--runtime', 'io.containerd.strata.v2', '--rootfs', busyboxRootfs, id, '/bin/sh', '-c', 'echo from a directory']);
    expect(r.stdout, r.stderr).toContain('from a directory');
    expect(r.status).toBe(0);
    expectNoLeaks(id);
  });
});
