// Manager errors (containerd's errdefs kinds, over gRPC) turned into the engine's HTTP errors,
// as dockerd's errdefs map containerd's: NotFound -> 404, InvalidArgument -> 400, AlreadyExists
// and FailedPrecondition -> 409, Unavailable -> 503, the rest -> 500.
import { isManagerError } from '@strata/manager';
import { EngineError, type EngineErrorKind } from '../errors';

const KIND: Record<string, EngineErrorKind> = {
  NOT_FOUND: 'notFound',
  INVALID_ARGUMENT: 'invalid',
  ALREADY_EXISTS: 'conflict',
  FAILED_PRECONDITION: 'conflict',
  PERMISSION_DENIED: 'forbidden',
  UNAVAILABLE: 'unavailable',
  UNIMPLEMENTED: 'notImplemented',
};

export function toEngineError(e: unknown, prefix = ''): unknown {
  if (e instanceof EngineError) return e;
  if (isManagerError(e)) return new EngineError(KIND[e.code] ?? 'system', prefix + e.message);
  return e;
}
