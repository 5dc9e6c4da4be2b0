// Errors of the streaming layer. `status` is the HTTP status the server answers with when the error
// happens before the upgrade (bad token 404, protocol negotiation 403, bad request 400), so a
// client's message matches what the kubelet would have said. `grpcCode` lets the CRI server send
// request-validation failures of urlFor() as INVALID_ARGUMENT (the gRPC edge reads that property).
export class StreamingError extends Error {
  readonly grpcCode?: number;
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
    this.name = 'StreamingError';
    if (status === 400) this.grpcCode = 3; // INVALID_ARGUMENT
    else if (status === 429) this.grpcCode = 8; // RESOURCE_EXHAUSTED
  }
}
