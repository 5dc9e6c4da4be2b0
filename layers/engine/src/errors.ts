// The engine's errors, shaped as the Docker Engine API sends them: an HTTP status and a JSON body
// {"message": "..."} (moby's errdefs: NotFound -> 404, Conflict -> 409, InvalidParameter -> 400,
// NotModified -> 304, Forbidden -> 403, Unavailable -> 503, anything else -> 500). The docker CLI
// prints the message as "Error response from daemon: <message>".
export type EngineErrorKind = 'invalid' | 'notFound' | 'conflict' | 'notModified' | 'forbidden' | 'unavailable' | 'notImplemented' | 'system';

export const HTTP_STATUS: Record<EngineErrorKind, number> = {
  invalid: 400,
  notFound: 404,
  conflict: 409,
  notModified: 304,
  forbidden: 403,
  unavailable: 503,
  notImplemented: 501,
  system: 500,
};

export class EngineError extends Error {
  readonly status: number;
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
    this.status = HTTP_STATUS[kind];
  }
}

export const invalidParam = (msg: string) => new EngineError('invalid', msg);
export const notFound = (msg: string) => new EngineError('notFound', msg);
export const conflict = (msg: string) => new EngineError('conflict', msg);
export const isEngineError = (e: unknown, kind?: EngineErrorKind): e is EngineError => e instanceof EngineError && (!kind || e.kind === kind);
