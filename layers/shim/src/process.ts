// One process the shim owns: a container's init or an exec process. It knows its state (per
// taskStates.ts), its pid once running, its exit, and its stdio.
import { assertAllowed, nextState, type ProcessKind, type ProcessState, type TaskCall } from './taskStates';
import type { Exit } from './reaper';
import type { ProcessIO, StdioPaths } from './stdio';

export class ShimProcess {
  state: ProcessState = 'created';
  pid = 0;
  exit?: Exit;
  io?: ProcessIO;
  private readonly exited: Promise<Exit>;
  private resolveExit!: (e: Exit) => void;

  constructor(
    readonly kind: ProcessKind,
    /** The container id for init, the exec id for exec processes. */
    readonly id: string,
    readonly stdio: StdioPaths,
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  /** Guard a call with the state table (throws StateRefusal). */
  check(call: TaskCall): void {
    assertAllowed(call, this.kind, this.state);
  }

  /** Record a successful call's state change. */
  apply(call: TaskCall): void {
    this.state = nextState(call, this.state);
  }

  /** The reaper saw the process end. */
  setExited(e: Exit): void {
    if (this.exit) return;
    this.exit = e;
    this.state = 'stopped';
    this.resolveExit(e);
  }

  /** Resolves when the process has exited (Task.Wait). */
  wait(): Promise<Exit> {
    return this.exited;
  }

  get exitStatus(): number {
    return this.exit?.status ?? 0;
  }
}
