// docker exec: POST /containers/{id}/exec creates the exec, POST /exec/{id}/start (hijacked unless
// -d) runs it, GET /exec/{id}/json gives the exit code afterwards.
import type { Command } from '../command';
import { followResize, pumpStreams, rawTerminal } from '../attach';
import { parseEnv } from '../containerConfig';
import { CliError, DaemonError, runtimeExitCode } from '../errors';
import { bool, list, str } from '../flags';
import { enc } from './each';

export const exec: Command = {
  name: 'exec',
  aliases: ['container exec'],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  desc: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', desc: 'Detached mode: run command in the background' },
    { name: 'env', short: 'e', kind: 'list', desc: 'Set environment variables', valueName: 'list' },
    { name: 'env-file', kind: 'list', desc: 'Read in a file of environment variables', valueName: 'list' },
    { name: 'interactive', short: 'i', kind: 'bool', desc: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', desc: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', desc: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', desc: 'Username or UID (format: "<name|uid>[:<group|gid>]")', valueName: 'string' },
    { name: 'workdir', short: 'w', kind: 'string', desc: 'Working directory inside the container', valueName: 'string' },
  ],
  args: { min: 2 },
  interspersed: false,
  async run(ctx, f, [container, ...cmd]) {
    const c = ctx.client;
    const tty = bool(f, 'tty');
    const detach = bool(f, 'detach');
    const stdin = bool(f, 'interactive') && !detach;
    const body = {
      User: str(f, 'user') ?? '',
      Privileged: bool(f, 'privileged'),
      Tty: tty,
      ConsoleSize: tty && ctx.stdout.isTTY ? [ctx.stdout.rows, ctx.stdout.columns] : undefined,
      AttachStdin: stdin,
      AttachStdout: !detach,
      AttachStderr: !detach,
      Detach: detach,
      Env: parseEnv(list(f, 'env'), list(f, 'env-file')),
      WorkingDir: str(f, 'workdir') ?? '',
      Cmd: cmd,
    };
    const { Id } = await c.json<{ Id: string }>('POST', `/containers/${enc(container)}/exec`, { body });
    if (detach) {
      (await c.request('POST', `/exec/${Id}/start`, { body: { Detach: true, Tty: tty } })).resume();
      return 0;
    }
    let h;
    try {
      h = await c.hijack(`/exec/${Id}/start`, { body: { Detach: false, Tty: tty, ConsoleSize: body.ConsoleSize } });
    } catch (e) {
      if (e instanceof DaemonError) throw new CliError(e.message, runtimeExitCode(e.daemonMessage));
      throw e;
    }
    const restore = tty && stdin ? rawTerminal(ctx) : () => {};
    const stopResize = tty ? followResize(c, `/exec/${Id}/resize`, ctx) : () => {};
    try {
      const pump = pumpStreams(h, ctx, { tty, stdin, stdout: true, stderr: true });
      await pump.done;
      pump.close();
    } finally {
      restore();
      stopResize();
    }
    // The exit code is recorded a moment after the stream closes: poll briefly (bounded).
    for (let i = 0; i < 50; i++) {
      const info = await c.json('GET', `/exec/${Id}/json`);
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    return 126;
  },
};
