// The container lifecycle of the OCI runtime, as data.
//
// runtime-spec runtime.md#lifecycle and #operations describe the states and which operation is
// allowed in which state. This table is the single source of truth: the operation guards
// (`assertAllowed`), the fast-check model tests and the mermaid state diagram in diagrams/ are all
// derived from it, so they cannot drift apart.
//
// Where runc 1.1 (the runtime every caller is written against) is more permissive than the spec's
// text, we follow runc and say so in `note`, because containerd-shim-runc-v2, podman and conmon
// depend on that behaviour.

export const states = ['creating', 'created', 'running', 'paused', 'stopped'] as const;
export type ContainerStatus = (typeof states)[number];

export interface OperationRule {
  /** States in which the operation is allowed. */
  readonly from: readonly ContainerStatus[];
  /** States in which the operation is allowed only with --force (delete). */
  readonly force?: readonly ContainerStatus[];
  /** The state after success; undefined = unchanged (or decided by the process, e.g. kill). */
  readonly to?: ContainerStatus;
  /**
   * The container ceases to exist after success (no state dir): runc's `checkpoint` destroys
   * the container once CRIU has dumped and killed it. The text names the options that keep it.
   */
  readonly removes?: string;
  /** runc's error text when refused, keyed by state; `default` otherwise. */
  readonly refusal: Partial<Record<ContainerStatus | 'default', string>>;
  /** Where the rule comes from. */
  readonly spec: string;
  readonly note?: string;
}

export const operations = {
  start: {
    from: ['created'],
    to: 'running',
    refusal: {
      running: 'cannot start an already running container',
      paused: 'cannot start an already running container',
      stopped: 'cannot start a container that has stopped',
      default: 'cannot start a container in state %s',
    },
    spec: 'runtime.md#start',
  },
  kill: {
    from: ['created', 'running', 'paused'],
    refusal: { default: 'container not running' },
    spec: 'runtime.md#kill',
    note: 'the resulting state depends on the signal and the process: SIGKILL leads to stopped',
  },
  pause: {
    from: ['created', 'running'],
    to: 'paused',
    refusal: { default: 'container not running' },
    spec: 'runc pause (not in runtime.md)',
    note: 'runc freezes created containers too',
  },
  resume: {
    from: ['paused'],
    to: 'running',
    refusal: { default: 'container not paused' },
    spec: 'runc resume (not in runtime.md)',
    note: 'a container paused while created returns to created (its process still waits on exec.fifo)',
  },
  delete: {
    from: ['stopped', 'created'],
    force: ['running', 'paused', 'creating'],
    refusal: { default: 'cannot delete container %i that is not stopped: %s' },
    spec: 'runtime.md#delete',
    note: 'runc and crun delete a created container without --force (the spec only says stopped)',
  },
  exec: {
    from: ['created', 'running'],
    refusal: {
      stopped: 'cannot exec in a stopped container',
      paused: 'cannot exec in a paused container (use --ignore-paused to override)',
      default: 'cannot exec in a container in state %s',
    },
    spec: 'runc exec (not in runtime.md)',
  },
  update: {
    from: ['created', 'running', 'paused'],
    refusal: { default: 'container not running' },
    spec: 'runc update (not in runtime.md)',
  },
  checkpoint: {
    from: ['running', 'paused'],
    removes: 'unless --leave-running or --pre-dump (then the state is unchanged)',
    refusal: { default: 'Container cannot be checkpointed in %s state' },
    spec: 'runc checkpoint (not in runtime.md): CRIU dump',
    note: 'runc refuses created and stopped containers; after a full dump CRIU has killed the processes and the container is destroyed, so its id is free for restore',
  },
  ps: {
    from: ['creating', 'created', 'running', 'paused', 'stopped'],
    refusal: {},
    spec: 'runc ps (not in runtime.md)',
  },
  state: {
    from: ['creating', 'created', 'running', 'paused', 'stopped'],
    refusal: {},
    spec: 'runtime.md#query-state',
  },
} as const satisfies Record<string, OperationRule>;

export type Operation = keyof typeof operations;

/** `create` is the edge from "does not exist" to created; it is not an operation on a container. */
export const create = {
  to: 'created' as ContainerStatus,
  via: 'creating' as ContainerStatus,
  refusal: 'container with given ID already exists',
  spec: 'runtime.md#create',
};

/**
 * `restore` is, like create, an edge from "does not exist": CRIU recreates the processes from a
 * checkpoint image and the container is running at once (no exec.fifo, no `start`).
 */
export const restore = {
  to: 'running' as ContainerStatus,
  refusal: 'container with id %i already exists',
  spec: 'runc restore (not in runtime.md): CRIU restore',
};

/** The process exiting (by itself or by a signal) moves any live state to stopped. */
export const processExit = { from: ['created', 'running', 'paused'] as ContainerStatus[], to: 'stopped' as ContainerStatus };

export class LifecycleRefusal extends Error {
  constructor(
    readonly op: Operation,
    readonly state: ContainerStatus,
    message: string,
  ) {
    super(message);
  }
}

export function isAllowed(op: Operation, state: ContainerStatus, force = false): boolean {
  const rule: OperationRule = operations[op];
  return rule.from.includes(state) || (force && (rule.force ?? []).includes(state));
}

/** Throws the runc-worded refusal if `op` is not allowed in `state`. */
export function assertAllowed(op: Operation, state: ContainerStatus, id: string, force = false): void {
  if (isAllowed(op, state, force)) return;
  const rule: OperationRule = operations[op];
  const text = (rule.refusal[state] ?? rule.refusal.default ?? `${op} is not allowed in state %s`)
    .replace('%s', state)
    .replace('%i', id);
  throw new LifecycleRefusal(op, state, text);
}

/** The state after a successful `op` (unchanged when the table gives none). */
export function nextState(op: Operation, state: ContainerStatus): ContainerStatus {
  const rule: OperationRule = operations[op];
  return rule.to ?? state;
}
