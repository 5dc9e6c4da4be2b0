// Running a command in a live container (Tasks.Exec), for ExecSync and streaming Exec: the
// process spec is the container's own (same user, capabilities, env, cwd, seccomp), with the
// command and terminal replaced — as containerd's CRI does. Its stdio goes through FIFOs made
// here; a timeout kills the process (SIGKILL) and reports it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EventEmitter } from 'node:events';
import { PROCESS_TYPE_URL, specAny, type ManagerClient } from '@strata/manager';
import type { Process } from '@strata/oci';
import { makeFifo, readFifo, writeFifo } from './fifo';

export interface ExecIO {
  stdin?: NodeJS.ReadableStream;
  onStdout: (b: Buffer) => void;
  onStderr: (b: Buffer) => void;
  tty: boolean;
  resize?: AsyncIterable<{ width: number; height: number }> | EventEmitter;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  timedOut: boolean;
}

export async function containerProcess(c: ManagerClient, id: string): Promise<Process> {
  const ct = await c.containers.get(id);
  const spec = JSON.parse(Buffer.from(ct.spec.value).toString('utf8'));
  return spec.process as Process;
}

export async function execProcess(c: ManagerClient, fifoRoot: string, id: string, cmd: string[], o: ExecIO): Promise<ExecResult> {
  const base = await containerProcess(c, id);
  const proc: Process = { ...base, args: cmd, terminal: o.tty };
  if (o.tty && !(proc.env ?? []).some((e) => e.startsWith('TERM='))) proc.env = [...(proc.env ?? []), 'TERM=xterm'];
  const execId = `exec-${crypto.randomBytes(8).toString('hex')}`;
  const dir = path.join(fifoRoot, execId);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stdoutPath = path.join(dir, 'stdout');
  const stderrPath = o.tty ? '' : path.join(dir, 'stderr');
  const stdinPath = o.stdin ? path.join(dir, 'stdin') : '';
  for (const p of [stdoutPath, stderrPath, stdinPath]) if (p) makeFifo(p);
  const readers = [readFifo(stdoutPath, o.onStdout, true), ...(stderrPath ? [readFifo(stderrPath, o.onStderr, true)] : [])];
  const stdinW = stdinPath ? writeFifo(stdinPath) : undefined;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let started = false;
  try {
    await c.tasks.exec({ containerId: id, execId, spec: specAny(proc, PROCESS_TYPE_URL), stdin: stdinPath, stdout: stdoutPath, stderr: stderrPath, terminal: o.tty });
    const waited = c.tasks.wait(id, execId);
    waited.catch(() => {});
    await c.tasks.start(id, execId);
    started = true;
    for (const r of readers) r.opened();
    if (o.timeoutMs && o.timeoutMs > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        c.tasks.kill(id, 9, { execId }).catch(() => {});
      }, o.timeoutMs);
    }
    if (stdinW && o.stdin) {
      o.stdin.on('data', (d) => stdinW.write(d));
      o.stdin.once('end', () => {
        stdinW.end();
        c.tasks.closeIO(id, execId).catch(() => {});
      });
    }
    const stopResize = forwardResize(o.resize, (w, h) => c.tasks.resize(id, w, h, execId).catch(() => {}));
    const res = await waited;
    stopResize();
    // the output ends when the shim closes its ends (bounded: a background child may hold them)
    await Promise.race([Promise.all(readers.map((r) => r.done)), new Promise((r) => setTimeout(r, 2_000))]);
    return { exitCode: res.exitStatus, timedOut };
  } finally {
    if (timer) clearTimeout(timer);
    for (const r of readers) r.close();
    stdinW?.destroy();
    void started;
    await c.tasks.deleteProcess(id, execId).catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Terminal size changes from the streaming client, as an emitter ('resize') or an async iterable. */
export function forwardResize(src: ExecIO['resize'], apply: (w: number, h: number) => unknown): () => void {
  if (!src) return () => {};
  if (typeof (src as EventEmitter).on === 'function') {
    const em = src as EventEmitter;
    const l = (s: { width: number; height: number }) => apply(s.width, s.height);
    em.on('resize', l);
    return () => em.off('resize', l);
  }
  let stop = false;
  void (async () => {
    for await (const s of src as AsyncIterable<{ width: number; height: number }>) {
      if (stop) break;
      apply(s.width, s.height);
    }
  })().catch(() => {});
  return () => {
    stop = true;
  };
}
