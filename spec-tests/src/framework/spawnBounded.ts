// Run a program with a hard time limit. Every runtime call and host tool the suite uses goes
// through here, so no step can hang the run: on timeout the child gets SIGKILL.
import { spawn, type StdioOptions } from 'node:child_process';

export interface SpawnResult {
  argv: string[];
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface SpawnOptions {
  /** Feed this text on stdin (otherwise stdin is /dev/null unless `stdio` says otherwise). */
  input?: string;
  /** Explicit file descriptors for stdin/stdout/stderr (e.g. the container's output file). */
  fds?: { stdin?: number; stdout?: number; stderr?: number };
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function spawnBounded(file: string, args: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const stdio: StdioOptions = [
    opts.fds?.stdin ?? (opts.input !== undefined ? 'pipe' : 'ignore'),
    opts.fds?.stdout ?? 'pipe',
    opts.fds?.stderr ?? 'pipe',
  ];
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const child = spawn(file, args, { stdio, env: opts.env ?? process.env, cwd: opts.cwd });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // the program may exit without reading stdin
      child.stdin.end(opts.input);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ argv: [file, ...args], code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    };
    child.on('error', (e) => {
      stderr += `spawn ${file}: ${e.message}`;
      finish(127, null);
    });
    // Resolve when the process has exited and our pipes are closed. A grandchild may keep the
    // pipes open (a daemonising runtime): after exit we wait for them briefly, never forever.
    let openPipes = (child.stdout ? 1 : 0) + (child.stderr ? 1 : 0);
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const maybeFinish = () => {
      if (exited && openPipes === 0) finish(exited.code, exited.signal);
    };
    child.stdout?.on('close', () => (openPipes--, maybeFinish()));
    child.stderr?.on('close', () => (openPipes--, maybeFinish()));
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      setTimeout(() => finish(code, signal), 1000).unref();
      maybeFinish();
    });
  });
}

/** Quote one argument for a POSIX shell (for printing replayable command lines). */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}
