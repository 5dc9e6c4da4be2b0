// The runtime service's typed error. The CRI is a gRPC API, so what a kubelet (or crictl) sees of
// a failure is a status code plus a message: CriError carries both. `grpcCode` is the property
// the shared GrpcServer looks for when it answers a failed call (google.rpc.Code numbers).
import { isManagerError, GRPC_CODE } from '@strata/manager';

export const CODE = {
  DEADLINE_EXCEEDED: 4,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;
export type CriCode = keyof typeof CODE;

export class CriError extends Error {
  readonly grpcCode: number;
  constructor(
    readonly code: CriCode,
    message: string,
  ) {
    super(message);
    this.name = 'CriError';
    this.grpcCode = CODE[code];
  }
}

/** A request field is missing or wrong; the message names the field as the proto spells it. */
export const invalidField = (field: string, why: string) => new CriError('INVALID_ARGUMENT', `${field}: ${why}`);
export const notFound = (what: string) => new CriError('NOT_FOUND', `${what} not found`);
export const precondition = (why: string) => new CriError('FAILED_PRECONDITION', why);

/** Errors from the manager keep their code (a NotFound stays a NotFound); anything else is INTERNAL. */
export function toCriError(e: unknown, context: string): CriError {
  if (e instanceof CriError) return e;
  const msg = `${context}: ${e instanceof Error ? e.message : String(e)}`;
  if (isManagerError(e)) {
    const code = (Object.keys(CODE) as CriCode[]).find((k) => CODE[k] === GRPC_CODE[e.code]) ?? 'INTERNAL';
    return new CriError(code, msg);
  }
  return new CriError('INTERNAL', msg);
}
