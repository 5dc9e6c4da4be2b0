// Real containerd 1.6 runs containerd-shim-strata-v2 (ctr run --runtime <shim>), unchanged. The
// shim drives strata-runtime, or runc through the runc options' BinaryName (ctr --runc-binary).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketAddress } from '../src/cli/main';
import { built, busyboxRootfs, has, isRoot, mountsUnder, PrivateContainerd, processesMatching, shimBin, sleep, uniqueId, waitFor } from './helpers';

describe.skipIf(!isRoot || !built || !has('containerd') || !has('ctr'))('containerd drives containerd-shim-strata-v2', () => {
  let ctd: PrivateContainerd;
  const run = (id: string, args: string[], extra: string[] = []) => ctd.ctr(['run', '--runtime', shimBin, ...extra, '--rootfs', busyboxRootfs, id, ...args]);

  /** Nothing of container `id` is left: shim, container processes, socket, mounts, runtime state. */
  function expectNoLeaks(id: string) {
    expect(waitFor(() => processesMatching(id).length === 0, 5_000), `processes left: ${processesMatching(id)}`).toBe(true);
    expect(fs.existsSync(socketAddress(ctd.sock, ctd.ns, id).replace('unix://', ''))).toBe(false);
    expect(mountsUnder(ctd.dir)).toEqual([]);
    expect(fs.existsSync(path.join('/run/containerd/runc', ctd.ns, id))).toBe(false);
  }

  beforeAll(() => {
    ctd = new PrivateContainerd();
    ctd.start();
  });
  afterAll(() => ctd?.stop());

  it('ctr run --rm: output, exit code, and nothing left behind', () => {
    const id = uniqueId('run');
    const r = run(id, ['sh', '-c', 'echo hello from the strata shim; echo to stderr >&2; exit 3'], ['--rm']);
    expect(r.stdout, ctd.log()).toContain('hello from the strata shim');
    expect(r.stderr).toContain('to stderr');
    expect(r.status).toBe(3);
    expect(ctd.ctr(['c', 'ls', '-q']).stdout).not.toContain(id);
    expectNoLeaks(id);
  });

  it('stdin reaches the container and ends with CloseIO (ctr run attaches stdin)', () => {
    const id = uniqueId('stdin');
    const r = spawnSync('ctr', ['-a', ctd.sock, '-n', ctd.ns, 'run', '--rm', '--runtime', shimBin, '--rootfs', busyboxRootfs, id, 'sh', '-c', 'wc -l; echo done'], { input: 'a\nb\nc\n', encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    expect(r.stdout, r.stderr).toMatch(/^\s*3\s*\ndone/);
    expect(r.status).toBe(0);
    expectNoLeaks(id);
  });

  it('a terminal: the process sees a tty, and the output comes back (ctr run -t)', () => {
    if (!has('script')) return;
    const id = uniqueId('tty');
    const cmd = `ctr -a ${ctd.sock} -n ${ctd.ns} run --rm -t --runtime ${shimBin} --rootfs ${busyboxRootfs} ${id} sh -c 'tty; echo tty-ok'`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', input: '' });
    expect(r.stdout, r.stderr + ctd.log()).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain('tty-ok');
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
    expect(ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]).status).toBe(0);
    expect(waitFor(() => new RegExp(`${id}\\s+\\d+\\s+STOPPED`).test(ctd.ctr(['t', 'ls']).stdout))).toBe(true);
    expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
    expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
    expectNoLeaks(id);
  });

  it('publishes task events in containerd\'s order', async () => {
    const id = uniqueId('events');
    const ev = spawn('ctr', ['-a', ctd.sock, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    ev.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => setTimeout(r, 300));
    expect(run(id, ['sleep', '30'], ['-d']).status).toBe(0);
    expect(ctd.ctr(['t', 'exec', '--exec-id', 'x1', id, 'true']).status).toBe(0);
    expect(ctd.ctr(['t', 'pause', id]).status).toBe(0);
    expect(ctd.ctr(['t', 'resume', id]).status).toBe(0);
    ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
    waitFor(() => /STOPPED/.test(ctd.ctr(['t', 'ls']).stdout));
    ctd.ctr(['t', 'rm', id]);
    ctd.ctr(['c', 'rm', id]);
    await new Promise((r) => setTimeout(r, 500));
    ev.kill();
    const topics = out.split('\n').filter((l) => l.includes(id)).map((l) => /\/tasks\/[\w-]+/.exec(l)?.[0]).filter(Boolean);
    expect(topics).toEqual(['/tasks/create', '/tasks/start', '/tasks/exec-added', '/tasks/exec-started', '/tasks/exit', '/tasks/paused', '/tasks/resumed', '/tasks/exit', '/tasks/delete']);
  });

  it('stands in for containerd-shim-runc-v2 and drives runc or crun through --runc-binary', () => {
    // ctr accepts --runc-binary only with the runtime io.containerd.runc.v2, which containerd
    // resolves to containerd-shim-runc-v2 on its PATH: a containerd whose PATH finds our shim
    // under that name. The runc Options (BinaryName) reach the shim in CreateTaskRequest.options.
    const other = new PrivateContainerd('containerd-shim-runc-v2');
    // Without an image config the process has no PATH; runc's exec then finds nothing (crun and
    // strata-runtime fall back to execvp's default path).
    const pathEnv = ['--env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'];
    try {
      other.start();
      // crun 1.8 refuses cgroup v1 hybrid hosts; BinaryName may be any runc-compatible program,
      // so there it is spec-tests' wrapper (a private mount namespace without the cgroup2 mount).
      const hybrid = fs.existsSync('/sys/fs/cgroup/unified/cgroup.controllers');
      const crun = path.join(other.dir, 'crun-hybrid');
      if (hybrid) fs.writeFileSync(crun, `#!/bin/sh\nexec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified; exec crun "$@"' crun "$@"\n`, { mode: 0o755 });
      for (const binary of ['runc', ...(has('crun') ? [hybrid ? crun : 'crun'] : [])]) {
        const id = uniqueId(path.basename(binary));
        const r = other.ctr(['run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-binary', binary, ...pathEnv, '--rootfs', busyboxRootfs, id, 'sh', '-c', `echo via ${path.basename(binary)}; exit 7`]);
        expect(r.stdout, r.stderr + other.log()).toContain(`via ${path.basename(binary)}`);
        expect(r.status).toBe(7);
        // Our shim served it (it is first on this containerd's PATH under the runc shim's name).
        expect(fs.readFileSync(path.join(other.dir, 'containerd.log'), 'utf8')).toContain(`serving containerd.task.v2.Task for ${other.ns}/${id}`);
        // A detached task: the shim records the runtime it drives in the bundle.
        const d = uniqueId(`${path.basename(binary)}-d`);
        expect(other.ctr(['run', '-d', '--runtime', 'io.containerd.runc.v2', '--runc-binary', binary, ...pathEnv, '--rootfs', busyboxRootfs, d, 'sleep', '30']).status).toBe(0);
        expect(path.basename(fs.readFileSync(path.join(other.bundle(d), 'runtime'), 'utf8'))).toBe(path.basename(binary));
        const ex = other.ctr(['t', 'exec', '--exec-id', 'e', d, 'echo', `exec via ${path.basename(binary)}`]);
        expect(ex.stdout, ex.stderr).toContain(`exec via ${path.basename(binary)}`);
        other.ctr(['t', 'kill', '-s', 'SIGKILL', d]);
        expect(waitFor(() => new RegExp(`${d}\\s+\\d+\\s+STOPPED`).test(other.ctr(['t', 'ls']).stdout))).toBe(true);
        expect(other.ctr(['t', 'rm', d]).status).toBe(0);
        expect(other.ctr(['c', 'rm', d]).status).toBe(0);
        expect(processesMatching(d)).toEqual([]);
      }
    } finally {
      other.stop();
    }
  });

  it('one shim serves containers of one group (io.containerd.runc.v2.group)', () => {
    const a = uniqueId('grp-a');
    const b = uniqueId('grp-b');
    const group = uniqueId('group');
    expect(run(a, ['sleep', '30'], ['-d', '--annotation', `io.containerd.runc.v2.group=${group}`]).status).toBe(0);
    expect(run(b, ['sleep', '30'], ['-d', '--annotation', `io.containerd.runc.v2.group=${group}`]).status).toBe(0);
    const shims = processesMatching('containerd-shim-strata-v2').filter((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(a));
    expect(shims.length).toBe(1);
    expect(processesMatching(`-id\0${b}`).length).toBe(0); // b has no shim of its own
    expect(ctd.ctr(['t', 'ls']).stdout).toMatch(new RegExp(`${b}\\s+\\d+\\s+RUNNING`));
    for (const id of [a, b]) {
      ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
      waitFor(() => new RegExp(`${id}\\s+\\d+\\s+STOPPED`).test(ctd.ctr(['t', 'ls']).stdout));
      expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
      expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
    }
    // The shared shim ends after its last container.
    expect(waitFor(() => processesMatching(a).length === 0, 5_000)).toBe(true);
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
    ctd.ctr(['t', 'kill', '-s', 'SIGKILL', id]);
    expect(waitFor(() => new RegExp(`${id}\\s+\\d+\\s+STOPPED`).test(ctd.ctr(['t', 'ls']).stdout))).toBe(true);
    expect(ctd.ctr(['t', 'rm', id]).status).toBe(0);
    expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
    expectNoLeaks(id);
  });

  it('if the shim dies, containerd runs `delete` and the container is cleaned up', () => {
    const id = uniqueId('shimdies');
    expect(run(id, ['sleep', '60'], ['-d']).status).toBe(0);
    const pid = ctd.taskPid(id);
    const [shim] = processesMatching('containerd-shim-strata-v2').filter((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(id));
    expect(shim).toBeGreaterThan(0);
    process.kill(shim, 'SIGKILL');
    expect(waitFor(() => !new RegExp(`${id}\\s+\\d+\\s+RUNNING`).test(ctd.ctr(['t', 'ls']).stdout))).toBe(true);
    expect(waitFor(() => !fs.existsSync(`/proc/${pid}/cmdline`) || fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') === '', 5_000)).toBe(true);
    ctd.ctr(['t', 'rm', '-f', id]);
    expect(ctd.ctr(['c', 'rm', id]).status).toBe(0);
    expectNoLeaks(id);
  });
});
