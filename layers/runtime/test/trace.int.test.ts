// STRATA_TRACE on the real binary: the syscalls that set a container up are traced by the process
// that makes them (strata-init and its child), in the order they happen, and only when they
// happened; the runtime's own calls (cgroups, exec.fifo) and its command line too.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceRecord } from '@strata/linux/trace';
import { baseConfig, built, isRoot, leaks, sandbox, uniqueId, type Sandbox } from './helpers';

const suite = isRoot && built ? describe : describe.skip;

suite('tracing (STRATA_TRACE)', () => {
  let sb: Sandbox;
  let trace: string;
  beforeAll(() => {
    sb = sandbox();
    trace = path.join(sb.dir, 'trace.jsonl');
  });
  afterAll(() => sb?.cleanup());

  const read = (): TraceRecord[] => (fs.existsSync(trace) ? fs.readFileSync(trace, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as TraceRecord) : []);
  const syscalls = (records: TraceRecord[], id: string) => records.filter((r) => r.to === 'kernel' && r.ids.container === id).sort((a, b) => a.ts - b.ts);
  const ops = (records: TraceRecord[]) => records.map((r) => r.op);
  const last = (list: string[], op: string) => list.lastIndexOf(op);

  it('records run: cgroups, clone, mounts, pivot_root, execve last of the init, in order', () => {
    fs.rmSync(trace, { force: true });
    const id = uniqueId('trace');
    const r = sb.rt(['run', '--bundle', sb.bundle(baseConfig(['sh', '-c', 'echo traced'])), id], { env: { STRATA_TRACE: trace } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('traced\n');
    const all = read();
    for (const line of fs.readFileSync(trace, 'utf8').trim().split('\n')) expect(line).toMatch(/^\{"ts":[\d.]+,"end":[\d.]+,"layer":"runtime","from":"[^"]+","to":"[^"]+","protocol":"[a-z-]+","op":"[^"]+","ids":\{.*\},"result":"(ok|error: [^"]*)"/);
    const sys = syscalls(all, id);
    const list = ops(sys);
    expect(list[0]).toBe('mkdir'); // the cgroup, made by the runtime before strata-init starts
    expect(list.indexOf('write')).toBeGreaterThan(0); // strata-init joins the cgroup...
    expect(list.indexOf('clone')).toBeGreaterThan(list.indexOf('write')); // ...then clones the container process
    const pivot = list.indexOf('pivot_root');
    expect(list.indexOf('mount')).toBeGreaterThan(list.indexOf('clone'));
    expect(list.slice(list.indexOf('clone'), pivot).filter((o) => o === 'mount').length).toBeGreaterThan(5); // proc, dev, ... before pivot_root
    expect(pivot).toBeGreaterThan(list.indexOf('mount'));
    expect(list.indexOf('umount2')).toBeGreaterThan(pivot); // the old root goes after pivot_root
    expect(list.indexOf('sethostname')).toBeGreaterThan(pivot);
    // The child's last call is execve, of the configured program, after the exec fifo was opened.
    const child = sys.filter((x) => x.by === 'its child, the future container process');
    expect(child[child.length - 1].op).toBe('execve');
    expect(child[child.length - 1].detail).toBe('sh -c echo traced');
    expect(last(ops(child), 'openat')).toBeLessThan(last(ops(child), 'execve'));
    expect(list.filter((o) => o === 'execve')).toHaveLength(1);
    expect(list[list.length - 1]).toBe('rmdir'); // delete after the container exited
    expect(sys.every((x) => x.result === 'ok' && x.from === 'strata-runtime' && x.protocol === 'syscall')).toBe(true);
    const clone = sys.find((x) => x.op === 'clone')!;
    expect(clone.detail).toBe('new namespaces: mnt uts ipc pid net cgroup');
    // The command itself, as its caller ran it (the test's node process).
    const cmd = all.find((x) => x.protocol === 'runc-cli')!;
    expect(cmd).toMatchObject({ to: 'strata-runtime', op: 'run', ids: { container: id }, result: 'ok', detail: 'exit status 0', by: 'callee' });
    expect(cmd.ts).toBeLessThan(sys[0].ts);
    expect(cmd.end).toBeGreaterThanOrEqual(sys[sys.length - 1].end);
    expect(leaks(id)).toEqual([]);
  });

  it('records create and start apart: the init waits on exec.fifo until start opens it', () => {
    fs.rmSync(trace, { force: true });
    const id = uniqueId('trace');
    const env = { STRATA_TRACE: trace };
    expect(sb.rt(['create', '--bundle', sb.bundle(baseConfig(['sleep', '30'])), id], { env }).status).toBe(0);
    // The init is blocked in open(exec.fifo): a line is written when a call returns, so none yet.
    expect(ops(syscalls(read(), id))).not.toContain('openat');
    expect(ops(syscalls(read(), id))).not.toContain('execve');
    expect(sb.rt(['start', id], { env }).status).toBe(0);
    const sys = syscalls(read(), id);
    const wait = sys.find((x) => x.op === 'openat' && /for writing/.test(x.detail ?? ''))!;
    const read1 = sys.find((x) => x.op === 'openat' && /for reading/.test(x.detail ?? ''))!;
    const exec = sys.find((x) => x.op === 'execve')!;
    expect(exec.detail).toBe('sleep 30');
    expect(read1.ts).toBeGreaterThan(wait.ts); // the init waited from create...
    expect(wait.end).toBeGreaterThanOrEqual(read1.ts); // ...until start opened the fifo
    expect(exec.ts).toBeGreaterThanOrEqual(read1.ts);
    expect(sb.rt(['exec', id, 'true'], { env }).status).toBe(0);
    const execd = syscalls(read(), id).filter((x) => x.ts > exec.end);
    // exec joins the container: setns into each of its namespaces, a child, then execve.
    expect(ops(execd).filter((o) => o === 'setns').length).toBeGreaterThanOrEqual(5);
    expect(ops(execd).indexOf('clone')).toBeGreaterThan(ops(execd).lastIndexOf('setns'));
    expect(execd.find((x) => x.op === 'execve')?.detail).toBe('true');
    expect(sb.rt(['kill', id, 'KILL'], { env }).status).toBe(0);
    expect(read().some((x) => x.op === 'kill' && x.detail === 'SIGKILL to the container init')).toBe(true);
    expect(sb.rt(['delete', '--force', id], { env }).status).toBe(0);
    const cmds = read().filter((x) => x.protocol === 'runc-cli').map((x) => x.op);
    expect(cmds).toEqual(['create', 'start', 'exec', 'kill', 'delete']);
    expect(leaks(id)).toEqual([]);
  });

  it('records only what happened: a create that fails has no execve, and says why', () => {
    fs.rmSync(trace, { force: true });
    const id = uniqueId('trace');
    const r = sb.rt(['create', '--bundle', sb.bundle(baseConfig(['no-such-program'])), id], { env: { STRATA_TRACE: trace } });
    expect(r.status).not.toBe(0);
    const all = read();
    const sys = syscalls(all, id);
    expect(ops(sys)).not.toContain('execve');
    expect(ops(sys)).toContain('clone'); // the init was made: it failed looking up the program
    const cmd = all.find((x) => x.protocol === 'runc-cli')!;
    expect(cmd.result).toMatch(/^error: .*executable file not found/);
    expect(leaks(id)).toEqual([]);
  });

  it('writes nothing when STRATA_TRACE is unset', () => {
    fs.rmSync(trace, { force: true });
    const id = uniqueId('trace');
    expect(sb.rt(['run', '--bundle', sb.bundle(baseConfig(['true'])), id]).status).toBe(0);
    expect(fs.existsSync(trace)).toBe(false);
  });
});
