// The typed errors of strata-runtime. Every refusal a user can cause is a RuntimeError with a code,
// a message they can act on (worded like runc's where callers match on the text: the containerd
// shim looks for "does not exist", "container not running", "no such process"), and, for config
// problems, the JSON pointer of the offending field.

export type RuntimeErrorCode =
  | 'INVALID_ID' // the container id is not acceptable
  | 'NOT_EXIST' // no container with this id
  | 'EXISTS' // create with an id already in use
  | 'BAD_STATE' // the lifecycle table refuses the operation in the current state
  | 'INVALID_CONFIG' // config.json unreadable or invalid (see pointer)
  | 'INVALID_ARGUMENT' // a flag or argument is wrong
  | 'INIT_FAILED' // the container init reported an error while setting up
  | 'HOOK_FAILED' // a hook exited non-zero or timed out
  | 'CGROUP' // a cgroup operation failed
  | 'UNSUPPORTED' // a feature strata-runtime does not have (says which)
  | 'CRIU' // CRIU is missing, refuses this host, or failed (its own reason is in the message)
  | 'SYSTEM'; // an unexpected system error (says which call)

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly details: { pointer?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message);
    this.name = 'RuntimeError';
  }

  get exitCode(): number {
    return this.details.exitCode ?? 1;
  }
}

export const notExist = (id: string) => new RuntimeError('NOT_EXIST', `container ${id} does not exist`);
