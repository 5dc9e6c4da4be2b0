// exec: run another process in a running container, joining its namespaces and cgroups.
// Not in the OCI runtime spec; the containerd shim uses it for `ctr task exec`.
import path from 'node:path';
import { Cgroup, startInit, MSG, InitFailed, formatPlan, execNote } from '@strata/linux';
import type { Process } from '@strata/oci';
import type { GlobalOptions, ExecOptions } from './types';
import { assertAllowed } from '../lifecycle';
import { RuntimeError } from '../errors';
import { loadState, computeStatus, writeFileAtomic } from '../container';
import { buildExecPlan } from '../plan/execPlan';
import { homeOf } from '../rootfs';
import { initHelperPath } from '../initHelper';
import { ConsoleRelay } from '../consoleRelay';
import { forwardSignals, exitCodeOf } from './signals';
import { now, traceEnv, tracing } from '@strata/linux/trace';
import { initSyscall } from '../trace';
import type { InitSession } from '@strata/linux';

/** The container's configured process: what `exec` with inline args starts from (runc). */
export async function baseProcess(g: GlobalOptions, id: string): Promise<Process> {
  const saved = loadState(g.root, id);
  return structuredClone(saved.spec.process ?? { cwd: '/', args: [] }) as Process;
}

export async function exec(g: GlobalOptions, o: ExecOptions): Promise<number> {
  const saved = loadState(g.root, o.id);
  const status = computeStatus(g.root, saved);
  if (!(status === 'paused' && o.ignorePaused)) assertAllowed('exec', status, o.id);
  if (!o.process.args?.length) throw new RuntimeError('INVALID_ARGUMENT', 'process args cannot be empty', { exitCode: 255 });
  if (o.process.terminal && o.detach && !o.consoleSocket) {
    throw new RuntimeError('INVALID_ARGUMENT', 'cannot allocate tty if runc will detach without setting console socket');
  }
  if (!o.process.terminal && o.consoleSocket) {
    throw new RuntimeError('INVALID_ARGUMENT', 'cannot use console socket if runc will not detach or allocate tty');
  }
  const relay = o.process.terminal && !o.consoleSocket ? new ConsoleRelay() : undefined;
  const preserved = Array.from({ length: o.preserveFds }, (_, i) => 3 + i);
  const consoleSocket = relay ? `fd:${3 + o.preserveFds}` : o.consoleSocket ? path.resolve(o.consoleSocket) : undefined;
  const cg = Cgroup.open(saved.cgroupPath);
  const plan = buildExecPlan({
    spec: saved.spec,
    process: o.process,
    initPid: saved.pid,
    cgroupProcs: cg.procsFiles(),
    cgroupFallback: cg.subCgroupProcsOf(saved.pid),
    consoleSocket,
    foreground: !o.detach,
    home: homeOf(saved.rootfs, o.process.user?.uid ?? 0),
  });
  if (process.env.STRATA_PRINT_PLAN) process.stderr.write(`${formatPlan(plan)}\n`);
  const session = startInit({ helper: initHelperPath(), plan, fds: [0, 1, 2, ...preserved, ...(relay ? [relay.theirs] : [])], env: traceEnv({ container: o.id }) });
  let pid: number;
  try {
    pid = Number((await session.expect(MSG.PID)).toString());
    await session.expect(MSG.READY);
    if (tracing()) await observeExec(session, o.id, o.process.args ?? []);
  } catch (e) {
    session.detach();
    relay?.close();
    if (e instanceof InitFailed) throw new RuntimeError('INIT_FAILED', `exec failed: ${e.message}`, { exitCode: 255, cause: e });
    throw e;
  }
  if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid), 0o644);
  if (o.detach) {
    session.detach();
    return 0;
  }
  relay?.attach();
  const stop = forwardSignals(pid);
  const st = await session.exited;
  stop();
  relay?.close();
  return exitCodeOf(st);
}

/**
 * Tracing: after READY a tracing init keeps the control socket (O_CLOEXEC) and sends EXEC right
 * before execve; the socket closing then means execve succeeded. Only then is the line written.
 */
async function observeExec(session: InitSession, id: string, args: readonly string[]): Promise<void> {
  const timeout = new Promise<undefined>((r) => setTimeout(r, 5_000, undefined).unref());
  const m = await Promise.race([session.next(), timeout]);
  if (m?.type !== MSG.EXEC) return;
  // The init's own time of the execve: this process may read the message late.
  const start = execNote(m.payload.toString('utf8')) ?? now();
  const closed = session.next().then((next) => (next === undefined ? 'closed' : 'message'));
  if ((await Promise.race([closed, timeout])) === 'closed') initSyscall(id, 'execve', args.join(' ').slice(0, 60), start, Math.max(start, now()));
}
