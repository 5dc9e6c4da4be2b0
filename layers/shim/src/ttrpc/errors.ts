// Call failures as ttrpc carries them: a google.rpc.Status code and message. containerd maps the
// codes back to its error kinds (errdefs): 5 NotFound, 6 AlreadyExists, 9 FailedPrecondition...

export const Code = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
} as const;

export const codeName = (code: number) => Object.entries(Code).find(([, v]) => v === code)?.[0] ?? `code ${code}`;

export class TtrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TtrpcError';
  }
}
