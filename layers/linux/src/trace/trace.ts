// Trace events: one JSON line per cross-layer call, appended to the file named by STRATA_TRACE.
//
//   {"ts":1763891234567.123,"end":1763891234569.456,"layer":"runtime","from":"strata-runtime",
//    "to":"kernel","protocol":"syscall","op":"pivot_root","ids":{"container":"demo"},"result":"ok"}
//
// ts/end: epoch milliseconds (microsecond fraction) when the call started and returned; from/to:
// the caller and the callee, named after the binary (so a run with runc or the real containerd
// swapped in shows which box changed); protocol: the wire protocol ("syscall", "runc-cli",
// "ttrpc", "shim-cli", ...); op: the operation as that protocol names it; ids: container/exec ids;
// result: "ok" or "error: <message>". Optional: detail (a short human hint: a mount target, the
// exit status; "summary: specifics", the diagrams show the summary), count (one line standing for
// N calls of one kind), by (which process of the layer made the call, when a layer has several,
// e.g. strata-init's parent and child; "callee" marks a callee's own record of an incoming call,
// which the diagram tool drops when the caller recorded the same call).
//
// Why this lives in @strata/linux: it is the lowest package, every layer depends on it, and the
// runtime's C helper (native/strata-init.c) writes the same lines for the syscalls it makes, so
// the format has its two writers side by side. It has no dependency beyond node:fs: the shim's
// `start` and the runtime's CLI import it (as @strata/linux/trace) without loading FFI.
//
// Cost when STRATA_TRACE is unset: one environment lookup per call site; nothing is built,
// opened or written.
import fs from 'node:fs';
import path from 'node:path';

export interface TraceRecord {
  ts: number;
  end: number;
  layer: string;
  from: string;
  to: string;
  protocol: string;
  op: string;
  ids: Record<string, string>;
  result: string;
  detail?: string;
  count?: number;
  by?: string;
}

/** What a caller says about one call; times and the result are filled in by traceEvent/traced. */
export interface TraceCall {
  layer: string;
  from: string;
  to: string;
  protocol: string;
  op: string;
  /** Empty or undefined ids are left out. */
  ids?: Record<string, string | undefined>;
  detail?: string;
  count?: number;
  by?: string;
}

/** The trace file, or undefined when tracing is off. */
export function traceFile(): string | undefined {
  return process.env.STRATA_TRACE || undefined;
}

export function tracing(): boolean {
  return !!process.env.STRATA_TRACE;
}

/** Now, in epoch milliseconds with a microsecond fraction (the clock strata-init uses too). */
export function now(): number {
  return round3(performance.timeOrigin + performance.now());
}

/** When this process started (epoch ms): the start of a call that is this whole process. */
export function processStart(): number {
  return round3(performance.timeOrigin);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** "ok", or "error: <first line of the message>" (bounded, so one line stays one line). */
export function resultOf(error?: unknown): string {
  if (error === undefined || error === null) return 'ok';
  const msg = String((error as Error)?.message ?? error).split('\n')[0].trim();
  return `error: ${msg.length > 300 ? `${msg.slice(0, 297)}...` : msg}`;
}

/**
 * Appends one line. `start` (and `end`, default now) are epoch ms from now(); `result` defaults
 * to "ok", or to resultOf(error) when `error` is given.
 */
export function traceEvent(e: TraceCall & { start: number; end?: number; result?: string; error?: unknown }): void {
  const file = traceFile();
  if (!file) return;
  const ids: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.ids ?? {})) if (v !== undefined && v !== '') ids[k] = v;
  const record: TraceRecord = {
    ts: round3(e.start),
    end: round3(e.end ?? now()),
    layer: e.layer,
    from: e.from,
    to: e.to,
    protocol: e.protocol,
    op: e.op,
    ids,
    result: e.result ?? resultOf(e.error),
  };
  if (e.detail) record.detail = e.detail;
  if (e.count !== undefined) record.count = e.count;
  if (e.by) record.by = e.by;
  appendLine(file, `${JSON.stringify(record)}\n`);
}

/** Runs `fn` and records it as one call (its start, end and result); rethrows its error. */
export async function traced<T>(call: TraceCall, fn: () => Promise<T>, detailOf?: (r: T) => string | undefined): Promise<T> {
  if (!tracing()) return fn();
  const start = now();
  try {
    const r = await fn();
    traceEvent({ ...call, detail: detailOf?.(r) ?? call.detail, start });
    return r;
  } catch (error) {
    traceEvent({ ...call, start, error });
    throw error;
  }
}

/** traced() for synchronous work. */
export function tracedSync<T>(call: TraceCall, fn: () => T): T {
  if (!tracing()) return fn();
  const start = now();
  try {
    const r = fn();
    traceEvent({ ...call, start });
    return r;
  } catch (error) {
    traceEvent({ ...call, start, error });
    throw error;
  }
}

/**
 * One write(2) per line on an O_APPEND descriptor: the kernel appends each write whole, so lines
 * from concurrent processes (shim, runtime, strata-init) interleave but never mix. A trace that
 * cannot be written is dropped silently: tracing must never change what the traced program does.
 */
function appendLine(file: string, line: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(file, 'a', 0o644);
    fs.writeSync(fd, line);
  } catch {
    // unwritable trace file: ignore
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * Environment for a helper process that writes trace lines itself (strata-init): the file and
 * the ids to put in its lines. Empty when tracing is off.
 */
export function traceEnv(ids: Record<string, string>): Record<string, string> {
  const file = traceFile();
  return file ? { STRATA_TRACE: path.resolve(file), STRATA_TRACE_IDS: JSON.stringify(ids) } : {};
}

/**
 * A process's name as a trace participant: the binary it runs (argv[0]'s base name), or for a
 * Node program the script it runs (`node .../containerd-shim-strata-v2.mjs` -> the shim's name).
 */
export function processName(pid: number): string {
  let argv: string[] = [];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return `pid ${pid}`;
  }
  if (argv.length === 0) {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return `pid ${pid}`;
    }
  }
  const base = path.basename(argv[0]);
  if (/^node(js)?[\d.]*$/.test(base)) {
    const script = argv.slice(1).find((a) => !a.startsWith('-'));
    if (script) return path.basename(script).replace(/\.(mjs|cjs|js|ts)$/, '');
  }
  return base;
}
