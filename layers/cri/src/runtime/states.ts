// The CRI's two lifecycles as data (cri-api api.proto: PodSandboxState, ContainerState).
//   sandbox:   ready --StopPodSandbox--> notready --RemovePodSandbox--> (gone)
//   container: created --StartContainer--> running --exit/StopContainer--> exited --RemoveContainer--> (gone)
// The service guards every RPC with assertSandbox/assertContainer, the fast-check model test
// (test/runtimeStates.test.ts) predicts from the same tables, and runtimeStatesMermaid() draws them.
// Which calls are idempotent follows the kubelet's expectations and containerd's CRI plugin:
// Stop* on a stopped object and Remove* of a missing object succeed (the kubelet retries them).
import { CriError, type CriCode } from './errors';

export const sandboxStates = ['none', 'ready', 'notready'] as const;
export type SandboxStateName = (typeof sandboxStates)[number];
export type SandboxOp = 'RunPodSandbox' | 'StopPodSandbox' | 'RemovePodSandbox' | 'CreateContainer' | 'PodSandboxStatus' | 'PortForward';

export const containerStates = ['none', 'created', 'running', 'exited', 'unknown'] as const;
export type ContainerStateName = (typeof containerStates)[number];
export type ContainerOp =
  | 'CreateContainer'
  | 'StartContainer'
  | 'exit'
  | 'StopContainer'
  | 'RemoveContainer'
  | 'ExecSync'
  | 'Exec'
  | 'Attach'
  | 'UpdateContainerResources'
  | 'ReopenContainerLog'
  | 'ContainerStatus';

export interface Rule<S extends string> {
  /** States in which the call does something (or is a no-op success, see `noop`). */
  readonly from: readonly S[];
  /** State afterwards (unchanged when absent). */
  readonly to?: S;
  /** States where the call succeeds without effect (idempotent retries). */
  readonly noop?: readonly S[];
  /** What a refused call answers: code and message (%id, %state). */
  readonly refusal: [CriCode, string];
  /** Refusals that differ by state. */
  readonly refusals?: Partial<Record<S, [CriCode, string]>>;
  readonly note?: string;
}

const noSandbox: [CriCode, string] = ['NOT_FOUND', 'pod sandbox %id not found'];
const noContainer: [CriCode, string] = ['NOT_FOUND', 'container %id not found'];

export const sandboxRules: Readonly<Record<SandboxOp, Rule<SandboxStateName>>> = {
  RunPodSandbox: { from: ['none'], to: 'ready', refusal: ['ALREADY_EXISTS', 'pod sandbox %id already exists'] },
  StopPodSandbox: { from: ['ready'], to: 'notready', noop: ['notready'], refusal: noSandbox, note: 'stops every container of the pod, tears the network down' },
  RemovePodSandbox: { from: ['ready', 'notready'], to: 'none', noop: ['none'], refusal: noSandbox, note: 'a ready pod is stopped first (as containerd does)' },
  CreateContainer: { from: ['ready'], refusal: ['FAILED_PRECONDITION', 'pod sandbox %id is %state: cannot create containers in it'], refusals: { none: noSandbox } },
  PodSandboxStatus: { from: ['ready', 'notready'], refusal: noSandbox },
  PortForward: { from: ['ready'], refusal: ['FAILED_PRECONDITION', 'pod sandbox %id is %state: cannot forward ports'], refusals: { none: noSandbox } },
};

const live: ContainerStateName[] = ['running'];
export const containerRules: Readonly<Record<ContainerOp, Rule<ContainerStateName>>> = {
  CreateContainer: { from: ['none'], to: 'created', refusal: ['ALREADY_EXISTS', 'container %id already exists'] },
  StartContainer: { from: ['created'], to: 'running', refusal: ['FAILED_PRECONDITION', 'container %id is %state: only a created container can be started'], refusals: { none: noContainer } },
  exit: { from: ['running'], to: 'exited', refusal: ['FAILED_PRECONDITION', 'container %id is not running'], note: 'the task exit event from the manager' },
  StopContainer: { from: ['running'], to: 'exited', noop: ['created', 'exited', 'unknown'], refusal: noContainer, note: 'SIGTERM (or the image stop signal), SIGKILL after the timeout' },
  RemoveContainer: { from: ['created', 'exited', 'unknown', 'running'], to: 'none', noop: ['none'], refusal: noContainer, note: 'a running container is killed first (containerd: force remove)' },
  ExecSync: { from: live, refusal: ['FAILED_PRECONDITION', 'container %id is %state: exec needs a running container'], refusals: { none: noContainer } },
  Exec: { from: live, refusal: ['FAILED_PRECONDITION', 'container %id is %state: exec needs a running container'], refusals: { none: noContainer } },
  Attach: { from: ['created', 'running'], refusal: ['FAILED_PRECONDITION', 'container %id is %state: cannot attach'], refusals: { none: noContainer } },
  UpdateContainerResources: { from: ['created', 'running'], refusal: ['FAILED_PRECONDITION', 'container %id is %state: cannot update resources'], refusals: { none: noContainer } },
  ReopenContainerLog: { from: live, refusal: ['FAILED_PRECONDITION', 'container %id is %state: only a running container has a log to reopen'], refusals: { none: noContainer } },
  ContainerStatus: { from: ['created', 'running', 'exited', 'unknown'], refusal: noContainer },
};

/** 'run' = do it, 'noop' = succeed without effect; anything else throws the table's refusal. */
function check<S extends string>(rule: Rule<S>, state: S, id: string): 'run' | 'noop' {
  if (rule.from.includes(state)) return 'run';
  if (rule.noop?.includes(state)) return 'noop';
  const [code, text] = rule.refusals?.[state] ?? rule.refusal;
  throw new CriError(code, text.replaceAll('%id', id).replaceAll('%state', state));
}

export const assertSandbox = (op: SandboxOp, state: SandboxStateName, id: string) => check(sandboxRules[op], state, id);
export const assertContainer = (op: ContainerOp, state: ContainerStateName, id: string) => check(containerRules[op], state, id);

export const nextSandboxState = (op: SandboxOp, s: SandboxStateName): SandboxStateName => (sandboxRules[op].from.includes(s) ? (sandboxRules[op].to ?? s) : s);
export const nextContainerState = (op: ContainerOp, s: ContainerStateName): ContainerStateName => (containerRules[op].from.includes(s) ? (containerRules[op].to ?? s) : s);

/** cri-api enum numbers of the table's states. */
export const SANDBOX_STATE_NUMBER: Record<Exclude<SandboxStateName, 'none'>, number> = { ready: 0, notready: 1 };
export const CONTAINER_STATE_NUMBER: Record<Exclude<ContainerStateName, 'none'>, number> = { created: 0, running: 1, exited: 2, unknown: 3 };
