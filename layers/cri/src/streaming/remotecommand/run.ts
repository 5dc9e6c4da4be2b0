// The transport-independent half of exec/attach: hand the streams to the runtime and turn what
// happened into an outcome for the error stream. Output streams are ended here, after the runtime
// returns, so the client's stdout/stderr see EOF before the status arrives (client-go reads the
// status only after both copies finish).
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { TerminalSizeQueue } from '../resize';
import type { AttachRequest, ExecRequest, StreamingRuntime } from '../types';

export interface SessionStreams {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  resize?: TerminalSizeQueue;
  tty: boolean;
  signal: AbortSignal;
}

export type Outcome = { exitCode: number } | { error: string };

export async function runRemoteCommand(
  runtime: StreamingRuntime,
  kind: 'exec' | 'attach',
  req: ExecRequest | AttachRequest,
  s: SessionStreams,
): Promise<Outcome> {
  const opts = { stdin: s.stdin, stdout: s.stdout, stderr: s.stderr, tty: s.tty, resize: s.resize, signal: s.signal };
  let outcome: Outcome;
  try {
    if (kind === 'exec') outcome = { exitCode: await runtime.execStream(req.containerId, (req as ExecRequest).cmd, opts) };
    else {
      await runtime.attachStream(req.containerId, opts);
      outcome = { exitCode: 0 };
    }
  } catch (e) {
    outcome = { error: `error ${kind === 'exec' ? 'executing command in' : 'attaching to'} container: ${(e as Error).message}` };
  }
  s.resize?.end();
  await Promise.all([endAndWait(s.stdout), endAndWait(s.stderr)]);
  return outcome;
}

async function endAndWait(w: Writable | undefined): Promise<void> {
  if (!w || w.destroyed) return;
  if (!w.writableEnded) w.end();
  await finished(w, { readable: false }).catch(() => {});
}
