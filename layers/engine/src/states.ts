// Docker's container states, as data (moby's container/state.go: StateString). This table says
// which Engine API operation is allowed in which state, where it leads, and what docker answers
// when it is not allowed; the container service guards with it (assertAllowed), the model-based
// test predicts from it, and diagrams/engine-container-states.mmd is drawn from it (statesDiagram.ts).
import { EngineError, type EngineErrorKind } from './errors';

export const containerStates = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export type ContainerState = (typeof containerStates)[number];

export type ContainerOp =
  | 'start'
  | 'stop'
  | 'kill'
  | 'pause'
  | 'unpause'
  | 'restart'
  | 'remove'
  | 'forceRemove'
  | 'exec'
  | 'attach'
  | 'rename'
  | 'checkpoint'
  | 'checkpointExit'
  | 'restore'
  | 'exit'
  | 'autoRestart'
  | 'restartDelayElapsed';

export interface OpRule {
  /** States where the operation proceeds. */
  readonly from: readonly ContainerState[];
  /** The state it leads to (none: unchanged). */
  readonly to?: ContainerState | 'gone';
  /** The API call (or event) a student would look up. */
  readonly call: string;
  /** Answers in the other states: [kind, message]; %id = the container id, %name = "/name". */
  readonly refusals: Partial<Record<ContainerState, [EngineErrorKind, string]>>;
  /** The answer in any state not listed in `refusals`. */
  readonly refusal: [EngineErrorKind, string];
}

const notRunning: [EngineErrorKind, string] = ['conflict', 'container %id is not running'];
const removal: [EngineErrorKind, string] = ['conflict', 'container is marked for removal and cannot be started'];

export const containerOps: Readonly<Record<ContainerOp, OpRule>> = {
  start: {
    from: ['created', 'exited'],
    to: 'running',
    call: 'POST /containers/{id}/start',
    // Starting a running container is not an error in docker: 304 Not Modified, the CLI is silent.
    refusals: { running: ['notModified', 'container already started'], paused: ['conflict', 'cannot start a paused container, try unpause instead'], removing: removal, dead: removal },
    refusal: ['conflict', 'cannot start container %id in state %state'],
  },
  stop: {
    from: ['running', 'paused', 'restarting'],
    to: 'exited',
    call: 'POST /containers/{id}/stop',
    refusals: { created: ['notModified', 'container already stopped'], exited: ['notModified', 'container already stopped'], dead: ['notModified', 'container already stopped'] },
    refusal: ['conflict', 'cannot stop container %id in state %state'],
  },
  kill: {
    from: ['running', 'paused'],
    call: 'POST /containers/{id}/kill',
    refusals: { restarting: ['conflict', 'cannot kill container: %id: container %id is restarting, wait until the container is running'] },
    refusal: ['conflict', 'cannot kill container: %id: container %id is not running'],
  },
  pause: {
    from: ['running'],
    to: 'paused',
    call: 'POST /containers/{id}/pause',
    refusals: { paused: ['conflict', 'container %id is already paused'], restarting: ['conflict', 'container %id is restarting, wait until the container is running'] },
    refusal: notRunning,
  },
  unpause: { from: ['paused'], to: 'running', call: 'POST /containers/{id}/unpause', refusals: {}, refusal: ['conflict', 'container %id is not paused'] },
  restart: {
    from: ['created', 'running', 'paused', 'exited', 'restarting'],
    to: 'running',
    call: 'POST /containers/{id}/restart',
    refusals: { removing: removal, dead: removal },
    refusal: ['conflict', 'cannot restart container %id'],
  },
  remove: {
    from: ['created', 'exited', 'dead'],
    to: 'gone',
    call: 'DELETE /containers/{id}',
    refusals: {
      running: ['conflict', 'cannot remove container "%name": container is running: stop the container before removing or force remove'],
      paused: ['conflict', 'cannot remove container "%name": container is paused and must be unpaused first'],
      restarting: ['conflict', 'cannot remove container "%name": container is restarting: stop the container before removing or force remove'],
      removing: ['conflict', 'removal of container %id is already in progress'],
    },
    refusal: ['conflict', 'cannot remove container "%name"'],
  },
  forceRemove: {
    from: ['created', 'running', 'paused', 'restarting', 'exited', 'dead'],
    to: 'gone',
    call: 'DELETE /containers/{id}?force=1',
    refusals: { removing: ['conflict', 'removal of container %id is already in progress'] },
    refusal: ['conflict', 'cannot remove container "%name"'],
  },
  exec: {
    from: ['running'],
    call: 'POST /containers/{id}/exec',
    refusals: { paused: ['conflict', 'container %id is paused, unpause the container before exec'], restarting: ['conflict', 'container %id is restarting, wait until the container is running'] },
    refusal: notRunning,
  },
  attach: {
    from: ['created', 'running', 'paused', 'restarting', 'exited'],
    call: 'POST /containers/{id}/attach',
    refusals: { removing: ['conflict', 'container %id is being removed'], dead: ['conflict', 'container %id is dead'] },
    refusal: ['conflict', 'cannot attach to container %id'],
  },
  rename: {
    from: ['created', 'running', 'paused', 'restarting', 'exited', 'dead'],
    call: 'POST /containers/{id}/rename',
    refusals: { removing: ['conflict', 'cannot rename container %id: it is being removed'] },
    refusal: ['conflict', 'cannot rename container %id'],
  },
  // Checkpoint and restore (experimental, CRIU): a checkpoint needs a live task, as dockerd asks
  // for the running task first (a paused one is frozen already: CRIU dumps it as it is). With
  // Exit (the CLI's default, no --leave-running) CRIU kills the processes after the dump and the
  // container ends as exited, counted as stopped on purpose: the restart policy leaves it alone.
  checkpoint: {
    from: ['running', 'paused'],
    call: 'POST /containers/{id}/checkpoints',
    refusals: { restarting: ['conflict', 'container %id is restarting, wait until the container is running'] },
    refusal: notRunning,
  },
  checkpointExit: {
    from: ['running', 'paused'],
    to: 'exited',
    call: 'POST /containers/{id}/checkpoints (Exit)',
    refusals: { restarting: ['conflict', 'container %id is restarting, wait until the container is running'] },
    refusal: notRunning,
  },
  // A restore is a start whose task CRIU brings back from the images. Unlike a plain start, asking
  // it of a running container is an error, not "already started": the request names a process
  // image the running one would silently not be replaced by.
  restore: {
    from: ['created', 'exited'],
    to: 'running',
    call: 'POST /containers/{id}/start?checkpoint=NAME',
    refusals: {
      running: ['conflict', 'cannot restore a checkpoint into container %id: it is running (stop it first, or restore into another container)'],
      paused: ['conflict', 'cannot restore a checkpoint into container %id: it is paused (stop it first)'],
      restarting: ['conflict', 'cannot restore a checkpoint into container %id: it is restarting (stop it first)'],
      removing: removal,
      dead: removal,
    },
    refusal: ['conflict', 'cannot restore a checkpoint into container %id in state %state'],
  },
  exit: { from: ['running', 'paused'], to: 'exited', call: 'TaskExit (the process ended)', refusals: {}, refusal: ['conflict', 'container %id is not running'] },
  autoRestart: { from: ['exited'], to: 'restarting', call: 'restart policy (after an exit)', refusals: {}, refusal: ['conflict', 'container %id is not exited'] },
  restartDelayElapsed: { from: ['restarting'], to: 'running', call: 'restart policy delay elapsed', refusals: {}, refusal: ['conflict', 'container %id is not restarting'] },
};

export class StateRefusal extends EngineError {
  constructor(
    readonly op: ContainerOp,
    readonly state: ContainerState,
    kind: EngineErrorKind,
    message: string,
  ) {
    super(kind, message);
    this.name = 'StateRefusal';
  }
}

export const opAllowed = (op: ContainerOp, state: ContainerState): boolean => containerOps[op].from.includes(state);

/** Throws docker's answer when `op` is not allowed in `state`. */
export function assertAllowed(op: ContainerOp, state: ContainerState, c: { id: string; name: string }): void {
  if (opAllowed(op, state)) return;
  const rule = containerOps[op];
  const [kind, text] = rule.refusals[state] ?? rule.refusal;
  throw new StateRefusal(op, state, kind, text.replaceAll('%id', c.id).replaceAll('%name', c.name).replaceAll('%state', state));
}

/** The state after `op` succeeded in `state`. */
export const nextState = (op: ContainerOp, state: ContainerState): ContainerState | 'gone' => containerOps[op].to ?? state;
