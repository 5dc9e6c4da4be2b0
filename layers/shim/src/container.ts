// One container in the shim: its bundle, the OCI runtime that drives it, its init process and its
// exec processes. Every call checks the state table (taskStates.ts) before doing anything, and
// every failure undoes what that call did (mounts, fds, runtime state), so an error leaves the
// container as if the call had never been made.
import fs from 'node:fs';
import path from 'node:path';
import { Cgroup, detectCgroupLayout, processCgroup } from '@strata/linux';
import { metricsAny } from './metrics';
import type { Any } from './proto';
import { ShimError } from './errors';
import { OciRuntime, resolveBinary } from './ociRuntime';
import { ShimProcess } from './process';
import { reaper, type Exit } from './reaper';
import { mountRootfs, unmountRootfs, type MountSpec } from './rootfs';
import { ConsoleSocket, ProcessIO, type StdioPaths } from './stdio';
import type { RuntimeOptions } from './runtimeOptions';
import { DEFAULT_RUNTIME, DEFAULT_RUNTIME_ROOT } from './version';
import { StateRefusal } from './taskStates';
import { SHIM, shimCall, traceExit, tracedSync } from './trace';

/** containerd.runc.v1.Options, the subset that changes what the shim does. */
export interface CreateRequest extends StdioPaths {
  id: string;
  bundle: string;
  rootfs: MountSpec[];
  options?: RuntimeOptions;
  /** CreateTaskRequest.checkpoint: a CRIU image directory; Start restores from it. */
  checkpoint?: string;
}

/** Task.Checkpoint, decoded (containerd.runc.v1.CheckpointOptions). */
export interface CheckpointRequest {
  /** CheckpointTaskRequest.path, or options.image_path. */
  imagePath: string;
  workPath?: string;
  /** options.exit: stop the container after the dump (otherwise it is left running). */
  exit: boolean;
  openTcp?: boolean;
  externalUnixSockets?: boolean;
  terminal?: boolean;
  fileLocks?: boolean;
  cgroupsMode?: string;
}

export interface ExecRequest extends StdioPaths {
  execId: string;
  /** The OCI process (runtime-spec config.md#process) as JSON. */
  processJson: string;
}

export interface ProcessStatus {
  id: string;
  pid: number;
  state: ShimProcess['state'];
  stdio: StdioPaths;
  exitStatus: number;
  exitedAt?: Date;
}

/** What the container tells the service (which turns it into containerd events). */
export interface ContainerEvents {
  exit(container: TaskContainer, p: ShimProcess, e: Exit): void;
  oom(container: TaskContainer): void;
}

/** Container and exec ids the shim accepts (what runc accepts, bounded as containerd bounds them). */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,75}$/;

export class TaskContainer {
  readonly init: ShimProcess;
  readonly execs = new Map<string, ShimProcess>();
  private oomTimer?: NodeJS.Timeout;
  private oomSeen = 0;
  private cgroup?: Cgroup;
  /** Set by a Create with a checkpoint: Start runs `runtime restore` instead of `runtime start`. */
  private restoreFrom?: { imagePath: string; noPivot?: boolean; workPath?: string };

  private constructor(
    readonly id: string,
    readonly bundle: string,
    readonly runtime: OciRuntime,
    readonly namespace: string,
    stdio: StdioPaths,
    private readonly events: ContainerEvents,
  ) {
    this.init = new ShimProcess('init', id, stdio);
  }

  /** Task.Create: mount the rootfs, `runtime create`, keep the init's pid. */
  static async create(r: CreateRequest, namespace: string, events: ContainerEvents): Promise<TaskContainer> {
    if (!ID_RE.test(r.id)) throw new ShimError('INVALID_ARGUMENT', `id: ${JSON.stringify(r.id)} is not a valid container id ([A-Za-z0-9][A-Za-z0-9_.-]*, at most 76 characters)`);
    if (!path.isAbsolute(r.bundle) || !fs.existsSync(path.join(r.bundle, 'config.json'))) throw new ShimError('INVALID_ARGUMENT', `bundle: ${JSON.stringify(r.bundle)} is not an absolute path to a directory with config.json`);
    const opts = r.options ?? {};
    const binary = opts.binaryName ? resolveBinary(opts.binaryName) : defaultRuntime();
    const runtime = new OciRuntime({ binary, root: path.join(opts.root || DEFAULT_RUNTIME_ROOT, namespace), logFile: path.join(r.bundle, 'log.json'), systemdCgroup: opts.systemdCgroup, criu: opts.criuPath });
    // Recorded for the `delete` subcommand, which must clean up after a shim that died.
    fs.writeFileSync(path.join(r.bundle, 'runtime'), binary);
    fs.writeFileSync(path.join(r.bundle, 'options.json'), JSON.stringify(opts));
    const c = new TaskContainer(r.id, r.bundle, runtime, namespace, r, events);
    // The snapshot containerd prepared (an overlay, typically) becomes <bundle>/rootfs.
    const mountCall = shimCall({ from: SHIM, to: 'kernel', protocol: 'syscall', op: 'mount', ids: { container: r.id }, detail: `rootfs: ${r.rootfs.map((m) => m.type).join(', ')} on the bundle's rootfs`, count: r.rootfs.length > 1 ? r.rootfs.length : undefined });
    if (r.rootfs.length) tracedSync(mountCall, () => mountRootfs(r.bundle, r.rootfs));
    let console: ConsoleSocket | undefined;
    try {
      if (r.checkpoint) {
        // As containerd-shim-runc-v2: Create only records the image; the processes come back
        // at Start (`runtime restore --detach`), so until then there is no pid (0).
        if (!path.isAbsolute(r.checkpoint) || !fs.existsSync(path.join(r.checkpoint, 'inventory.img'))) {
          throw new ShimError('INVALID_ARGUMENT', `checkpoint: ${JSON.stringify(r.checkpoint)} is not an absolute path to a CRIU image directory (inventory.img)`);
        }
        if (r.terminal) throw new ShimError('INVALID_ARGUMENT', 'checkpoint: restoring a task with a terminal is not supported (CRIU needs the dumped terminal)');
        c.init.io = await ProcessIO.open(r, { id: r.id, namespace });
        c.restoreFrom = { imagePath: r.checkpoint, noPivot: opts.noPivotRoot, workPath: opts.criuWorkPath };
        return c;
      }
      const io = await ProcessIO.open(r, { id: r.id, namespace });
      c.init.io = io;
      console = r.terminal ? new ConsoleSocket() : undefined;
      const pidFile = path.join(r.bundle, 'init.pid');
      const created = runtime.create(r.id, { bundle: r.bundle, pidFile, consoleSocket: console?.path, noPivot: opts.noPivotRoot, noNewKeyring: opts.noNewKeyring, stdio: io.runtimeStdio });
      const master = console ? console.receive(created) : undefined;
      // When the runtime fails, created rejects first and master is never awaited: its own rejection
      // (no terminal arrived) must not become an unhandled rejection, which would end the shim
      // and with it every task it serves.
      master?.catch(() => {});
      await created;
      if (master) io.attachConsole(await master);
      io.closeContainerEnds();
      c.init.pid = readPid(pidFile);
      reaper.watch(c.init.pid, (e) => c.onExit(c.init, e));
      return c;
    } catch (e) {
      c.init.io?.abort();
      await runtime.delete(r.id, true).catch(() => undefined);
      unmountRootfs(r.bundle);
      throw e;
    } finally {
      console?.close();
    }
  }

  process(execId: string): ShimProcess {
    if (!execId) return this.init;
    const p = this.execs.get(execId);
    if (!p) throw new ShimError('NOT_FOUND', `process ${execId} does not exist in container ${this.id}`);
    return p;
  }

  /** Task.Start: `runtime start` for the init, `runtime exec --detach` for an exec process. */
  async start(execId: string): Promise<ShimProcess> {
    const p = this.process(execId);
    guard(() => p.check('start'));
    if (p.kind === 'init') {
      // The OOM counter's baseline is read before the process runs: an OOM kill in its first
      // milliseconds must still count.
      this.watchOom();
      if (this.restoreFrom) return this.restore(p);
      try {
        await this.runtime.start(this.id);
      } catch (e) {
        this.stopOomWatch();
        throw e;
      }
      if (p.state === 'created') p.apply('start');
      return p;
    }
    guard(() => this.init.check('exec'));
    const spec = this.pendingExecs.get(execId)!;
    const processFile = path.join(this.bundle, `.exec-${execId}.json`);
    const pidFile = path.join(this.bundle, `${execId}.pid`);
    fs.writeFileSync(processFile, spec);
    let console: ConsoleSocket | undefined;
    try {
      // The logging binary of an exec process sees the exec id as CONTAINER_ID, as with the runc shim.
      const io = await ProcessIO.open(p.stdio, { id: p.id, namespace: this.namespace });
      p.io = io;
      console = p.stdio.terminal ? new ConsoleSocket() : undefined;
      const execd = this.runtime.exec(this.id, { processFile, pidFile, consoleSocket: console?.path, stdio: io.runtimeStdio });
      const master = console ? console.receive(execd) : undefined;
      // When the runtime fails, execd rejects first and master is never awaited: its own rejection
      // (no terminal arrived) must not become an unhandled rejection, which would end the shim
      // and with it every task it serves.
      master?.catch(() => {});
      await execd;
      if (master) io.attachConsole(await master);
      io.closeContainerEnds();
      p.pid = readPid(pidFile);
      p.apply('start');
      reaper.watch(p.pid, (e) => this.onExit(p, e));
      return p;
    } catch (e) {
      p.io?.abort();
      p.io = undefined;
      throw e;
    } finally {
      console?.close();
      fs.rmSync(processFile, { force: true });
    }
  }

  /** Start of a task created from a checkpoint: CRIU brings the processes back, running. */
  private async restore(p: ShimProcess): Promise<ShimProcess> {
    const from = this.restoreFrom!;
    const io = p.io!;
    const pidFile = path.join(this.bundle, 'init.pid');
    await this.runtime.restore(this.id, { bundle: this.bundle, pidFile, imagePath: from.imagePath, workPath: from.workPath, noPivot: from.noPivot, stdio: io.runtimeStdio });
    io.closeContainerEnds();
    this.restoreFrom = undefined;
    p.pid = readPid(pidFile);
    // The restored init was the runtime's child; the runtime has exited, so it is ours now
    // (we are the subreaper), and its exit reaches the reaper like any init's.
    reaper.watch(p.pid, (e) => this.onExit(p, e));
    p.apply('start');
    this.watchOom();
    return p;
  }

  /** Task.Checkpoint: `runtime checkpoint` into the request's image directory. */
  async checkpoint(r: CheckpointRequest): Promise<void> {
    guard(() => this.init.check('checkpoint'));
    if (!path.isAbsolute(r.imagePath)) throw new ShimError('INVALID_ARGUMENT', `path: ${JSON.stringify(r.imagePath)} must be an absolute directory path`);
    await this.runtime.checkpoint(this.id, {
      imagePath: r.imagePath,
      workPath: r.workPath,
      leaveRunning: !r.exit,
      tcpEstablished: r.openTcp,
      extUnixSk: r.externalUnixSockets,
      shellJob: r.terminal,
      fileLocks: r.fileLocks,
      cgroupsMode: r.cgroupsMode,
    });
  }

  private readonly pendingExecs = new Map<string, string>();

  /** Task.Exec: register an exec process; it starts with Start(exec_id). */
  addExec(r: ExecRequest): ShimProcess {
    if (!ID_RE.test(r.execId)) throw new ShimError('INVALID_ARGUMENT', `exec_id: ${JSON.stringify(r.execId)} is not a valid id`);
    if (this.execs.has(r.execId)) throw new ShimError('ALREADY_EXISTS', `id ${r.execId}: already exists`);
    guard(() => this.init.check('exec'));
    try {
      const spec = JSON.parse(r.processJson) as { args?: unknown };
      if (!Array.isArray(spec.args) || spec.args.length === 0) throw new Error('args must be a non-empty array');
    } catch (e) {
      throw new ShimError('INVALID_ARGUMENT', `spec: not a valid OCI process: ${(e as Error).message}`);
    }
    const p = new ShimProcess('exec', r.execId, r);
    this.execs.set(r.execId, p);
    this.pendingExecs.set(r.execId, r.processJson);
    return p;
  }

  /** Task.Kill. The exit itself arrives through the reaper. */
  async kill(execId: string, signal: number, all: boolean): Promise<void> {
    const p = this.process(execId);
    guard(() => p.check('kill'));
    if (p.kind === 'init') await this.runtime.kill(this.id, signal, all);
    else {
      try {
        process.kill(p.pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new ShimError('NOT_FOUND', 'process already finished');
        throw e;
      }
    }
  }

  async pause(): Promise<void> {
    guard(() => this.init.check('pause'));
    await this.runtime.pause(this.id);
    this.init.apply('pause');
  }

  async resume(): Promise<void> {
    guard(() => this.init.check('resume'));
    await this.runtime.resume(this.id);
    this.init.apply('resume');
  }

  async update(resourcesJson: string): Promise<void> {
    guard(() => this.init.check('update'));
    await this.runtime.update(this.id, resourcesJson);
  }

  resizePty(execId: string, width: number, height: number): void {
    const p = this.process(execId);
    guard(() => p.check('resizePty'));
    p.io?.resize(width, height);
  }

  closeIO(execId: string, stdin: boolean): void {
    const p = this.process(execId);
    guard(() => p.check('closeIO'));
    if (stdin) p.io?.closeStdin();
  }

  /** Task.Pids: `runtime ps`, exec processes marked with their exec id. */
  async pids(): Promise<{ pid: number; execId?: string }[]> {
    const pids = await this.runtime.ps(this.id);
    return pids.map((pid) => ({ pid, execId: [...this.execs.values()].find((p) => p.pid === pid)?.id }));
  }

  /** Task.Delete. */
  async delete(execId: string): Promise<ShimProcess> {
    const p = this.process(execId);
    guard(() => p.check('delete'));
    if (p.kind === 'exec') {
      await p.io?.close();
      this.execs.delete(execId);
      this.pendingExecs.delete(execId);
      p.apply('delete');
      return p;
    }
    for (const e of this.execs.values()) if (e.state === 'running') throw new ShimError('FAILED_PRECONDITION', `exec process ${e.id} is still running`);
    try {
      await this.runtime.delete(this.id, p.state === 'created');
    } catch (e) {
      if (!(e instanceof ShimError && e.code === 'NOT_FOUND')) throw e;
    }
    if (p.state === 'created') {
      // The init was killed by `delete --force`: take its exit before reporting.
      // (A task created from a checkpoint and never started has no process at all.)
      if (p.pid) await Promise.race([p.wait(), new Promise((r) => setTimeout(r, 5_000))]);
      if (!p.exit) p.setExited({ pid: p.pid, status: 137, at: new Date() });
    }
    this.stopOomWatch();
    await p.io?.close();
    for (const e of this.execs.values()) await e.io?.close();
    tracedSync(shimCall({ from: SHIM, to: 'kernel', protocol: 'syscall', op: 'umount2', ids: { container: this.id }, detail: "rootfs: the bundle's rootfs (MNT_DETACH)" }), () => unmountRootfs(this.bundle));
    p.apply('delete');
    return p;
  }

  status(execId: string): Promise<ProcessStatus> {
    const p = this.process(execId);
    return Promise.resolve({ id: p.id, pid: p.pid, state: p.state, stdio: p.stdio, exitStatus: p.exitStatus, exitedAt: p.exit?.at });
  }

  /** Cgroup statistics of the container, from the init's cgroup (as containerd's runc shim). */
  stats(): Any {
    const cg = this.containerCgroup();
    if (!cg) throw new ShimError('NOT_FOUND', 'cgroup does not exist');
    return metricsAny(cg);
  }

  private containerCgroup(): Cgroup | undefined {
    if (this.cgroup) return this.cgroup;
    if (!this.init.pid || this.init.state === 'stopped') return undefined;
    try {
      const layout = detectCgroupLayout();
      this.cgroup = Cgroup.open(processCgroup(this.init.pid, layout), layout);
      return this.cgroup;
    } catch {
      return undefined;
    }
  }

  /**
   * OOM kills: the kernel counts them (memory.oom_control oom_kill on v1, memory.events
   * oom_kill on v2); poll the counter while the container runs. The runc shim uses eventfd (v1)
   * and inotify (v2) instead; a 250 ms poll is simpler to read and works on both.
   */
  private watchOom(): void {
    const cg = this.containerCgroup();
    if (!cg || this.oomTimer) return;
    this.oomSeen = safeOomCount(cg);
    this.oomTimer = setInterval(() => this.checkOom(), 250);
    this.oomTimer.unref();
  }

  private checkOom(): void {
    if (!this.cgroup) return;
    const now = safeOomCount(this.cgroup);
    if (now > this.oomSeen) {
      this.oomSeen = now;
      this.events.oom(this);
    }
  }

  private stopOomWatch(): void {
    if (this.oomTimer) clearInterval(this.oomTimer);
    this.oomTimer = undefined;
  }

  private onExit(p: ShimProcess, e: Exit): void {
    traceExit(this.id, p.kind === 'exec' ? p.id : undefined, e.status, e.at);
    if (p.kind === 'init') {
      // A last OOM check, so that TaskOOM comes before TaskExit even when the kill landed
      // between two polls.
      if (this.oomTimer) {
        this.checkOom();
        this.stopOomWatch();
      }
      // Without its own pid namespace the container's other processes survive their init:
      // kill them, as runc's shim does (ShouldKillAllOnExit).
      if (!this.hasPidNamespace()) void this.runtime.kill(this.id, 9, true).catch(() => undefined);
    }
    p.setExited(e);
    this.events.exit(this, p, e);
  }

  private hasPidNamespace(): boolean {
    try {
      const spec = JSON.parse(fs.readFileSync(path.join(this.bundle, 'config.json'), 'utf8')) as { linux?: { namespaces?: { type: string; path?: string }[] } };
      return !!spec.linux?.namespaces?.some((n) => n.type === 'pid' && !n.path);
    } catch {
      return true;
    }
  }
}

/**
 * strata-runtime: the one built next to this shim in the workspace (layers/runtime/dist), so a
 * checkout always pairs matching versions; else the one on PATH.
 */
export function defaultRuntime(): string {
  let script = process.argv[1] ?? '';
  try {
    script = fs.realpathSync(script); // /usr/local/bin/containerd-shim-strata-v2 is a symlink
  } catch {
    // keep as given
  }
  const sibling = path.resolve(path.dirname(script), '../../runtime/dist/strata-runtime.mjs');
  if (script.endsWith('containerd-shim-strata-v2.mjs') && fs.existsSync(sibling)) return sibling;
  return resolveBinary(DEFAULT_RUNTIME);
}

function safeOomCount(cg: Cgroup): number {
  try {
    return cg.oomKillCount();
  } catch {
    return 0;
  }
}

function readPid(file: string): number {
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new ShimError('RUNTIME', `the runtime wrote no valid pid to ${file}`);
  return pid;
}

/** The state table's refusals are FailedPrecondition for containerd. */
function guard(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof StateRefusal) throw new ShimError(e.code, e.message);
    throw e;
  }
}
