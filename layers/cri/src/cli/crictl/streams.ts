// exec, attach, port-forward. `exec -s` is ExecSync (output returned whole in the answer);
// without -s, Exec/Attach/PortForward answer a URL of the runtime's streaming server and the
// streaming client (../../streaming) speaks SPDY/3.1 (or websockets) to it, with the terminal in
// raw mode for -t and resizes sent as the window changes.
import { parseFlags, UsageError } from './args';
import type { Ctx } from './context';
import type { ExecSyncResponse, UrlResponse } from '../../api/protos';
import { attachClient, execClient, portForwardClient } from '../../streaming';

type Transport = 'spdy' | 'websocket';

function transport(v: unknown): Transport {
  const t = (v as string | undefined) ?? 'spdy';
  if (t !== 'spdy' && t !== 'websocket') throw new UsageError(`--transport: want spdy or websocket (got ${t})`);
  return t;
}

/** The local terminal for -t: raw mode while the session lasts, and its size changes. */
function terminal(tty: boolean) {
  const stdin = process.stdin as NodeJS.ReadStream;
  const isTty = tty && stdin.isTTY;
  if (isTty) stdin.setRawMode(true);
  const resize = tty && process.stdout.isTTY ? (async function* () {
    yield { width: process.stdout.columns, height: process.stdout.rows };
    for (;;) {
      await new Promise((r) => process.stdout.once('resize', r));
      yield { width: process.stdout.columns, height: process.stdout.rows };
    }
  })() : undefined;
  return {
    resize,
    restore: () => {
      if (isTty) stdin.setRawMode(false);
    },
  };
}

export async function exec(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(
    argv,
    [
      { name: 'interactive', aliases: ['i'], kind: 'bool' },
      { name: 'tty', aliases: ['t'], kind: 'bool' },
      { name: 'sync', aliases: ['s'], kind: 'bool' },
      { name: 'timeout', kind: 'int' },
      { name: 'transport', kind: 'string' },
    ],
    { stopAfterArgs: 1 },
  );
  if (args.length < 2) throw new UsageError('exec: want CONTAINER-ID COMMAND [ARG...]');
  const [id, ...cmd] = args;
  const timeout = (flags.timeout as number | undefined) ?? 0;
  if (timeout < 0) throw new UsageError('--timeout: must not be negative');
  if (flags.sync) {
    if (flags.interactive || flags.tty) throw new UsageError('exec: --sync cannot be combined with -i or -t');
    const r = await ctx.client.runtime<ExecSyncResponse>('ExecSync', { containerId: id, cmd, timeout }, { timeoutMs: timeout ? timeout * 1000 + 10_000 : 0 });
    ctx.out.write(Buffer.from(r.stdout));
    ctx.err.write(Buffer.from(r.stderr));
    ctx.exitCode = r.exitCode;
    return;
  }
  const tty = !!flags.tty;
  const stdin = !!flags.interactive;
  const { url } = await ctx.client.runtime<UrlResponse>('Exec', { containerId: id, cmd, tty, stdin, stdout: true, stderr: !tty });
  const term = terminal(tty);
  try {
    ctx.exitCode = await execClient(url, { stdin: stdin ? process.stdin : undefined, stdout: ctx.out, stderr: tty ? undefined : ctx.err, tty, resize: term.resize, protocol: transport(flags.transport) });
  } finally {
    term.restore();
  }
}

export async function attach(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'stdin', aliases: ['i'], kind: 'bool' },
    { name: 'tty', aliases: ['t'], kind: 'bool' },
    { name: 'transport', kind: 'string' },
  ]);
  if (args.length !== 1) throw new UsageError('attach: want exactly one CONTAINER-ID');
  const tty = !!flags.tty;
  const stdin = !!flags.stdin;
  const { url } = await ctx.client.runtime<UrlResponse>('Attach', { containerId: args[0], stdin, tty, stdout: true, stderr: !tty });
  const term = terminal(tty);
  try {
    await attachClient(url, { stdin: stdin ? process.stdin : undefined, stdout: ctx.out, stderr: tty ? undefined : ctx.err, tty, resize: term.resize, protocol: transport(flags.transport) });
  } finally {
    term.restore();
  }
}

/** port-forward POD [LOCAL:]REMOTE...: listen locally until interrupted (SIGINT/SIGTERM). */
export async function portForward(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'address', kind: 'string' },
    { name: 'transport', kind: 'string' },
  ]);
  if (args.length < 2) throw new UsageError('port-forward: want POD-ID [LOCAL_PORT:]REMOTE_PORT...');
  const [pod, ...specs] = args;
  const remotes = specs.map((s) => {
    const remote = Number(s.split(':').pop());
    if (!Number.isInteger(remote) || remote < 1 || remote > 65535) throw new UsageError(`port-forward: ${s}: want [LOCAL_PORT:]REMOTE_PORT with ports 1-65535`);
    return remote;
  });
  const address = (flags.address as string) ?? '127.0.0.1';
  // Streaming URLs are single-use tokens: ask for a fresh one whenever the client connects.
  const url = async () => (await ctx.client.runtime<UrlResponse>('PortForward', { podSandboxId: pod, port: remotes })).url;
  await url(); // fail now (unknown pod, bad port) rather than at the first connection
  const fwd = await portForwardClient(url, specs, { address, protocol: transport(flags.transport), onError: (e) => ctx.err.write(`port-forward: ${e.message}\n`) });
  for (const m of fwd.ports) ctx.out.write(`Forwarding from ${address}:${m.local} -> ${m.remote}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await fwd.close();
}
