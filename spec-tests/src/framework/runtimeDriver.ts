// Driving the runtime under test through its command line, the way runtime-tools validation and
// containerd-shim-runc-v2 do (runc's CLI is the de-facto interface; the spec itself names the
// operations only: runtime.md#operations). Every call passes a private `--root` first so the
// suite never sees or touches other containers on the host.
import fs from 'node:fs';
import { spawnBounded, commandLine, type SpawnResult } from './spawnBounded';

export interface RuntimeCall extends SpawnResult {
  /** The command line as a user would type it. */
  line: string;
  ok: boolean;
}

export interface ContainerState {
  ociVersion?: string;
  id?: string;
  status?: string;
  pid?: number;
  bundle?: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export class RuntimeDriver {
  /** Every command line run, in order (for --verbose and for replay scripts). */
  readonly history: string[] = [];
  /** Set when the test ran out of time: further calls fail at once instead of waiting. */
  aborted = false;

  constructor(
    /** The executable invoked (the runtime itself, or a generated wrapper script). */
    readonly binary: string,
    /** The private state directory passed as the global --root. */
    readonly root: string,
    readonly callTimeoutMs = 15_000,
    readonly onCall?: (line: string, result: RuntimeCall) => void,
  ) {}

  async exec(args: string[], opts: { input?: string; fds?: { stdout?: number; stderr?: number; stdin?: number }; timeoutMs?: number } = {}): Promise<RuntimeCall> {
    const argv = ['--root', this.root, ...args];
    const line = commandLine([this.binary, ...argv]);
    this.history.push(line);
    if (this.aborted) {
      return { argv, code: null, signal: null, stdout: '', stderr: 'test timed out', timedOut: true, ms: 0, line, ok: false };
    }
    const r = await spawnBounded(this.binary, argv, { ...opts, timeoutMs: opts.timeoutMs ?? this.callTimeoutMs });
    const call: RuntimeCall = { ...r, line, ok: r.code === 0 && !r.timedOut };
    this.onCall?.(line, call);
    return call;
  }

  /**
   * `create [--pid-file P] --bundle B ID`. With terminal false the runtime hands its own stdio
   * to the container process, so the container's output lands in `stdoutFile`/`stderrFile`.
   */
  async create(id: string, bundle: string, opts: { pidFile?: string; stdoutFile?: string; stderrFile?: string } = {}): Promise<RuntimeCall> {
    const args = ['create', ...(opts.pidFile ? ['--pid-file', opts.pidFile] : []), '--bundle', bundle, id];
    const out = opts.stdoutFile ? fs.openSync(opts.stdoutFile, 'a') : undefined;
    const err = opts.stderrFile ? fs.openSync(opts.stderrFile, 'a') : undefined;
    try {
      const r = await this.exec(args, { fds: { stdout: out, stderr: err } });
      // With stderr redirected, the runtime's own error text is in the file: surface it.
      if (!r.ok && opts.stderrFile) r.stderr = safeRead(opts.stderrFile);
      return r;
    } finally {
      if (out !== undefined) fs.closeSync(out);
      if (err !== undefined) fs.closeSync(err);
    }
  }

  start(id: string): Promise<RuntimeCall> {
    return this.exec(['start', id]);
  }

  kill(id: string, signal: string): Promise<RuntimeCall> {
    return this.exec(['kill', id, signal]);
  }

  delete(id: string, force = false): Promise<RuntimeCall> {
    return this.exec(['delete', ...(force ? ['--force'] : []), id]);
  }

  pause(id: string): Promise<RuntimeCall> {
    return this.exec(['pause', id]);
  }

  resume(id: string): Promise<RuntimeCall> {
    return this.exec(['resume', id]);
  }

  /** `state ID`, parsed. `state` is undefined when the call failed or printed no JSON. */
  async state(id: string): Promise<{ call: RuntimeCall; state?: ContainerState; parseError?: string }> {
    const call = await this.exec(['state', id]);
    if (!call.ok) return { call };
    try {
      return { call, state: JSON.parse(call.stdout) as ContainerState };
    } catch (e) {
      return { call, parseError: `state printed invalid JSON: ${(e as Error).message}` };
    }
  }

  /** The status `state` reports, or undefined when the container is unknown to the runtime. */
  async status(id: string): Promise<string | undefined> {
    return (await this.state(id)).state?.status;
  }

  /** Poll `state` until the status is one of `wanted` (bounded in time and count). */
  async waitForStatus(id: string, wanted: string[], timeoutMs = 10_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined;
    for (let i = 0; i < 1000 && !this.aborted; i++) {
      last = await this.status(id);
      if (last !== undefined && wanted.includes(last)) return last;
      if (Date.now() > deadline) break;
      await sleep(Math.min(25 * (i + 1), 200));
    }
    return last;
  }
}

export function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
