// The states of a task's processes as the shim sees them, as data.
//
// containerd's Task API reports a process as CREATED, RUNNING, PAUSED or STOPPED
// (containerd.v1.types.Status). The shim owns two kinds of process:
//   - the init process (the container itself): created by `runtime create`, started by
//     `runtime start`, paused/resumed through the freezer, deleted by `runtime delete`;
//   - exec processes: registered by Exec (nothing runs yet), started by Start(exec_id) with
//     `runtime exec --detach`, never paused on their own (they freeze with their container).
// This table decides which Task API call is allowed in which state. The service's guards,
// the fast-check model test and diagrams/shim-process.mmd are all derived from it.

export const processStates = ['created', 'running', 'paused', 'stopped', 'deleted'] as const;
export type ProcessState = (typeof processStates)[number];
export type ProcessKind = 'init' | 'exec';

export type TaskCall = 'start' | 'kill' | 'pause' | 'resume' | 'exit' | 'delete' | 'resizePty' | 'closeIO' | 'update' | 'exec' | 'checkpoint';

export type RefusalCode = 'FAILED_PRECONDITION' | 'NOT_FOUND';

export interface CallRule {
  /** States in which the call is allowed, per kind of process. */
  readonly from: Readonly<Partial<Record<ProcessKind, readonly ProcessState[]>>>;
  /** State after success (unchanged when absent). */
  readonly to?: ProcessState;
  /** The message when refused. */
  readonly refusal: string;
  /**
   * The error code when refused: FAILED_PRECONDITION (wrong state) unless containerd's shim
   * answers otherwise (kill of a finished process is NOT_FOUND, which clients read as "already
   * exited").
   */
  readonly refusalCode?: RefusalCode;
  /** Where the rule comes from. */
  readonly source: string;
  readonly note?: string;
}

/** What each Task API call may do (containerd runtime/v2/runc/v2 and pkg/process state files). */
export const taskCalls: Readonly<Record<TaskCall, CallRule>> = {
  start: {
    from: { init: ['created'], exec: ['created'] },
    to: 'running',
    refusal: 'cannot start a process in state %s',
    source: 'Task.Start; runtime start / runtime exec --detach',
  },
  kill: {
    from: { init: ['created', 'running', 'paused'], exec: ['running'] },
    refusal: 'process already finished',
    refusalCode: 'NOT_FOUND',
    source: 'Task.Kill; runtime kill (init) or kill(2) (exec); the runc shim maps "not running" to ErrNotFound',
    note: 'the exit is reported later, by the reaper; kill itself changes no state',
  },
  pause: {
    from: { init: ['running'] },
    to: 'paused',
    refusal: 'cannot pause a process in state %s',
    source: 'Task.Pause; runtime pause (cgroup freezer)',
  },
  resume: {
    from: { init: ['paused'] },
    to: 'running',
    refusal: 'cannot resume a process in state %s',
    source: 'Task.Resume; runtime resume',
  },
  exit: {
    from: { init: ['created', 'running', 'paused'], exec: ['running'] },
    to: 'stopped',
    refusal: 'exit of a process that is not running',
    source: 'the reaper (waitpid) sees the process end; TaskExit is published',
    note: 'not a call: the kernel reports it. A created init can exit if it is killed before start',
  },
  delete: {
    from: { init: ['created', 'stopped'], exec: ['created', 'stopped'] },
    to: 'deleted',
    refusal: 'cannot delete a process in state %s: stop it first',
    source: 'Task.Delete; runtime delete (init)',
    note: 'a created init is deleted with `runtime delete --force` (its process waits on the exec fifo)',
  },
  resizePty: {
    from: { init: ['created', 'running', 'paused', 'stopped'], exec: ['created', 'running', 'stopped'] },
    refusal: 'cannot resize the terminal of a process in state %s',
    source: 'Task.ResizePty; TIOCSWINSZ on the pty master',
    note: 'a no-op once the terminal is gone: ctr resizes on SIGWINCH, racing the exit, and the runc shim accepts that',
  },
  closeIO: {
    from: { init: ['created', 'running', 'paused', 'stopped'], exec: ['created', 'running', 'stopped'] },
    refusal: 'cannot close the stdin of a process in state %s',
    source: 'Task.CloseIO; closes the write end feeding the process stdin',
  },
  update: {
    from: { init: ['created', 'running', 'paused'] },
    refusal: 'cannot update a container in state %s',
    source: 'Task.Update; runtime update --resources -',
  },
  checkpoint: {
    from: { init: ['running', 'paused'] },
    refusal: 'cannot checkpoint a container in state %s',
    source: 'Task.Checkpoint; runtime checkpoint (CRIU dump) into CheckpointTaskRequest.path',
    note: 'no state change by itself: unless the options ask to leave it running, CRIU kills the processes after the dump and the exit arrives through the reaper',
  },
  exec: {
    from: { init: ['created', 'running', 'paused'] },
    refusal: 'cannot exec in a container in state %s',
    source: 'Task.Exec registers an exec process (containerd checks the container is not stopped)',
    note: 'rule for the init process: exec needs a container that has not stopped',
  },
};

export class StateRefusal extends Error {
  constructor(
    readonly call: TaskCall,
    readonly state: ProcessState,
  ) {
    super(taskCalls[call].refusal.replace('%s', state));
    this.name = 'StateRefusal';
  }

  get code(): RefusalCode {
    return refusalCode(this.call);
  }
}

export function allowed(call: TaskCall, kind: ProcessKind, state: ProcessState): boolean {
  return (taskCalls[call].from[kind] ?? []).includes(state);
}

/** Throws StateRefusal unless the table allows `call` for a `kind` process in `state`. */
export function assertAllowed(call: TaskCall, kind: ProcessKind, state: ProcessState): void {
  if (!allowed(call, kind, state)) throw new StateRefusal(call, state);
}

/** The error code a refused `call` gets. */
export function refusalCode(call: TaskCall): RefusalCode {
  return taskCalls[call].refusalCode ?? 'FAILED_PRECONDITION';
}

/** The state after a successful call. */
export function nextState(call: TaskCall, state: ProcessState): ProcessState {
  return taskCalls[call].to ?? state;
}

/** containerd.v1.types.Status numbers (UNKNOWN 0, CREATED 1, RUNNING 2, STOPPED 3, PAUSED 4, PAUSING 5). */
export const STATUS_NUMBER: Record<ProcessState, number> = { created: 1, running: 2, stopped: 3, paused: 4, deleted: 0 };
