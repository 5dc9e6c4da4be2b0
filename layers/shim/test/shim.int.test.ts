// The Task API over ttrpc, without containerd. The same script drives our shim and containerd's
// own containerd-shim-runc-v2: our ttrpc client and protobuf codec against the real shim, and
// our shim against the behaviour the real one shows. Then bad input (nothing may be left
// behind) and the process state table as a model that random call sequences are checked against.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowed, nextState, refusalCode, STATUS_NUMBER, type ProcessState, type TaskCall } from '../src/taskStates';
import { Code, encodeFrame, FrameReader, FrameType, MAX_PAYLOAD, TtrpcError, type Frame } from '../src/ttrpc';
import { AnyType, decode, encode, MetricsV1Type, MetricsV2Type, packAny, RuntimeOptionsType, TASK_SERVICE, TtrpcRequestType, TtrpcResponseType, unpackAny } from '../src/proto';
import { socketAddress } from '../src/cli/address';
import { built, busyboxRootfs, eventually, has, isRoot, mountsUnder, processesMatching, shimBin, uniqueId } from './helpers';
import { leftoverCgroups, ShimHarness } from './shimHarness';

const shims = [
  { name: 'containerd-shim-strata-v2 + strata-runtime', binary: shimBin, runtime: undefined },
  { name: 'containerd-shim-runc-v2 + runc', binary: 'containerd-shim-runc-v2', runtime: 'runc' },
].filter((s) => s.binary === shimBin || (has(s.binary) && has(s.runtime!)));

/** The ttrpc status code of a failed call (or 'ok'). */
async function codeOf(p: Promise<unknown>): Promise<number | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof TtrpcError) return e.code;
    throw e;
  }
}

describe.skipIf(!isRoot || !built)('a shim over ttrpc, as containerd drives it', () => {
  for (const s of shims) {
    it(`${s.name}: create, start, stdin/stdout, wait, state, pids, delete, shutdown, events`, async () => {
      const h = new ShimHarness(s.binary, s.runtime);
      const id = uniqueId('life');
      try {
        const bundle = h.bundle(id, ['sh', '-c', 'read line; echo "got $line"; echo err >&2; exit 4']);
        await h.start(bundle, id);
        const io = h.io(id);
        const created = await h.call('Create', { id, bundle, stdin: io.stdin, stdout: io.stdout.path, stderr: io.stderr.path, options: h.options() });
        expect(created.pid).toBeGreaterThan(0);
        expect((await h.call('State', { id })).status).toBe(STATUS_NUMBER.created);
        expect((await h.call('Start', { id })).pid).toBe(created.pid);
        const pids = await h.call('Pids', { id });
        expect(pids.processes.map((p: { pid: number }) => p.pid)).toContain(created.pid);
        const waiting = h.call('Wait', { id });
        io.write('hello\n');
        const exit = await waiting;
        expect(exit.exitStatus).toBe(4);
        const st = await h.call('State', { id });
        expect(st).toMatchObject({ status: STATUS_NUMBER.stopped, exitStatus: 4, pid: created.pid });
        expect(await eventually(() => io.stdout.text.includes('got hello') && io.stderr.text.includes('err')), io.stdout.text).toBe(true);
        const del = await h.call('Delete', { id });
        expect(del).toMatchObject({ pid: created.pid, exitStatus: 4 });
        expect(await codeOf(h.call('State', { id }))).toBe(Code.NotFound);
        expect(await h.shutdown()).toBe(true);
        const events = await h.eventsAtLeast(4);
        expect(events.map((e) => e.topic)).toEqual(['/tasks/create', '/tasks/start', '/tasks/exit', '/tasks/delete']);
        expect(events.map((e) => e.type)).toEqual(['containerd.events.TaskCreate', 'containerd.events.TaskStart', 'containerd.events.TaskExit', 'containerd.events.TaskDelete']);
        expect(fs.existsSync(h.address.replace('unix://', ''))).toBe(false);
        expect(fs.existsSync(path.join(h.runtimeRoot, h.ns, id))).toBe(false);
        expect(leftoverCgroups(id)).toEqual([]);
      } finally {
        await h.dispose();
      }
    });

    it(`${s.name}: exec with its own stdio, kill of an exec, concurrent Waits`, async () => {
      const h = new ShimHarness(s.binary, s.runtime);
      const id = uniqueId('exec');
      try {
        const bundle = h.bundle(id, ['sleep', '60']);
        await h.start(bundle, id);
        const io = h.io(id);
        await h.call('Create', { id, bundle, stdin: '', stdout: io.stdout.path, stderr: io.stderr.path, options: h.options() });
        await h.call('Start', { id });
        const spec = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')).process;
        const execs = ['a', 'b', 'c'];
        // read-only FIFO ends for a and b: their EOF is part of the contract checked below
        const eios = Object.fromEntries(execs.map((e) => [e, h.io(`${id}-${e}`, { eof: e !== 'c' })]));
        for (const e of execs) {
          const p = { ...spec, args: e === 'c' ? ['sleep', '60'] : ['sh', '-c', `echo exec ${e}; exit ${e === 'a' ? 3 : 5}`] };
          await h.call('Exec', { id, execId: e, stdin: '', stdout: eios[e].stdout.path, stderr: eios[e].stderr.path, spec: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process', value: Buffer.from(JSON.stringify(p)) } });
        }
        // Start all three at once: ttrpc multiplexes the calls on one connection.
        const started = await Promise.all(execs.map((e) => h.call('Start', { id, execId: e })));
        expect(new Set(started.map((r) => r.pid)).size).toBe(3);
        const waits = await Promise.all(['a', 'b'].map((e) => h.call('Wait', { id, execId: e })));
        expect(waits.map((w) => w.exitStatus)).toEqual([3, 5]);
        // Wait may answer before the output copy has drained (as with the runc shim): poll.
        expect(await eventually(() => eios.a.stdout.text === 'exec a\n' && eios.b.stdout.text === 'exec b\n'), eios.a.stdout.text + eios.b.stdout.text).toBe(true);
        // The shim closes an output FIFO once the process's output is complete, before Delete:
        // ExecSync and `ctr task exec` finish on that EOF (containerd's copyPipes closes it too).
        expect(await eventually(() => ['a', 'b'].every((e) => eios[e].stdout.ended && eios[e].stderr.ended)), 'EOF on the exec FIFOs before Delete').toBe(true);
        await h.call('Kill', { id, execId: 'c', signal: 9, all: false });
        expect((await h.call('Wait', { id, execId: 'c' })).exitStatus).toBe(137);
        for (const e of execs) await h.call('Delete', { id, execId: e });
        expect(await codeOf(h.call('State', { id, execId: 'a' }))).toBe(Code.NotFound);
        expect((await h.call('State', { id })).status).toBe(STATUS_NUMBER.running);
        await h.call('Kill', { id, signal: 9, all: false });
        expect((await h.call('Wait', { id })).exitStatus).toBe(137);
        await h.call('Delete', { id });
        expect(await h.shutdown()).toBe(true);
        const topics = (await h.eventsAtLeast(13)).map((e) => e.topic);
        expect(topics.filter((t) => t === '/tasks/exec-added')).toHaveLength(3);
        expect(topics.filter((t) => t === '/tasks/exec-started')).toHaveLength(3);
        expect(topics.filter((t) => t === '/tasks/exit')).toHaveLength(4);
        expect(topics.at(-1)).toBe('/tasks/delete');
        expect(processesMatching(bundle)).toEqual([]);
      } finally {
        await h.dispose();
      }
    });

    it(`${s.name}: file:// and binary:// stdio, and Stats as containerd's cgroup metrics`, async () => {
      const h = new ShimHarness(s.binary, s.runtime);
      const id = uniqueId('uri');
      const logger = path.join(h.dir, 'logger.sh');
      // A logging binary (containerd's contract): stdout on fd 3, stderr on fd 4, and closing
      // fd 5 says "ready". Query parameters arrive as arguments: ?dir=D -> "dir D".
      fs.writeFileSync(logger, '#!/bin/sh\nexec 5>&-\ncat <&3 >"$2/$CONTAINER_ID.out" &\ncat <&4 >"$2/$CONTAINER_ID.err" &\nwait\n', { mode: 0o755 });
      try {
        const bundle = h.bundle(id, ['sh', '-c', 'echo to-out; echo to-err >&2; exec sleep 30']);
        await h.start(bundle, id);
        const file = `file://${path.join(h.dir, 'logs', 'init.log')}`;
        await h.call('Create', { id, bundle, stdout: file, stderr: file, options: h.options() });
        await h.call('Start', { id });
        expect(await eventually(() => fs.existsSync(path.join(h.dir, 'logs', 'init.log')) && fs.readFileSync(path.join(h.dir, 'logs', 'init.log'), 'utf8').includes('to-err'))).toBe(true);
        expect(fs.readFileSync(path.join(h.dir, 'logs', 'init.log'), 'utf8')).toContain('to-out');
        // Stats: an Any holding io.containerd.cgroups.v1.Metrics or .v2.Metrics.
        const { stats } = await h.call('Stats', { id });
        const v2 = stats.typeUrl.endsWith('io.containerd.cgroups.v2.Metrics');
        expect(stats.typeUrl).toMatch(/io\.containerd\.cgroups\.v[12]\.Metrics$/);
        const m: any = unpackAny(v2 ? MetricsV2Type : MetricsV1Type, stats);
        expect(v2 ? m.memory.usage : m.memory.usage.usage).toBeGreaterThan(0);
        expect(m.pids.current).toBe(1);
        // An exec process logging through the binary.
        const spec = { ...JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')).process, args: ['sh', '-c', 'echo exec-out; echo exec-err >&2'] };
        const bin = `binary://${logger}?dir=${encodeURIComponent(h.dir)}`;
        await h.call('Exec', { id, execId: 'logged', stdout: bin, stderr: bin, spec: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process', value: Buffer.from(JSON.stringify(spec)) } });
        await h.call('Start', { id, execId: 'logged' });
        expect((await h.call('Wait', { id, execId: 'logged' })).exitStatus).toBe(0);
        const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
        // CONTAINER_ID of an exec's logger is the exec id (as containerd's runc shim sets it).
        expect(await eventually(() => read(path.join(h.dir, 'logged.out')) === 'exec-out\n' && read(path.join(h.dir, 'logged.err')) === 'exec-err\n'), read(path.join(h.dir, 'logged.out'))).toBe(true);
        await h.call('Delete', { id, execId: 'logged' });
        await h.call('Kill', { id, signal: 9, all: false });
        await h.call('Wait', { id });
        await h.call('Delete', { id });
        expect(await h.shutdown()).toBe(true);
        expect(processesMatching(logger)).toEqual([]);
      } finally {
        await h.dispose();
      }
    });
  }
});

describe.skipIf(!isRoot || !built)('containerd-shim-strata-v2 refuses bad input and leaves nothing behind', () => {
  let h: ShimHarness;
  const first = uniqueId('first');
  beforeAll(async () => {
    h = new ShimHarness(shimBin);
    await h.start(h.bundle(first, ['true']), first);
  });
  afterAll(async () => {
    expect(await h.shutdown()).toBe(true);
    expect(fs.existsSync(h.address.replace('unix://', ''))).toBe(false);
    await h.dispose();
  });

  /** Nothing of `id` remains: runtime state, processes, mounts, cgroups. */
  function expectNothingLeft(id: string) {
    expect(fs.existsSync(path.join(h.runtimeRoot, h.ns, id)), 'runtime state dir').toBe(false);
    expect(processesMatching(id)).toEqual([]);
    expect(mountsUnder(h.dir)).toEqual([]);
    expect(leftoverCgroups(id)).toEqual([]);
  }

  it('an invalid container id', async () => {
    const bundle = h.bundle('ok-bundle', ['true']);
    for (const id of ['../escape', '', 'a/b', '-flag']) {
      const err = await h.call('Create', { id, bundle, options: h.options() }).catch((e) => e);
      expect(err, id).toBeInstanceOf(TtrpcError);
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.message).toMatch(/^id: /);
    }
    expect(fs.existsSync(path.join(h.runtimeRoot, h.ns))).toBe(false);
  });

  it('a bundle that is not one', async () => {
    const id = uniqueId('nobundle');
    const err = await h.call('Create', { id, bundle: path.join(h.dir, 'missing'), options: h.options() }).catch((e) => e);
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.message).toMatch(/^bundle: /);
    expectNothingLeft(id);
  });

  it('a config the runtime rejects: its reason names the field, and the mounted rootfs is unmounted', async () => {
    const id = uniqueId('badcfg');
    const bundle = h.bundle(id, [], (c) => {
      c.root = { path: 'rootfs' };
    });
    fs.mkdirSync(path.join(bundle, 'rootfs'));
    const err = await h
      .call('Create', {
        id,
        bundle,
        // A rootfs mount as containerd passes one (here a bind of the busybox tree): the shim
        // mounts it on <bundle>/rootfs before the runtime runs, and must undo it on failure.
        rootfs: [{ type: 'bind', source: busyboxRootfs, target: '', options: ['rbind', 'ro'] }],
        options: h.options(),
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(TtrpcError);
    expect(err.message).toMatch(/OCI runtime create failed: .*\/process\/args/);
    expectNothingLeft(id);
  });

  it('runtime options of an unknown type, or naming a config file that is not there', async () => {
    const id = uniqueId('badopts');
    const bundle = h.bundle(id, ['true']);
    const bad = await h.call('Create', { id, bundle, options: { typeUrl: 'example.com/Other', value: Uint8Array.from([1]) } }).catch((e) => e);
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.message).toMatch(/^options: unsupported type example.com\/Other/);
    const missing = await h.call('Create', { id, bundle, options: packAny(RuntimeOptionsType, { configPath: path.join(h.dir, 'no-such.toml') }) }).catch((e) => e);
    expect(missing.code).toBe(Code.InvalidArgument);
    expect(missing.message).toMatch(/^options.config_path: cannot read/);
    expectNothingLeft(id);
  });

  it('`start` with unreadable options on stdin fails and leaves no daemon and no socket', () => {
    const id = uniqueId('badstart');
    const bundle = h.bundle(id, ['true']);
    const address = path.join(h.dir, `other-${id}.sock`); // its own socket name, not the harness's shim
    const r = spawnSync(shimBin, ['-namespace', h.ns, '-address', address, '-publish-binary', '/bin/false', '-id', id, 'start'], {
      cwd: bundle,
      input: encode(AnyType, { typeUrl: 'example.com/Other', value: Uint8Array.from([1]) }),
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/options: unsupported type/);
    expect(fs.existsSync(socketAddress(address, h.ns, id).replace('unix://', ''))).toBe(false);
    expect(processesMatching(`-id\0${id}\0`)).toEqual([]);
  });

  it('a rootfs mount that cannot be mounted', async () => {
    const id = uniqueId('badmount');
    const bundle = h.bundle(id, ['true'], (c) => (c.root = { path: 'rootfs' }));
    fs.mkdirSync(path.join(bundle, 'rootfs'));
    const err = await h.call('Create', { id, bundle, rootfs: [{ type: 'bind', source: path.join(h.dir, 'no-such-source'), target: '', options: ['rbind'] }], options: h.options() }).catch((e) => e);
    expect(err).toBeInstanceOf(TtrpcError);
    expect(err.message).toMatch(/rootfs/);
    expectNothingLeft(id);
  });

  it('stdio that is neither a FIFO nor a file:// or binary:// URI', async () => {
    const id = uniqueId('badio');
    const bundle = h.bundle(id, ['true']);
    fs.writeFileSync(path.join(h.dir, 'plain-file'), '');
    const err = await h.call('Create', { id, bundle, stdout: path.join(h.dir, 'plain-file'), options: h.options() }).catch((e) => e);
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.message).toMatch(/not a FIFO/);
    expectNothingLeft(id);
  });

  it('calls for unknown ids are NotFound; a second Create of an id is AlreadyExists', async () => {
    for (const m of ['State', 'Start', 'Delete', 'Pids', 'Pause', 'Resume', 'Kill', 'Wait', 'Stats']) expect(await codeOf(h.call(m, { id: 'no-such-task' })), m).toBe(Code.NotFound);
    const id = uniqueId('twice');
    const bundle = h.bundle(id, ['sleep', '30']);
    await h.call('Create', { id, bundle, options: h.options() });
    expect(await codeOf(h.call('Create', { id, bundle, options: h.options() }))).toBe(Code.AlreadyExists);
    expect(await codeOf(h.call('State', { id, execId: 'no-such-exec' }))).toBe(Code.NotFound);
    // A created (not yet started) task has nothing for CRIU to dump: the state table refuses it.
    expect(await codeOf(h.call('Checkpoint', { id, path: '/tmp/x' }))).toBe(Code.FailedPrecondition);
    expect(await codeOf(h.call('Checkpoint', { id: 'no-such-task', path: '/tmp/x' }))).toBe(Code.NotFound);
    await h.call('Kill', { id, signal: 9, all: false });
    await h.call('Wait', { id });
    await h.call('Delete', { id });
    expectNothingLeft(id);
  });

  it('malformed protobuf, unknown methods and oversized frames get status codes; the shim stays up', async () => {
    // A CreateTaskRequest whose field 1 (id, a string) claims 255 bytes and has one.
    const bad = await h.client.callRaw('containerd.task.v2.Task', 'Create', Uint8Array.from([0x0a, 0xff, 0x01, 0x41]), { timeoutMs: 5_000 }).catch((e) => e);
    expect(bad).toBeInstanceOf(TtrpcError);
    expect(bad.code).toBe(Code.Internal); // as ttrpc-go: "error unmarshalling payload"
    expect(bad.message).toMatch(/^ttrpc: error unmarshalling payload: /);
    expect(await codeOf(h.client.callRaw('containerd.task.v2.Task', 'Teleport', new Uint8Array(), { timeoutMs: 5_000 }))).toBe(Code.Unimplemented);
    expect(await codeOf(h.client.callRaw('containerd.task.v3.Task', 'State', new Uint8Array(), { timeoutMs: 5_000 }))).toBe(Code.Unimplemented);
    // A request frame over ttrpc's 4 MiB limit, on a raw connection: the shim reads past it,
    // answers that stream with ResourceExhausted, and keeps serving the connection.
    const sock = net.createConnection(h.address.replace('unix://', ''));
    const frames: Frame[] = [];
    const reader = new FrameReader((f) => frames.push(f));
    sock.on('data', (d: Buffer) => reader.push(d));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const header = Buffer.alloc(10);
    header.writeUInt32BE(MAX_PAYLOAD + 1, 0);
    header.writeUInt32BE(3, 4);
    header.writeUInt8(FrameType.Request, 8);
    sock.write(header);
    sock.write(Buffer.alloc(MAX_PAYLOAD + 1));
    sock.write(encodeFrame(5, FrameType.Request, encode(TtrpcRequestType, { service: 'containerd.task.v2.Task', method: 'Connect', payload: encode(TASK_SERVICE.methods.Connect.input, { id: first }), timeoutNano: 0, metadata: [] })));
    const end = Date.now() + 10_000;
    while (frames.length < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
    expect(frames.map((f) => f.streamId)).toEqual([3, 5]);
    expect(decode(TtrpcResponseType, frames[0].payload).status?.code).toBe(Code.ResourceExhausted);
    expect(decode(TtrpcResponseType, frames[1].payload).status?.code ?? Code.OK).toBe(Code.OK);
    expect((await h.call('Connect', { id: first })).shimPid).toBe(h.shimPid);
  });

  it('the socket admits only its own uid: mode 0600 and a peer credential check', async () => {
    const sockPath = h.address.replace('unix://', '');
    expect(fs.statSync(sockPath).mode & 0o777).toBe(0o600);
    // A process running as nobody cannot connect (EACCES on the socket file).
    const r = spawnSync(process.execPath, ['-e', `require('net').createConnection(${JSON.stringify(sockPath)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(1); })`], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 });
    expect(r.stdout.trim()).toBe('EACCES');
    // With the file opened up, the peer check (SO_PEERCRED) still turns nobody away: the shim
    // closes the connection without answering a well-formed request.
    const request = encodeFrame(1, FrameType.Request, encode(TtrpcRequestType, { service: 'containerd.task.v2.Task', method: 'Connect', payload: encode(TASK_SERVICE.methods.Connect.input, { id: first }), timeoutNano: 0, metadata: [] }));
    fs.chmodSync(sockPath, 0o666);
    try {
      const script = `const s = require('net').createConnection(${JSON.stringify(sockPath)});
        let got = 0; s.on('data', (d) => (got += d.length)); s.on('error', () => {});
        s.on('connect', () => s.write(Buffer.from(${JSON.stringify(request.toString('base64'))}, 'base64')));
        s.on('close', () => { console.log(got ? 'answered' : 'closed'); process.exit(0); });
        setTimeout(() => { console.log('still open'); process.exit(0); }, 5000);`;
      const n = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', timeout: 10_000 });
      expect(n.stdout.trim(), n.stderr).toBe('closed');
    } finally {
      fs.chmodSync(sockPath, 0o600);
    }
    expect((await h.call('Connect', { id: first })).shimPid).toBe(h.shimPid);
  });

  // The state table (src/taskStates.ts) is the model: for random sequences of calls on a real
  // container, each call must succeed exactly when the table allows it, leave the state the
  // table says, and a refused call must get the table's code and change nothing.
  it('random call sequences follow the process state table', async () => {
    type Op = 'start' | 'pause' | 'resume' | 'kill' | 'delete' | 'update' | 'closeIO';
    const ops: Op[] = ['start', 'pause', 'resume', 'kill', 'delete', 'update', 'closeIO'];
    const runs = Number(process.env.STRATA_SHIM_MODEL_RUNS ?? 6);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...ops), { minLength: 1, maxLength: 7 }), async (seq) => {
        const id = uniqueId('model');
        const bundle = h.bundle(id, ['sleep', '60']);
        await h.call('Create', { id, bundle, options: h.options() });
        let state: ProcessState = 'created';
        const log: string[] = [];
        try {
          for (const op of seq) {
            if (state === 'deleted') {
              expect(await codeOf(h.call('State', { id })), `${log.join(' ')} ${op}`).toBe(Code.NotFound);
              break;
            }
            const ok = allowed(op as TaskCall, 'init', state);
            const call =
              op === 'start' ? h.call('Start', { id })
              : op === 'pause' ? h.call('Pause', { id })
              : op === 'resume' ? h.call('Resume', { id })
              : op === 'kill' ? h.call('Kill', { id, signal: 9, all: false })
              : op === 'delete' ? h.call('Delete', { id })
              : op === 'update' ? h.call('Update', { id, resources: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: Buffer.from(JSON.stringify({ pids: { limit: 64 } })) } })
              : h.call('CloseIO', { id, stdin: true });
            const got = await codeOf(call);
            log.push(`${op}:${got}`);
            expect(got, `after ${log.join(' ')} (state was ${state})`).toBe(ok ? 'ok' : refusalCode(op as TaskCall) === 'NOT_FOUND' ? Code.NotFound : Code.FailedPrecondition);
            if (!ok) continue;
            // kill changes no state by itself: the exit comes from the reaper, and Wait sees it.
            if (op === 'kill') {
              // A paused container needs no Resume here: the runtime thaws the cgroup after a
              // SIGKILL (runc since 1.1, runc PR 3217, because a v1 freezer holds even SIGKILL),
              // so the exit can already have been reaped by the time a Resume would arrive.
              await h.call('Wait', { id }, 10_000);
              state = 'stopped';
            } else state = nextState(op as TaskCall, state);
            if (state !== 'deleted') expect((await h.call('State', { id })).status, log.join(' ')).toBe(STATUS_NUMBER[state]);
          }
        } finally {
          if (state !== 'deleted') {
            if (state === 'paused') await h.call('Resume', { id });
            await codeOf(h.call('Kill', { id, signal: 9, all: false }));
            await codeOf(h.call('Wait', { id }, 10_000));
            await h.call('Delete', { id });
          }
        }
        expectNothingLeft(id);
      }),
      { numRuns: runs, endOnFailure: true },
    );
  }, 180_000);
});
