// docker run / create / start. `run` is the client-side choreography docker's CLI performs
// (facts-cri-docker.md): create (pull on "No such image" and create again), attach with a hijacked
// connection BEFORE start so no output is lost, wait (condition next-exit, or removed with --rm)
// also before start, then start; the exit status is the container's.
import type { Command, Ctx } from '../command';
import { attachOptions, runAttached } from './runAttached';
import { CREATE_FLAGS, buildCreateBody } from '../containerConfig';
import { CliError, DaemonError, EXIT_DAEMON, runtimeExitCode } from '../errors';
import { type FlagValues, bool, str } from '../flags';
import { localName, pullImage } from './pullImage';
import { CHECKPOINT_DIR_FLAG, requireExperimental } from './checkpoint';

async function createContainer(ctx: Ctx, f: FlagValues, args: string[]): Promise<{ id: string; tty: boolean; body: any }> {
  const [image, ...cmd] = args;
  const size: [number, number] | undefined = bool(f, 'tty') && ctx.stdout.isTTY ? [ctx.stdout.rows, ctx.stdout.columns] : undefined;
  const { name, body } = buildCreateBody(f, image, cmd, { consoleSize: size });
  const pull = str(f, 'pull') ?? 'missing';
  if (!['always', 'missing', 'never'].includes(pull)) throw new CliError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`, EXIT_DAEMON);
  if (pull === 'always') await pullImage(ctx, image, { out: ctx.stderr });
  const create = () => ctx.client.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', { query: { name }, body });
  let created;
  try {
    created = await create();
  } catch (e) {
    if (!(e instanceof DaemonError && e.status === 404 && /No such image/i.test(e.daemonMessage)) || pull === 'never') throw e;
    ctx.err(`Unable to find image '${localName(image)}' locally\n`);
    await pullImage(ctx, image, { out: ctx.stderr });
    created = await create();
  }
  for (const w of created.Warnings ?? []) if (w) ctx.err(`WARNING: ${w}\n`);
  return { id: created.Id, tty: bool(f, 'tty'), body };
}

/** docker run/create errors are 125 ("docker: Error response from daemon: ..."). */
function asRunError(e: unknown, command: string): never {
  if (e instanceof CliError) {
    const err = new CliError(`strata: ${e.message}\n\nRun 'strata ${command} --help' for more information`, e.exitCode === 1 ? EXIT_DAEMON : e.exitCode);
    throw err;
  }
  throw e;
}

export const run: Command = {
  name: 'run',
  aliases: ['container run'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  desc: 'Create and run a new container from an image',
  flags: [{ name: 'detach', short: 'd', kind: 'bool', desc: 'Run container in background and print container ID' }, { name: 'sig-proxy', kind: 'bool', desc: 'Proxy received signals to the process', def: 'true' }, ...CREATE_FLAGS],
  args: { min: 1 },
  interspersed: false,
  async run(ctx, f, args) {
    if (bool(f, 'detach') && f['sig-proxy'] === true) throw new CliError('strata: Conflicting options: --sig-proxy and --detach', EXIT_DAEMON);
    let c;
    try {
      c = await createContainer(ctx, f, args);
    } catch (e) {
      asRunError(e, 'run');
    }
    if (bool(f, 'detach')) {
      try {
        await ctx.client.request('POST', `/containers/${c.id}/start`).then((r) => r.resume());
      } catch (e) {
        if (e instanceof DaemonError) throw new CliError(`strata: ${e.message}\n\nRun 'strata run --help' for more information`, runtimeExitCode(e.daemonMessage));
        throw e;
      }
      ctx.out(`${c.id}\n`);
      return 0;
    }
    return runAttached(ctx, c.id, {
      ...attachOptions(c.body),
      autoRemove: bool(f, 'rm'),
      sigProxy: f['sig-proxy'] !== false && !c.tty,
      start: true,
    });
  },
};

export const create: Command = {
  name: 'create',
  aliases: ['container create'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  desc: 'Create a new container',
  flags: CREATE_FLAGS,
  args: { min: 1 },
  interspersed: false,
  async run(ctx, f, args) {
    try {
      const c = await createContainer(ctx, f, args);
      ctx.out(`${c.id}\n`);
    } catch (e) {
      asRunError(e, 'create');
    }
  },
};

export const start: Command = {
  name: 'start',
  aliases: ['container start'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  desc: 'Start one or more stopped containers',
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', desc: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'checkpoint', kind: 'string', desc: 'Restore from this checkpoint' },
    CHECKPOINT_DIR_FLAG,
    { name: 'interactive', short: 'i', kind: 'bool', desc: "Attach container's STDIN" },
  ],
  args: { min: 1 },
  async run(ctx, f, args) {
    // --checkpoint: one container, restored by CRIU instead of started fresh (silent on success, as docker)
    const checkpoint = str(f, 'checkpoint');
    if (checkpoint) {
      await requireExperimental(ctx, '"--checkpoint"');
      if (args.length > 1) throw new CliError('you cannot restore multiple containers at once');
      const query = { checkpoint, 'checkpoint-dir': str(f, 'checkpoint-dir') };
      return void (await ctx.client.request('POST', `/containers/${encodeURIComponent(args[0])}/start`, { query })).resume();
    }
    if (bool(f, 'attach') || bool(f, 'interactive')) {
      if (args.length > 1) throw new CliError('strata: you cannot start and attach multiple containers at once');
      const info = await ctx.client.json('GET', `/containers/${encodeURIComponent(args[0])}/json`);
      return runAttached(ctx, info.Id, {
        tty: info.Config.Tty,
        stdin: bool(f, 'interactive') && info.Config.OpenStdin,
        stdout: true,
        stderr: true,
        autoRemove: info.HostConfig?.AutoRemove,
        sigProxy: !info.Config.Tty,
        start: true,
      });
    }
    let failed = false;
    for (const name of args) {
      try {
        await ctx.client.request('POST', `/containers/${encodeURIComponent(name)}/start`).then((r) => r.resume());
        ctx.out(`${name}\n`);
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        ctx.err(`${e.message}\n`);
        failed = true;
      }
    }
    if (failed) throw new CliError('Error: failed to start containers: ' + args.join(', '));
  },
};
