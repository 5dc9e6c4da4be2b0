// containerd's two objects, as data: a *container* is a record (image, runtime, spec, snapshot);
// a *task* is the running process made from it by a shim. `ctr c ls` lists records, `ctr t ls`
// lists tasks. This table says which API call is allowed in which combined state; the Tasks and
// Containers services guard with it, the fast-check model test predicts from it, and
// diagrams/manager-container-task.mmd is drawn from it.
import { ManagerError } from './errors';

export const managerStates = ['none', 'container', 'created', 'running', 'paused', 'stopped'] as const;
export type ManagerState = (typeof managerStates)[number];

export type ManagerOp =
  | 'createContainer'
  | 'deleteContainer'
  | 'createTask'
  | 'startTask'
  | 'pauseTask'
  | 'resumeTask'
  | 'killTask'
  | 'execTask'
  | 'checkpointTask'
  | 'exit'
  | 'deleteTask';

export type RefusalCode = 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION';

export interface OpRule {
  readonly from: readonly ManagerState[];
  readonly to?: ManagerState;
  /** The API call (or event) a student would look up. */
  readonly call: string;
  /** Refusals by state (anything not listed: FAILED_PRECONDITION with `refusal`). */
  readonly refusals?: Partial<Record<ManagerState, [RefusalCode, string]>>;
  readonly refusal: string;
}

const noContainer: [RefusalCode, string] = ['NOT_FOUND', 'container %id not found'];
const noTask: [RefusalCode, string] = ['NOT_FOUND', 'no running task found: task %id not found'];
const taskStates: ManagerState[] = ['created', 'running', 'paused', 'stopped'];

export const managerOps: Readonly<Record<ManagerOp, OpRule>> = {
  createContainer: { from: ['none'], to: 'container', call: 'Containers.Create', refusal: 'container %id: already exists', refusals: Object.fromEntries(['container', ...taskStates].map((s) => [s, ['ALREADY_EXISTS', 'container "%id": already exists']])) },
  deleteContainer: {
    from: ['container'],
    to: 'none',
    call: 'Containers.Delete',
    refusal: 'cannot delete container %id: it has a task in state %state (delete the task first: ctr task rm)',
    refusals: { none: noContainer },
  },
  createTask: {
    from: ['container'],
    to: 'created',
    call: 'Tasks.Create',
    refusal: 'task %id: already exists',
    refusals: { none: noContainer, ...Object.fromEntries(taskStates.map((s) => [s, ['ALREADY_EXISTS', 'task %id: already exists']])) },
  },
  startTask: { from: ['created'], to: 'running', call: 'Tasks.Start', refusal: 'cannot start task %id in state %state', refusals: { none: noContainer, container: noTask } },
  pauseTask: { from: ['running'], to: 'paused', call: 'Tasks.Pause', refusal: 'cannot pause task %id in state %state', refusals: { none: noContainer, container: noTask } },
  resumeTask: { from: ['paused'], to: 'running', call: 'Tasks.Resume', refusal: 'cannot resume task %id in state %state', refusals: { none: noContainer, container: noTask } },
  killTask: {
    from: ['created', 'running', 'paused'],
    call: 'Tasks.Kill',
    refusal: 'process already finished: task %id is %state',
    refusals: { none: noContainer, container: noTask, stopped: ['NOT_FOUND', 'process already finished: task %id is stopped'] },
  },
  execTask: { from: ['created', 'running', 'paused'], call: 'Tasks.Exec', refusal: 'cannot exec in task %id in state %state', refusals: { none: noContainer, container: noTask } },
  // CRIU dumps live processes: a created task has none yet, a stopped one none left. With
  // CheckpointOptions.exit the task then exits, which the 'exit' rule below records.
  checkpointTask: { from: ['running', 'paused'], call: 'Tasks.Checkpoint', refusal: 'cannot checkpoint task %id in state %state (CRIU needs running or paused processes)', refusals: { none: noContainer, container: noTask } },
  exit: { from: ['created', 'running', 'paused'], to: 'stopped', call: 'TaskExit event (from the shim)', refusal: 'task %id is not running' },
  deleteTask: { from: ['created', 'stopped'], to: 'container', call: 'Tasks.Delete', refusal: 'cannot delete task %id in state %state: kill it first', refusals: { none: noContainer, container: noTask } },
};

/** A refusal by the table: a ManagerError (so the API answers its code) that says which rule. */
export class LifecycleRefusal extends ManagerError {
  constructor(
    readonly op: ManagerOp,
    readonly state: ManagerState,
    code: RefusalCode,
    message: string,
  ) {
    super(code, message);
    this.name = 'LifecycleRefusal';
  }
}

export const opAllowed = (op: ManagerOp, state: ManagerState): boolean => managerOps[op].from.includes(state);

/** Throws the table's refusal when `op` is not allowed in `state`. */
export function assertAllowed(op: ManagerOp, state: ManagerState, id: string): void {
  if (opAllowed(op, state)) return;
  const rule = managerOps[op];
  const [code, text] = rule.refusals?.[state] ?? ['FAILED_PRECONDITION', rule.refusal];
  throw new LifecycleRefusal(op, state, code, text.replaceAll('%id', id).replaceAll('%state', state));
}

/** The state after `op` (unchanged when the rule has no `to`). */
export const nextState = (op: ManagerOp, state: ManagerState): ManagerState => managerOps[op].to ?? state;
