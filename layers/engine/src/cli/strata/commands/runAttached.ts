// The attached part of run / start -a: hijack attach, start waiting, start, follow the TTY size,
// proxy signals, and return the container's exit status once its output has ended.
import type { Ctx } from '../command';
import { followResize, pumpStreams, rawTerminal } from '../attach';
import { readAll } from '../client';
import { CliError, DaemonError, runtimeExitCode } from '../errors';

export interface RunAttachedOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  autoRemove?: boolean;
  sigProxy?: boolean;
  start: boolean;
}

export const attachOptions = (body: any) => ({ tty: !!body.Tty, stdin: !!body.AttachStdin, stdout: !!body.AttachStdout, stderr: !!body.AttachStderr });

export async function runAttached(ctx: Ctx, id: string, o: RunAttachedOptions): Promise<number> {
  const c = ctx.client;
  const streams = o.stdin || o.stdout || o.stderr;
  const hijacked = streams ? await c.hijack(`/containers/${id}/attach`, { query: { stream: 1, stdin: o.stdin ? 1 : undefined, stdout: o.stdout ? 1 : undefined, stderr: o.stderr ? 1 : undefined } }) : undefined;
  // wait answers 200 at once and sends {"StatusCode":N} when the container exits (or is removed).
  const waitRes = await c.request('POST', `/containers/${id}/wait`, { query: { condition: o.autoRemove ? 'removed' : 'next-exit' } });
  const waitBody = readAll(waitRes).then((b) => JSON.parse(b.toString() || '{}'));
  waitBody.catch(() => {});
  const restore = o.tty && o.stdin ? rawTerminal(ctx) : () => {};
  const pump = hijacked ? pumpStreams(hijacked, ctx, o) : undefined;
  let stopResize = () => {};
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const proxy = (sig: NodeJS.Signals) => {
    c.request('POST', `/containers/${id}/kill`, { query: { signal: sig } }).then(
      (r) => r.resume(),
      () => {},
    );
  };
  if (o.sigProxy) for (const s of signals) process.on(s, proxy);
  try {
    if (o.start) {
      try {
        await c.request('POST', `/containers/${id}/start`).then((r) => r.resume());
      } catch (e) {
        pump?.close();
        // docker waits for the daemon to remove an --rm container whose start failed (bounded here)
        if (o.autoRemove) await Promise.race([waitBody, new Promise((r) => setTimeout(r, 5000))]);
        if (e instanceof DaemonError) throw new CliError(`strata: ${e.message}\n\nRun 'strata run --help' for more information`, runtimeExitCode(e.daemonMessage));
        throw e;
      }
    }
    if (o.tty) stopResize = followResize(c, `/containers/${id}/resize`, ctx);
    const status = await waitBody;
    if (pump) {
      // The output may still be draining after the exit: give it a bounded moment to end.
      await Promise.race([pump.done, new Promise((r) => setTimeout(r, 2000))]);
      pump.close();
    }
    if (status?.Error?.Message) ctx.err(`strata: ${status.Error.Message}\n`);
    return typeof status?.StatusCode === 'number' ? status.StatusCode : 125;
  } finally {
    restore();
    stopResize();
    if (o.sigProxy) for (const s of signals) process.off(s, proxy);
  }
}
