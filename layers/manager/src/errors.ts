// The manager's typed errors. They follow containerd's errdefs kinds (NotFound, AlreadyExists,
// InvalidArgument, FailedPrecondition, ...) because those kinds are what crosses the API: the gRPC
// edge (api/status.ts) turns each into its status code, and a client turns the code back into the
// kind, exactly like containerd's errdefs.ToGRPC / FromGRPC.

export type ManagerErrorCode =
  | 'NOT_FOUND' // no such namespace, image, blob, snapshot, container, task, lease
  | 'ALREADY_EXISTS' // the name/key/id is taken
  | 'INVALID_ARGUMENT' // a request field is wrong (the message names it)
  | 'FAILED_PRECONDITION' // the object is in the wrong state (a state table refuses the call)
  | 'UNAVAILABLE' // a writer holds the ingest ref, a registry or shim cannot be reached
  | 'DATA_LOSS' // a blob's bytes do not match its digest or size
  | 'UNIMPLEMENTED'
  | 'PERMISSION_DENIED' // registry refused our credentials
  | 'INTERNAL';

/** google.rpc.Code numbers. */
export const GRPC_CODE: Record<ManagerErrorCode, number> = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
};

export class ManagerError extends Error {
  constructor(
    readonly code: ManagerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ManagerError';
  }
}

export const notFound = (what: string) => new ManagerError('NOT_FOUND', `${what}: not found`);
export const alreadyExists = (what: string) => new ManagerError('ALREADY_EXISTS', `${what}: already exists`);
export const invalid = (field: string, why: string) => new ManagerError('INVALID_ARGUMENT', `${field}: ${why}`);
export const precondition = (why: string) => new ManagerError('FAILED_PRECONDITION', why);

export const isManagerError = (e: unknown, code?: ManagerErrorCode): e is ManagerError =>
  e instanceof ManagerError && (code === undefined || e.code === code);
