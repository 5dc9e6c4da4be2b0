// What the error stream carries at the end of an exec/attach. From v4.channel.k8s.io on it is a
// metav1.Status (apimachinery pkg/apis/meta/v1 types.go); a non-zero exit is a Failure with reason
// NonZeroExitCode and a cause {reason: "ExitCode", message: "<code>"} (StatusCause.Type is
// serialised as "reason"). Before v4 the stream carried a bare error text.
import { StreamingError } from './errors';

export interface MetaStatus {
  kind?: 'Status';
  apiVersion?: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string; field?: string }> };
  code?: number;
}

export const NON_ZERO_EXIT_CODE_REASON = 'NonZeroExitCode';
export const EXIT_CODE_CAUSE = 'ExitCode';

export function successStatus(): MetaStatus {
  return { metadata: {}, status: 'Success' };
}

export function exitCodeStatus(code: number): MetaStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command, exit status ${code}`,
    reason: NON_ZERO_EXIT_CODE_REASON,
    details: { causes: [{ reason: EXIT_CODE_CAUSE, message: String(code) }] },
  };
}

export function errorStatus(message: string): MetaStatus {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

/**
 * The bytes to put on the error stream for an outcome: v4+ always sends a Status; older versions
 * send nothing on success and the message text on failure.
 */
export function encodeOutcome(version: number, outcome: { exitCode: number } | { error: string }): Buffer {
  if (version >= 4) {
    const s = 'error' in outcome ? errorStatus(outcome.error) : outcome.exitCode === 0 ? successStatus() : exitCodeStatus(outcome.exitCode);
    return Buffer.from(JSON.stringify(s));
  }
  if ('error' in outcome) return Buffer.from(outcome.error);
  return outcome.exitCode === 0 ? Buffer.alloc(0) : Buffer.from(`command terminated with non-zero exit code: exit status ${outcome.exitCode}`);
}

/**
 * Client side: turn the error stream's bytes into an exit code (0 when empty or Success), or throw
 * the server's error, as client-go's errorDecoderV4 does.
 */
export function decodeOutcome(version: number, message: Buffer): number {
  if (message.length === 0) return 0;
  const text = message.toString();
  if (version < 4) {
    const m = /exit (?:status|code) (\d+)/.exec(text);
    if (m) return Number(m[1]);
    throw new StreamingError(`error executing remote command: ${text}`);
  }
  let status: MetaStatus;
  try {
    status = JSON.parse(text) as MetaStatus;
  } catch (e) {
    throw new StreamingError(`error stream protocol error: ${(e as Error).message} in ${JSON.stringify(text)}`);
  }
  if (status.status === 'Success') return 0;
  if (status.status !== 'Failure') throw new StreamingError('error stream protocol error: unknown error');
  if (status.reason === NON_ZERO_EXIT_CODE_REASON) {
    const cause = status.details?.causes?.find((c) => c.reason === EXIT_CODE_CAUSE);
    if (!cause) throw new StreamingError(`error stream protocol error: no ${EXIT_CODE_CAUSE} cause given`);
    const code = Number(cause.message);
    if (!Number.isInteger(code) || code < 0 || code > 255) {
      throw new StreamingError(`error stream protocol error: invalid exit code value ${JSON.stringify(cause.message)}`);
    }
    return code;
  }
  throw new StreamingError(status.message ?? 'remote command failed');
}
