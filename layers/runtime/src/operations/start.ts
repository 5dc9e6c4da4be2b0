// runtime.md#start: run the user's program. The init has been blocked in open(exec.fifo,
// O_WRONLY) since create; opening the fifo for reading releases it, it writes one byte, and then
// (after startContainer hooks) calls execve. We then remove the fifo: its absence is how every
// later command knows the container was started.
import fs from 'node:fs';
import { processLiveness, execNote } from '@strata/linux';
import type { GlobalOptions } from './types';
import { assertAllowed } from '../lifecycle';
import { RuntimeError } from '../errors';
import { loadState, computeStatus, execFifoPath, lockContainer, publicState } from '../container';
import { runHooksWarnOnly } from '../hooks';
import { initSyscall, kernelCall } from '../trace';
import { now, tracing } from '@strata/linux/trace';

const nap = new Int32Array(new SharedArrayBuffer(4));

export function releaseInit(root: string, id: string, pid: number, startTime: string | undefined, args: readonly string[] = []): void {
  const fifo = execFifoPath(root, id);
  // O_NONBLOCK: a plain O_RDONLY open would hang forever if the init died meanwhile.
  const fd = kernelCall(id, 'openat', 'exec.fifo for reading: releases the container init', () => fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + 30_000;
    for (;;) {
      let n = 0;
      try {
        n = fs.readSync(fd, buf, 0, 1, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
      if (n === 1) break;
      // 0 bytes = the writer has not opened its end yet (or died): check, then wait a little.
      if (processLiveness(pid, startTime) !== 'alive') throw new RuntimeError('BAD_STATE', 'container process is already dead');
      if (Date.now() > deadline) throw new RuntimeError('SYSTEM', 'timed out waiting for the container init to open exec.fifo');
      Atomics.wait(nap, 0, 0, 1);
    }
    if (tracing()) observeExec(fd, id, args);
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(fifo, { force: true });
}

/**
 * Tracing: a tracing init keeps its end of exec.fifo open until execve and writes "x<time>" just
 * before it; both ends are O_CLOEXEC, so end-of-file after that note (with no "!" after it) means
 * the kernel replaced the init with the container's program. Only then is an execve line written,
 * at the init's time (this loop may run late): the trace records what happened, and when.
 * (An init that does not trace has closed its end already: end-of-file comes at once.)
 */
function observeExec(fd: number, id: string, args: readonly string[]): void {
  const buf = Buffer.alloc(64);
  let seen = '';
  const deadline = Date.now() + 10_000;
  for (;;) {
    let n = -1;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
    if (n === 0) break;
    if (n > 0) seen += buf.toString('latin1', 0, n);
    if (Date.now() > deadline) return;
    if (n < 0) Atomics.wait(nap, 0, 0, 1);
  }
  const at = seen.startsWith('x') && !seen.includes('!') ? execNote(seen) : undefined;
  if (at !== undefined) initSyscall(id, 'execve', args.join(' ').slice(0, 60), at, Math.max(at, now()));
}

export async function start(g: GlobalOptions, o: { id: string }): Promise<void> {
  const unlock = lockContainer(g.root, o.id);
  let saved;
  try {
    saved = loadState(g.root, o.id);
    assertAllowed('start', computeStatus(g.root, saved), o.id);
    releaseInit(g.root, o.id, saved.pid, saved.pidStartTime, saved.spec.process?.args);
  } finally {
    unlock();
  }
  // config.md#posix-platform-hooks: poststart runs after the process started, before start
  // returns; a failure is a warning (runtime.md#lifecycle step 10).
  runHooksWarnOnly(saved.spec.hooks?.poststart, publicState(g.root, saved), 'poststart');
}
