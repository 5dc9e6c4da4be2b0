// STRATA_TRACE through the real containerd: containerd passes its environment to the shims it
// starts, the shim to the engine, so one file holds the Task API calls the shim served, the
// engine commands it ran, the events it forwarded, the exit it reaped, and the engine's syscalls.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceRecord } from '@strata/linux/trace';
import { built, defaultImage, has, isRoot, PrivateContainerd, processesMatching, uniqueId } from './helpers';

const suite = isRoot && built && has('containerd') && has('ctr') && has('runc') && fs.existsSync(defaultImage) ? describe : describe.skip;

suite('tracing through containerd (STRATA_TRACE)', () => {
  let ctd: PrivateContainerd;
  let trace: string;
  const saved = process.env.STRATA_TRACE;
  beforeAll(() => {
    ctd = new PrivateContainerd();
    trace = path.join(ctd.dir, 'trace.jsonl');
    process.env.STRATA_TRACE = trace; // containerd inherits it from us, and hands it on
    try {
      ctd.start();
    } finally {
      if (saved === undefined) delete process.env.STRATA_TRACE;
      else process.env.STRATA_TRACE = saved;
    }
    expect(ctd.ctr(['images', 'import', defaultImage], 60_000).status).toBe(0);
  }, 90_000);
  afterAll(() => ctd?.stop());

  const take = (): TraceRecord[] => {
    const text = fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8') : '';
    fs.writeFileSync(trace, '');
    return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as TraceRecord).sort((a, b) => a.ts - b.ts);
  };
  const run = (id: string, extra: string[]) => {
    const r = ctd.ctr(['run', '--rm', '--runtime', 'io.containerd.strata.v2', ...extra, 'strata.local/busybox:latest', id, 'sh', '-c', 'exit 3']);
    expect(r.status, r.stderr).toBe(3);
    // containerd runs `shim delete` after ctr returns: wait for it, it traces too.
    const end = Date.now() + 10_000;
    while (Date.now() < end && processesMatching(`-id\0${id}`).length) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    return take().filter((x) => x.ids.container === id);
  };

  it('records containerd -> shim -> strata-runtime -> kernel, each call once from its caller', () => {
    const id = uniqueId('trace');
    const all = run(id, []);
    const shimCalls = all.filter((x) => x.to === 'containerd-shim-strata-v2');
    expect(shimCalls.every((x) => x.from === 'containerd')).toBe(true); // named by SO_PEERCRED, not assumed
    const ops = shimCalls.map((x) => `${x.protocol} ${x.op}`);
    expect(ops[0]).toBe('shim-cli start');
    expect(ops[ops.length - 1]).toBe('shim-cli delete');
    for (const call of ['Task.Create', 'Task.Start', 'Task.Wait', 'Task.Delete', 'Task.Shutdown']) expect(ops).toContain(`ttrpc ${call}`);
    expect(ops.indexOf('ttrpc Task.Create')).toBeLessThan(ops.indexOf('ttrpc Task.Start'));
    // The engine commands, from the shim, in order; strata-runtime's own view of each is marked.
    const engine = all.filter((x) => x.from === 'containerd-shim-strata-v2' && x.protocol === 'runc-cli' && x.by !== 'callee');
    expect(engine.map((x) => `${x.to} ${x.op}`)).toEqual(['strata-runtime create', 'strata-runtime start', 'strata-runtime delete']);
    expect(all.filter((x) => x.to === 'strata-runtime' && x.by === 'callee').map((x) => x.op)).toEqual(['create', 'start', 'delete']);
    // Events in the order containerd needs them, after the calls that caused them.
    const events = all.filter((x) => x.op.startsWith('Events.Forward')).map((x) => x.op);
    expect(events).toEqual(['Events.Forward /tasks/create', 'Events.Forward /tasks/start', 'Events.Forward /tasks/exit', 'Events.Forward /tasks/delete']);
    expect(all.every((x) => !x.op.startsWith('Events.Forward') || x.to === 'containerd')).toBe(true);
    // The reaped exit, between start and delete; the rootfs mounted before create, unmounted at Delete.
    const at = (pred: (x: TraceRecord) => boolean) => all.findIndex(pred);
    const exit = at((x) => x.op === 'waitpid');
    expect(all[exit].detail).toMatch(/^exit status 3/);
    expect(exit).toBeGreaterThan(at((x) => x.op === 'execve'));
    expect(at((x) => x.from === 'containerd-shim-strata-v2' && x.op === 'mount')).toBeLessThan(at((x) => x.op === 'create' && x.from === 'containerd-shim-strata-v2'));
    expect(at((x) => x.op === 'umount2' && x.from === 'containerd-shim-strata-v2')).toBeGreaterThan(at((x) => x.op === 'delete' && x.to === 'strata-runtime'));
    // strata-runtime traced its syscalls into the same file: the environment reached it.
    const sys = all.filter((x) => x.from === 'strata-runtime' && x.to === 'kernel').map((x) => x.op);
    expect(sys.indexOf('clone')).toBeLessThan(sys.indexOf('pivot_root'));
    expect(sys).toContain('execve');
    expect(all.every((x) => x.result === 'ok')).toBe(true);
  });

  it('names the engine after its binary when runc is swapped in', () => {
    const id = uniqueId('trace');
    const cfg = path.join(ctd.dir, 'runc.toml');
    fs.writeFileSync(cfg, 'BinaryName = "runc"\n');
    const all = run(id, ['--runtime-config-path', cfg]);
    const engine = all.filter((x) => x.protocol === 'runc-cli');
    expect(engine.map((x) => `${x.to} ${x.op}`)).toEqual(['runc create', 'runc start', 'runc delete']);
    // runc writes no trace: no syscall of the container set-up appears, only the shim's own.
    expect(all.filter((x) => x.to === 'kernel').every((x) => x.from === 'containerd-shim-strata-v2')).toBe(true);
  });
});
