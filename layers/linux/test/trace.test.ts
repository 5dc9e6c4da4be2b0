// The trace writer (STRATA_TRACE): one JSON line per call, nothing when tracing is off, whole
// lines when several processes append to one file at once.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processName, resultOf, traced, traceEnv, traceEvent, tracing, type TraceRecord } from '../src/trace';

const __dirname = path.dirname(fileURLToPath(import.meta.url));
let dir: string;
let file: string;
const saved = process.env.STRATA_TRACE;
const lines = (): TraceRecord[] => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceRecord);

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-trace-'));
  file = path.join(dir, 'trace.jsonl');
});
afterEach(() => {
  if (saved === undefined) delete process.env.STRATA_TRACE;
  else process.env.STRATA_TRACE = saved;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('traceEvent', () => {
  it('writes nothing and creates no file when STRATA_TRACE is unset', async () => {
    delete process.env.STRATA_TRACE;
    expect(tracing()).toBe(false);
    traceEvent({ layer: 'runtime', from: 'a', to: 'b', protocol: 'syscall', op: 'mount', start: 1 });
    expect(await traced({ layer: 'runtime', from: 'a', to: 'b', protocol: 'x', op: 'y' }, async () => 42)).toBe(42);
    expect(traceEnv({ container: 'c' })).toEqual({});
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('appends one line in the documented format, keys in order, empty ids left out', () => {
    process.env.STRATA_TRACE = file;
    traceEvent({ layer: 'runtime', from: 'strata-runtime', to: 'kernel', protocol: 'syscall', op: 'pivot_root', ids: { container: 'demo', exec: '' }, start: 1000.5, end: 1001.25 });
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe('{"ts":1000.5,"end":1001.25,"layer":"runtime","from":"strata-runtime","to":"kernel","protocol":"syscall","op":"pivot_root","ids":{"container":"demo"},"result":"ok"}\n');
  });

  it('records the result of traced calls, errors as "error: <message>", and rethrows', async () => {
    process.env.STRATA_TRACE = file;
    const call = { layer: 'shim', from: 'containerd-shim-strata-v2', to: 'runc', protocol: 'runc-cli', op: 'create', ids: { container: 'x' } };
    await traced(call, async () => 'fine');
    await expect(traced(call, async () => Promise.reject(new Error('OCI runtime create failed: boom\nmore')))).rejects.toThrow('boom');
    const [ok, failed] = lines();
    expect(ok.result).toBe('ok');
    expect(failed.result).toBe('error: OCI runtime create failed: boom');
    expect(failed.end).toBeGreaterThanOrEqual(failed.ts);
    expect(resultOf()).toBe('ok');
  });

  it('gives a helper process the file and the ids', () => {
    process.env.STRATA_TRACE = file;
    expect(traceEnv({ container: 'demo' })).toEqual({ STRATA_TRACE: file, STRATA_TRACE_IDS: '{"container":"demo"}' });
  });

  it('keeps lines whole when processes append concurrently (O_APPEND, one write per line)', async () => {
    // Four processes run the real traceEvent (bundled from src/trace) and race on one file.
    const lib = path.join(dir, 'trace.mjs');
    await esbuild.build({ entryPoints: [path.join(__dirname, '../src/trace/trace.ts')], bundle: true, platform: 'node', format: 'esm', outfile: lib, logLevel: 'error' });
    const writer = path.join(dir, 'writer.mjs');
    fs.writeFileSync(
      writer,
      `import { traceEvent } from './trace.mjs';
       for (let i = 0; i < 300; i++) traceEvent({ layer: 'test', from: process.argv[2], to: 'kernel', protocol: 'syscall', op: 'write', start: i, end: i, detail: 'x'.repeat(3000) });`,
    );
    await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            const c = spawn(process.execPath, [writer, name], { env: { ...process.env, STRATA_TRACE: file }, stdio: 'ignore' });
            c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
          }),
      ),
    );
    const all = lines();
    expect(all).toHaveLength(1200);
    for (const name of ['p1', 'p2', 'p3', 'p4']) expect(all.filter((r) => r.from === name).map((r) => r.ts)).toEqual([...Array(300).keys()]);
  });
});

describe('processName', () => {
  it('names a Node program after its script and others after their binary', () => {
    expect(processName(process.pid)).not.toMatch(/^node/);
    expect(processName(2 ** 22 + 11)).toBe(`pid ${2 ** 22 + 11}`);
  });
});

describe('execNote (the init tells when it called execve)', () => {
  it('reads the time from the exec.fifo note and from the EXEC message', async () => {
    const { execNote } = await import('../src/init/protocol');
    expect(execNote('x1763891234567.123')).toBe(1763891234567.123);
    expect(execNote('1763891234567.123 /bin/sh')).toBe(1763891234567.123);
    expect(execNote('1763891234567 /usr/bin/env')).toBe(1763891234567);
    // not notes: the bare marker of an older init, a path alone, nothing
    expect(execNote('x')).toBeUndefined();
    expect(execNote('/bin/sh')).toBeUndefined();
    expect(execNote('')).toBeUndefined();
    expect(execNote('x12ab')).toBeUndefined();
  });
});
