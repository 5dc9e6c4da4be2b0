// The shim's typed errors, and how each maps to a ttrpc status code that containerd turns back
// into its own error kinds (errdefs: NotFound, AlreadyExists, FailedPrecondition, ...).

export type ShimErrorCode =
  | 'NOT_FOUND' // no such container or exec id
  | 'ALREADY_EXISTS' // create/exec with an id in use
  | 'FAILED_PRECONDITION' // the state table refuses the call (see taskStates.ts)
  | 'INVALID_ARGUMENT' // a request field is wrong (names the field)
  | 'UNIMPLEMENTED' // a call this shim does not do (Checkpoint without CRIU support)
  | 'RUNTIME' // the OCI runtime failed; the message is its own reason
  | 'INTERNAL'; // a bug or an unexpected system error

/** gRPC/ttrpc status codes (google.rpc.Code). */
export const GRPC_CODE: Record<ShimErrorCode, number> = {
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  INVALID_ARGUMENT: 3,
  UNIMPLEMENTED: 12,
  RUNTIME: 2,
  INTERNAL: 13,
};

export class ShimError extends Error {
  constructor(
    readonly code: ShimErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ShimError';
  }

  get grpcCode(): number {
    return GRPC_CODE[this.code];
  }

  /**
   * A runtime failure, classified by runc's wording (which strata-runtime keeps): containerd
   * reacts differently to "not found" than to other failures (e.g. when deleting).
   */
  static fromRuntime(message: string): ShimError {
    if (/container .*does not exist/i.test(message)) return new ShimError('NOT_FOUND', message);
    if (/already exists/i.test(message)) return new ShimError('ALREADY_EXISTS', message);
    if (/not running|not paused|cannot (start|pause|resume|delete)|is paused|is stopped/i.test(message)) return new ShimError('FAILED_PRECONDITION', message);
    return new ShimError('RUNTIME', message);
  }
}

export const notFound = (what: string) => new ShimError('NOT_FOUND', `${what}: not found`);
