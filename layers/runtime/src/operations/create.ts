// runtime.md#create: set up everything (namespaces, cgroups, mounts, identity) and leave the
// container process blocked on exec.fifo, so that `start` only has to open the fifo.
//   validate -> state dir + lock -> cgroup -> exec.fifo -> plan -> strata-init -> PID ->
//   [HOOKS: prestart, createRuntime] -> READY -> state.json "created" -> pid file
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSpecFile, type Spec } from '@strata/oci';
import { traceEnv } from '@strata/linux/trace';
import { Cgroup, detectCgroupLayout, resolveCgroupsPath, mkfifo, processStartTime, processLiveness, formatPlan, startInit, MSG, InitFailed, type InitSession } from '@strata/linux';
import type { GlobalOptions, CreateOptions } from './types';
import { RuntimeError } from '../errors';
import { validateId, stateDir, saveState, execFifoPath, lockContainer, publicState, rfc3339Nano, writeFileAtomic, type SavedState } from '../container';
import { buildCreatePlan } from '../plan/createPlan';
import { deviceRules } from '../plan/devices';
import { runHooks } from '../hooks';
import { homeOf, mountPointOf } from '../rootfs';
import { initHelperPath } from '../initHelper';
import { debug } from '../warnings';
import { kernelCall } from '../trace';

export interface CreateMode {
  /** run in the foreground: the helper stays as the container's parent. */
  foreground: boolean;
  /** Overrides --console-socket (e.g. "fd:N" for run's own pty relay). */
  consoleSocket?: string;
  /** Extra fds appended after the preserved ones (e.g. run's console socket). */
  extraFds?: number[];
}

export function loadSpec(bundle: string): Spec {
  try {
    // Lenient like runc about values real engines send (dockerd's blockIO weight 0): see
    // @strata/oci's applyRuncLeniency.
    return parseSpecFile(path.join(bundle, 'config.json'), { runcLenient: true });
  } catch (e) {
    const err = e as Error & { code?: string; pointer?: string };
    throw new RuntimeError('INVALID_CONFIG', err.message, { pointer: err.pointer, cause: e });
  }
}

/** Kill the init (if it exists) and wait, bounded, until it is gone. */
export function killAndWait(pid: number, startTime: string | undefined, timeoutMs = 5000): void {
  if (pid <= 0) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (processLiveness(pid, startTime) === 'alive' && Date.now() < deadline) Atomics.wait(nap, 0, 0, 5);
}

export async function createContainer(g: GlobalOptions, o: CreateOptions, mode: CreateMode): Promise<{ saved: SavedState; session: InitSession }> {
  validateId(o.id);
  fs.mkdirSync(g.root, { recursive: true, mode: 0o700 });
  const dir = stateDir(g.root, o.id);
  try {
    fs.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError('EXISTS', `container with id ${o.id} already exists`);
    throw e;
  }
  // 0711: an unprivileged container user must be able to reach exec.fifo by name (see strata-init).
  fs.chmodSync(dir, 0o711);
  const undo: (() => void)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const unlock = lockContainer(g.root, o.id);
  let session: InitSession | undefined;
  try {
    const spec = loadSpec(o.bundle);
    if (!spec.root?.path) throw new RuntimeError('INVALID_CONFIG', 'config.json /root/path: required', { pointer: '/root/path' });
    const rootfs = path.resolve(o.bundle, spec.root.path);
    if (!fs.statSync(rootfs, { throwIfNoEntry: false })?.isDirectory()) {
      throw new RuntimeError('INVALID_CONFIG', `config.json /root/path: rootfs ${rootfs} does not exist or is not a directory`, { pointer: '/root/path' });
    }
    const layout = detectCgroupLayout();
    const cgroupPath = resolveCgroupsPath(spec.linux?.cgroupsPath, o.id);
    const cg = Cgroup.open(cgroupPath, layout);
    const preexisting = cg.exists();
    kernelCall(o.id, 'mkdir', `cgroup: ${cgroupPath} in each hierarchy`, () => cg.create(), preexisting ? 0 : cg.procsFiles().length);
    if (!preexisting) undo.push(() => cg.destroy());
    try {
      cg.apply({ ...(spec.linux?.resources ?? {}), devices: deviceRules(spec) } as never);
    } catch (e) {
      const err = e as Error & { pointer?: string };
      throw new RuntimeError('CGROUP', `config.json ${err.pointer ?? '/linux/resources'}: ${err.message}`, { pointer: err.pointer, cause: e });
    }
    const fifo = execFifoPath(g.root, o.id);
    mkfifo(fifo, 0o622);
    fs.chmodSync(fifo, 0o622);

    const hooks = spec.hooks ?? {};
    const hooksPoint = !!(hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length);
    const consoleSocket = mode.consoleSocket ?? (o.consoleSocket ? path.resolve(o.consoleSocket) : undefined);
    const plan = buildCreatePlan({
      id: o.id,
      spec,
      bundle: o.bundle,
      rootfs,
      stateDir: dir,
      cgroupProcs: cg.procsFiles(),
      cgroup: { version: layout.version, mounts: layout.mounts, unified: layout.unified, dirs: cg.dirs() },
      consoleSocket,
      noPivot: o.noPivot,
      noNewKeyring: o.noNewKeyring,
      foreground: mode.foreground,
      hooksPoint,
      home: homeOf(rootfs, spec.process?.user?.uid ?? 0),
      rootfsParentMount: mountPointOf(rootfs),
    });
    if (process.env.STRATA_PRINT_PLAN) process.stderr.write(`${formatPlan(plan)}\n`);
    debug(`create ${o.id}: ${plan.length} init ops`);

    const preserved = Array.from({ length: o.preserveFds }, (_, i) => 3 + i);
    // With STRATA_TRACE the helper appends its own lines (clone, mount, pivot_root...) to the trace.
    session = startInit({ helper: initHelperPath(), plan, fds: [0, 1, 2, ...preserved, ...(mode.extraFds ?? [])], env: traceEnv({ container: o.id }) });
    const pid = Number((await session.expect(MSG.PID)).toString());
    const saved: SavedState = {
      id: o.id,
      pid,
      pidStartTime: processStartTime(pid),
      bundle: o.bundle,
      rootfs,
      created: rfc3339Nano(),
      owner: os.userInfo().username,
      cgroupPath,
      creating: true,
      spec,
    };
    undo.push(() => killAndWait(pid, saved.pidStartTime));
    saveState(g.root, saved);
    if (hooksPoint) {
      await session.expect(MSG.HOOKS);
      const state = publicState(g.root, saved, 'creating');
      // runtime.md#lifecycle step 5-6 (spec 1.2): prestart (deprecated) then createRuntime, in
      // the runtime namespace, after the namespaces exist and before pivot_root.
      runHooks(hooks.prestart, state, 'prestart');
      runHooks(hooks.createRuntime, state, 'createRuntime');
      session.continueWith(JSON.stringify(state));
    }
    await session.expect(MSG.READY);
    saved.creating = false;
    saveState(g.root, saved);
    if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid), 0o644); // no newline, like runc
    return { saved, session };
  } catch (e) {
    for (const f of undo.reverse()) {
      try {
        f();
      } catch {
        // keep undoing the rest; the original error is what the user needs
      }
    }
    session?.detach();
    if (e instanceof InitFailed) throw new RuntimeError('INIT_FAILED', e.message, { cause: e });
    if (e instanceof RuntimeError) throw e;
    const err = e as Error & { code?: string; pointer?: string };
    if (err.pointer) throw new RuntimeError('INVALID_CONFIG', err.message, { pointer: err.pointer, cause: e });
    throw e;
  } finally {
    unlock();
  }
}

export async function create(g: GlobalOptions, o: CreateOptions): Promise<void> {
  const { session } = await createContainer(g, o, { foreground: false });
  session.detach();
}
