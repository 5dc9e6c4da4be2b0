// strata-crictl end to end against strata-cri (a private strata-manager underneath): crictl's
// everyday verbs in the order a person uses them, their table/JSON/quiet outputs, exit codes and
// error messages. The pod and container configs are written as crictl's documentation writes
// them (JSON with snake_case fields).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRegistry } from '@strata/manager/testing';
import { isRoot } from '@strata/shim/testing';
import { BUSYBOX, built, CriDaemon, crictlBin } from './harness';

const ready = isRoot && haveRegistry() && built();

describe.skipIf(!ready)('strata-crictl against strata-cri', () => {
  const cri = new CriDaemon();
  const podFile = path.join(cri.dir, 'pod.json');
  const ctrFile = path.join(cri.dir, 'ctr.json');
  const logDir = path.join(cri.dir, 'logs');
  let pod = '';
  let ctr = '';
  let imageId = '';
  const run = (args: string[], o?: Parameters<CriDaemon['crictl']>[1]) => cri.crictl(args, o);

  beforeAll(async () => {
    await cri.start();
    fs.writeFileSync(podFile, JSON.stringify({ metadata: { name: 'web', namespace: 'default', uid: `uid-${process.pid}`, attempt: 1 }, log_directory: logDir, linux: {} }, null, 2));
    fs.writeFileSync(
      ctrFile,
      JSON.stringify({ metadata: { name: 'shell' }, image: { image: BUSYBOX }, command: ['sh', '-c', 'echo hello; echo oops >&2; echo two; exec sleep 1000'], log_path: 'shell.log', linux: {} }, null, 2),
    );
  }, 120_000);

  afterAll(async () => {
    await cri.stop();
    expect(cri.leaks()).toEqual([]);
  }, 60_000);

  it('version names the runtime', () => {
    const r = run(['version']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Version:  0.1.0\nRuntimeName:  strata-cri\nRuntimeVersion:  0.1.0\nRuntimeApiVersion:  v1\n');
    expect(r.status).toBe(0);
  });

  it('info shows RuntimeReady and NetworkReady', () => {
    const r = run(['info']);
    expect(r.status, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const types = doc.status.conditions.map((c: { type: string }) => c.type);
    expect(types).toEqual(expect.arrayContaining(['RuntimeReady', 'NetworkReady']));
    expect(doc.status.conditions.find((c: { type: string }) => c.type === 'RuntimeReady').status).toBe(true);
  });

  it('pull, images (table, -q, -o json), inspecti, imagefsinfo', () => {
    const p = run(['pull', BUSYBOX]);
    expect(p.status, p.stderr).toBe(0);
    const m = /^Image is up to date for (sha256:[0-9a-f]{64})\n$/.exec(p.stdout);
    expect(m, p.stdout).not.toBeNull();
    imageId = m![1];
    const t = run(['images']);
    expect(t.status).toBe(0);
    const lines = t.stdout.split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^registry\\.k8s\\.io/busybox\\s+latest\\s+${imageId.slice(7, 20)}\\s+\\d+(\\.\\d+)?[kM]B$`)));
    expect(run(['images', '-q']).stdout.split('\n')).toContain(imageId);
    const j = JSON.parse(run(['images', '-o', 'json']).stdout);
    // the same content as the sandbox image the harness imported: one image, two tags
    expect(j.images.find((i: { id: string }) => i.id === imageId).repoTags).toContain(BUSYBOX);
    expect(typeof j.images[0].size).toBe('string'); // uint64 as protojson writes it
    const ii = JSON.parse(run(['inspecti', BUSYBOX]).stdout);
    expect(ii.status.id).toBe(imageId);
    expect(ii.info.imageSpec.config.Cmd).toEqual(['sh']); // crictl spreads the info map: .info, not .info.info
    const fsi = JSON.parse(run(['imagefsinfo']).stdout);
    expect(Number(fsi.status.imageFilesystems[0].usedBytes.value)).toBeGreaterThan(0);
  });

  it('runp starts a pod; pods lists it (table, -q, --name, -o json); inspectp', () => {
    const r = run(['runp', podFile]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    pod = r.stdout.trim();
    expect(pod).toMatch(/^[0-9a-f]{64}$/);
    const t = run(['pods']).stdout.split('\n');
    expect(t[0]).toMatch(/^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\s+ATTEMPT\s+RUNTIME$/);
    expect(t[1]).toMatch(new RegExp(`^${pod.slice(0, 13)}\\s+(Less than a second|\\d+ seconds?) ago\\s+Ready\\s+web\\s+default\\s+1\\s+\\(default\\)$`));
    expect(run(['pods', '-q']).stdout).toBe(`${pod}\n`);
    expect(run(['pods', '--name', 'nope', '-q']).stdout).toBe('');
    expect(JSON.parse(run(['pods', '-o', 'json']).stdout).items[0]).toMatchObject({ id: pod, state: 'SANDBOX_READY', metadata: { name: 'web', namespace: 'default', attempt: 1 } });
    const ip = JSON.parse(run(['inspectp', pod]).stdout);
    expect(ip.status).toMatchObject({ id: pod, state: 'SANDBOX_READY' });
    expect(typeof ip.info.pid).toBe('number'); // the verbose info at .info, as crictl prints it
  });

  it('create + start a container; ps shows it (table, -a, -q, --pod, -o json); inspect', () => {
    const c = run(['create', pod, ctrFile, podFile]);
    expect(c.stderr).toBe('');
    ctr = c.stdout.trim();
    expect(ctr).toMatch(/^[0-9a-f]{64}$/);
    expect(run(['ps', '-q']).stdout).toBe(''); // created, not running
    expect(run(['ps', '-a']).stdout).toMatch(new RegExp(`^${ctr.slice(0, 13)}\\s+${BUSYBOX.replace(/\./g, '\\.')}\\s+.*Created\\s+shell\\s+0\\s+${pod.slice(0, 13)}\\s+web`, 'm'));
    const s = run(['start', ctr]);
    expect(s.stdout).toBe(`${ctr}\n`);
    const t = run(['ps']).stdout.split('\n');
    expect(t[0]).toMatch(/^CONTAINER\s+IMAGE\s+CREATED\s+STATE\s+NAME\s+ATTEMPT\s+POD ID\s+POD$/);
    expect(t[1]).toMatch(/\sRunning\s+shell\s/);
    expect(run(['ps', '-q', '--pod', pod.slice(0, 8)]).stdout).toBe(`${ctr}\n`);
    expect(JSON.parse(run(['ps', '-o', 'json']).stdout).containers[0]).toMatchObject({ id: ctr, podSandboxId: pod, state: 'CONTAINER_RUNNING', metadata: { name: 'shell' } });
    const i = JSON.parse(run(['inspect', ctr]).stdout);
    expect(i.status).toMatchObject({ id: ctr, state: 'CONTAINER_RUNNING', logPath: path.join(logDir, 'shell.log') });
  });

  it('exec -s returns output and the exit code; --timeout kills', () => {
    const r = run(['exec', '-s', ctr, 'echo', 'hi', 'there']);
    expect(r.stdout).toBe('hi there\n');
    expect(r.status).toBe(0);
    const e = run(['exec', '--sync', ctr, 'sh', '-c', 'echo err >&2; exit 3']);
    expect(e.stderr).toBe('err\n');
    expect(e.status).toBe(3);
    const t0 = Date.now();
    const to = run(['exec', '-s', '--timeout', '1', ctr, 'sleep', '30']);
    expect(to.status).not.toBe(0);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('exec through the streaming server (no -s)', () => {
    const r = run(['exec', ctr, 'sh', '-c', 'echo streamed; echo to-err >&2; exit 4']);
    expect(r.stdout).toBe('streamed\n');
    expect(r.stderr).toBe('to-err\n');
    expect(r.status).toBe(4);
    const i = run(['exec', '-i', ctr, 'cat'], { input: 'from stdin\n' });
    expect(i.stdout).toBe('from stdin\n');
  });

  it('logs: both streams, --tail, --timestamps', () => {
    const r = run(['logs', ctr]);
    expect(r.stdout).toBe('hello\ntwo\n');
    expect(r.stderr).toBe('oops\n');
    // --tail counts lines of both streams, in the file's order
    const file = fs.readFileSync(path.join(logDir, 'shell.log'), 'utf8').trim().split('\n');
    const last = / (stdout|stderr) F (.*)$/.exec(file[file.length - 1])!;
    const t = run(['logs', '--tail', '1', ctr]);
    expect(last[1] === 'stdout' ? t.stdout : t.stderr).toBe(`${last[2]}\n`);
    expect(last[1] === 'stdout' ? t.stderr : t.stdout).toBe('');
    expect(run(['logs', '--timestamps', ctr]).stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z hello\n/);
  });

  it('stats lists the running container', () => {
    const r = run(['stats']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CONTAINER\s+NAME\s+CPU %\s+MEM\s+DISK\s+INODES\n/);
    expect(r.stdout).toMatch(new RegExp(`^${ctr.slice(0, 13)}\\s+shell\\s+\\d+\\.\\d\\d\\s+\\S+B`, 'm'));
  });

  it('errors: exit 1 with the gRPC code and the reason', () => {
    const nf = run(['inspect', 'f'.repeat(64)]);
    expect(nf.status).toBe(1);
    expect(nf.stderr).toMatch(/code = NotFound/);
    const bad = path.join(cri.dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ metadata: { name: 'x' }, log_dir: '/tmp' }));
    const b = run(['runp', bad]);
    expect(b.status).toBe(1);
    expect(b.stderr).toContain(`${bad}.log_dir: unknown field (of PodSandboxConfig)`);
    expect(run(['runp', path.join(cri.dir, 'missing.json')]).stderr).toMatch(/cannot read .*missing\.json: ENOENT/);
    const u = run(['frobnicate']);
    expect(u.status).toBe(1);
    expect(u.stderr).toMatch(/unknown command/);
    const f = run(['ps', '--bogus']);
    expect(f.status).toBe(1);
    expect(f.stderr).toMatch(/flag provided but not defined: -bogus/);
  });

  it('finds the endpoint in $CONTAINER_RUNTIME_ENDPOINT', () => {
    const r = cri.crictl(['version'], { endpoint: 'unix:///nonexistent/socket', env: {} });
    expect(r.status).toBe(1);
    const e = cri.crictl(['pods', '-q'], { endpoint: null, env: { CONTAINER_RUNTIME_ENDPOINT: cri.endpoint } });
    expect(e.stdout).toContain(pod);
  });

  it('port-forward: a local port reaches a server inside the pod', async () => {
    const cfg = path.join(cri.dir, 'server.json');
    fs.writeFileSync(cfg, JSON.stringify({ metadata: { name: 'server' }, image: { image: BUSYBOX }, command: ['sh', '-c', 'while true; do echo pong | nc -l -p 8080; done'], log_path: 'server.log', linux: {} }));
    const id = run(['create', pod, cfg, podFile]).stdout.trim();
    expect(run(['start', id]).status).toBe(0);
    const child = spawn(process.execPath, [crictlBin, '-r', cri.endpoint, 'port-forward', pod, '0:8080'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    try {
      const end = Date.now() + 20_000;
      while (!/Forwarding from 127\.0\.0\.1:\d+ -> 8080/.test(out) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      const port = Number(/127\.0\.0\.1:(\d+) -> 8080/.exec(out)?.[1]);
      expect(port, `${out}\n${err}`).toBeGreaterThan(0);
      // the server may need a moment to listen: a few bounded tries
      let got = '';
      for (let i = 0; i < 20 && !got.includes('pong'); i++) {
        got = await new Promise<string>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          let data = '';
          s.on('data', (d) => (data += d));
          s.on('close', () => resolve(data));
          s.on('error', () => resolve(data));
          s.setTimeout(3000, () => s.destroy());
        });
        if (!got.includes('pong')) await new Promise((r) => setTimeout(r, 250));
      }
      expect(got).toBe('pong\n');
    } finally {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      expect(await exited).toBe(0);
      clearTimeout(t);
    }
    const rm = run(['rm', '-f', id], { timeout: 60_000 });
    expect(rm.status, rm.stderr).toBe(0); // a leftover would fail the last test's empty `ps -a` instead
  });

  it('attach -i: stdin to the container, its output back', () => {
    const cfg = path.join(cri.dir, 'cat.json');
    fs.writeFileSync(cfg, JSON.stringify({ metadata: { name: 'cat' }, image: { image: BUSYBOX }, command: ['cat'], stdin: true, stdin_once: true, log_path: 'cat.log', linux: {} }));
    const id = run(['create', pod, cfg, podFile]).stdout.trim();
    expect(run(['start', id]).status).toBe(0);
    const r = run(['attach', '-i', id], { input: 'through attach\n', timeout: 30_000 });
    expect(r.stdout).toBe('through attach\n');
    expect(r.status).toBe(0);
    const rm = run(['rm', '-f', id], { timeout: 60_000 });
    expect(rm.status, rm.stderr).toBe(0); // a leftover would fail the last test's empty `ps -a` instead
  });

  it('stop, rm, stopp, rmp, rmi', () => {
    expect(run(['stop', '-t', '1', ctr]).stdout).toBe(`${ctr}\n`);
    expect(run(['ps', '-a']).stdout).toMatch(/\sExited\s+shell\s/);
    expect(JSON.parse(run(['inspect', ctr]).stdout).status.exitCode).toBe(137);
    expect(run(['rm', ctr]).stdout).toBe(`${ctr}\n`);
    expect(run(['ps', '-a', '-q']).stdout).toBe('');
    expect(run(['stopp', pod]).stdout).toBe(`Stopped sandbox ${pod}\n`);
    expect(run(['pods']).stdout).toMatch(/\sNotReady\s+web\s/);
    expect(run(['rmp', pod]).stdout).toBe(`Removed sandbox ${pod}\n`);
    expect(run(['pods', '-q']).stdout).toBe('');
    expect(run(['rmi', BUSYBOX]).stdout).toContain(`Deleted: ${BUSYBOX}\n`);
    expect(run(['images', '-q']).stdout).not.toContain(imageId);
  });
});
