// containerd.task.v2.Task, the service containerd calls on the shim. Each method decodes the
// request, finds the container (one shim may hold several: pods group their containers), calls
// the container, and publishes the task event containerd expects, in the order it expects them.
import { ShimError } from './errors';
import { TaskContainer } from './container';
import { SHIM_VERSION } from './version';
import { runtimeOptions, type RuntimeOptions } from './runtimeOptions';
import { EventPublisher } from './events';
import {
  anyTypeName,
  decode,
  CheckpointOptionsType,
  type CheckpointOptions,

  packAny,
  ProcessDetailsType,
  RuncOptionsType,
  toTimestamp,
  type Any,
  type CheckpointTaskRequest,
  type CloseIORequest,
  type ConnectResponse,
  type CreateTaskRequest,
  type ExecProcessRequest,
  type ExitResponse,
  type IdRequest,
  type KillRequest,
  type ProcessInfo,
  type ResizePtyRequest,
  type ShutdownRequest,
  type StateResponse,
  type UpdateTaskRequest,
} from './proto';
import type { ShimProcess } from './process';
import type { Exit } from './reaper';
import { STATUS_NUMBER } from './taskStates';


/** runc Options from an Any (containerd.runc.v1.Options; older containerd: runctypes.RuncOptions). */
export class TaskService {
  readonly containers = new Map<string, TaskContainer>();
  /** Create calls in flight, so that two creates of one id cannot race. */
  private readonly creating = new Set<string>();
  /** Start calls in flight (container/execId) and the exit events held until they finish. */
  private readonly starting = new Map<string, (() => void)[]>();

  constructor(
    readonly namespace: string,
    readonly events: EventPublisher,
    /** Called when Shutdown finds no container left: the shim process ends. */
    private readonly onShutdown: () => void,
    /** Options given to `start` on stdin: defaults for every Create. */
    private readonly defaultOptions?: RuntimeOptions,
  ) {}

  private container(id: string): TaskContainer {
    const c = this.containers.get(id);
    if (!c) throw new ShimError('NOT_FOUND', `container ${id}: not found`);
    return c;
  }

  async Create(r: CreateTaskRequest): Promise<{ pid: number }> {
    if (this.containers.has(r.id) || this.creating.has(r.id)) throw new ShimError('ALREADY_EXISTS', `container ${r.id}: already exists`);
    this.creating.add(r.id);
    try {
      const options = runtimeOptions(r.options) ?? this.defaultOptions;
      const c = await TaskContainer.create(
        { id: r.id, bundle: r.bundle, rootfs: r.rootfs, terminal: r.terminal, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, options, checkpoint: r.checkpoint || undefined },
        this.namespace,
        { exit: (c, p, e) => this.onExit(c, p, e), oom: (c) => this.events.publish('oom', { containerId: c.id }) },
      );
      this.containers.set(r.id, c);
      this.events.publish('create', {
        containerId: r.id,
        bundle: r.bundle,
        rootfs: r.rootfs,
        io: { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, terminal: r.terminal },
        checkpoint: r.checkpoint,
        pid: c.init.pid,
      });
      return { pid: c.init.pid };
    } finally {
      this.creating.delete(r.id);
    }
  }

  async Start(r: IdRequest): Promise<{ pid: number }> {
    const c = this.container(r.id);
    // A short process (`ctr t exec ... true`) can exit before the runtime's start/exec returns.
    // containerd expects TaskStart/TaskExecStarted before that process's TaskExit, so exits seen
    // while a start is in flight wait here until the started event is queued.
    const key = `${r.id}/${r.execId}`;
    this.starting.set(key, []);
    try {
      const p = await c.start(r.execId);
      if (r.execId) this.events.publish('exec-started', { containerId: c.id, execId: r.execId, pid: p.pid });
      else this.events.publish('start', { containerId: c.id, pid: p.pid });
      return { pid: p.pid };
    } finally {
      const held = this.starting.get(key) ?? [];
      this.starting.delete(key);
      for (const publish of held) publish();
    }
  }

  async Delete(r: IdRequest): Promise<ExitResponse> {
    const c = this.container(r.id);
    const p = await c.delete(r.execId);
    const exitedAt = toTimestamp(p.exit?.at);
    if (!r.execId) {
      this.containers.delete(r.id);
      this.events.publish('delete', { containerId: c.id, pid: p.pid, exitStatus: p.exitStatus, exitedAt, id: c.id });
    }
    return { pid: p.pid, exitStatus: p.exitStatus, exitedAt };
  }

  async Exec(r: ExecProcessRequest): Promise<object> {
    const c = this.container(r.id);
    if (!r.spec) throw new ShimError('INVALID_ARGUMENT', 'spec: missing (an Any holding the OCI process as JSON)');
    c.addExec({ execId: r.execId, processJson: new TextDecoder().decode(r.spec.value), terminal: r.terminal, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr });
    this.events.publish('exec-added', { containerId: c.id, execId: r.execId });
    return {};
  }

  async ResizePty(r: ResizePtyRequest): Promise<object> {
    this.container(r.id).resizePty(r.execId, r.width, r.height);
    return {};
  }

  async State(r: IdRequest): Promise<StateResponse> {
    const c = this.container(r.id);
    const s = await c.status(r.execId);
    return {
      id: s.id,
      bundle: c.bundle,
      pid: s.pid,
      status: STATUS_NUMBER[s.state],
      stdin: s.stdio.stdin,
      stdout: s.stdio.stdout,
      stderr: s.stdio.stderr,
      terminal: s.stdio.terminal,
      exitStatus: s.exitStatus,
      exitedAt: toTimestamp(s.exitedAt),
      execId: r.execId,
    };
  }

  async Pause(r: { id: string }): Promise<object> {
    await this.container(r.id).pause();
    this.events.publish('paused', { containerId: r.id });
    return {};
  }

  async Resume(r: { id: string }): Promise<object> {
    await this.container(r.id).resume();
    this.events.publish('resumed', { containerId: r.id });
    return {};
  }

  async Kill(r: KillRequest): Promise<object> {
    await this.container(r.id).kill(r.execId, r.signal, r.all);
    return {};
  }

  async Pids(r: { id: string }): Promise<{ processes: ProcessInfo[] }> {
    const pids = await this.container(r.id).pids();
    return { processes: pids.map((p) => ({ pid: p.pid, info: p.execId ? packAny(ProcessDetailsType, { execId: p.execId }) : undefined })) };
  }

  async CloseIO(r: CloseIORequest): Promise<object> {
    this.container(r.id).closeIO(r.execId, r.stdin);
    return {};
  }

  async Checkpoint(r: CheckpointTaskRequest): Promise<object> {
    const c = this.container(r.id);
    let o: Partial<CheckpointOptions> = {};
    if (r.options && r.options.value.length > 0) {
      if (anyTypeName(r.options) !== 'containerd.runc.v1.CheckpointOptions') throw new ShimError('INVALID_ARGUMENT', `options: unsupported type ${r.options.typeUrl} (expected containerd.runc.v1.CheckpointOptions)`);
      o = decode(CheckpointOptionsType, r.options.value);
    }
    if (o.emptyNamespaces?.length) throw new ShimError('INVALID_ARGUMENT', 'options.empty_namespaces: not supported by strata-runtime');
    const imagePath = o.imagePath || r.path;
    if (!imagePath) throw new ShimError('INVALID_ARGUMENT', 'path: missing (the directory for the CRIU images)');
    // containerd-shim-runc-v2: `exit` false (the default of an Any-less request) leaves it running.
    await c.checkpoint({ imagePath, workPath: o.workPath || undefined, exit: !!o.exit, openTcp: o.openTcp, externalUnixSockets: o.externalUnixSockets, terminal: o.terminal, fileLocks: o.fileLocks, cgroupsMode: o.cgroupsMode || undefined });
    return {};
  }

  async Update(r: UpdateTaskRequest): Promise<object> {
    const c = this.container(r.id);
    if (!r.resources) throw new ShimError('INVALID_ARGUMENT', 'resources: missing (an Any holding OCI LinuxResources as JSON)');
    await c.update(new TextDecoder().decode(r.resources.value));
    return {};
  }

  async Wait(r: IdRequest): Promise<ExitResponse> {
    const p = this.container(r.id).process(r.execId);
    const e = await p.wait();
    return { exitStatus: e.status, exitedAt: toTimestamp(e.at) };
  }

  async Stats(r: { id: string }): Promise<{ stats: Any }> {
    return { stats: this.container(r.id).stats() };
  }

  async Connect(r: { id: string }): Promise<ConnectResponse> {
    return { shimPid: process.pid, taskPid: this.containers.get(r.id)?.init.pid ?? 0, version: SHIM_VERSION };
  }

  async Shutdown(_r: ShutdownRequest): Promise<object> {
    // A grouped shim serves several containers: it ends only when the last one is gone.
    if (this.containers.size === 0) setImmediate(this.onShutdown);
    return {};
  }

  private onExit(c: TaskContainer, p: ShimProcess, e: Exit): void {
    const publish = () => this.events.publish('exit', { containerId: c.id, id: p.id, pid: e.pid, exitStatus: e.status, exitedAt: toTimestamp(e.at) });
    const held = this.starting.get(`${c.id}/${p === c.init ? '' : p.id}`);
    if (held) held.push(publish);
    else publish();
  }

  /** The ttrpc handlers (method name -> function), bound to this service. */
  handlers(): Record<string, (req: any) => Promise<unknown>> {
    const names = ['State', 'Create', 'Start', 'Delete', 'Pids', 'Pause', 'Resume', 'Checkpoint', 'Kill', 'Exec', 'ResizePty', 'CloseIO', 'Update', 'Wait', 'Stats', 'Connect', 'Shutdown'] as const;
    return Object.fromEntries(names.map((n) => [n, (req: any) => (this[n] as (r: any) => Promise<unknown>).call(this, req)]));
  }
}

