// strata-runtime's command line: runc 1.1's commands, flags and exit codes (so that
// containerd-shim-runc-v2, podman/conmon and runtime-tools can drive it unchanged). This file
// only parses arguments, calls src/operations and prints; no container logic lives here.
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { signalNumber } from '@strata/linux/signals';
import type { LinuxResources, Process } from '@strata/oci';
// Each verb's code is loaded only when that verb runs (esbuild splits them into chunks): a
// Node process starts for every runtime command, and parsing code we do not need costs
// milliseconds on every container start.
const ops = {
  create: async (...a: Parameters<typeof import('../operations/create').create>) => (await import('../operations/create')).create(...a),
  run: async (...a: Parameters<typeof import('../operations/run').run>) => (await import('../operations/run')).run(...a),
  start: async (...a: Parameters<typeof import('../operations/start').start>) => (await import('../operations/start')).start(...a),
  state: async (...a: Parameters<typeof import('../operations/query').state>) => (await import('../operations/query')).state(...a),
  list: async (...a: Parameters<typeof import('../operations/query').list>) => (await import('../operations/query')).list(...a),
  ps: async (...a: Parameters<typeof import('../operations/query').ps>) => (await import('../operations/query')).ps(...a),
  kill: async (...a: Parameters<typeof import('../operations/kill').kill>) => (await import('../operations/kill')).kill(...a),
  remove: async (...a: Parameters<typeof import('../operations/delete').remove>) => (await import('../operations/delete')).remove(...a),
  exec: async (...a: Parameters<typeof import('../operations/exec').exec>) => (await import('../operations/exec')).exec(...a),
  baseProcess: async (...a: Parameters<typeof import('../operations/exec').baseProcess>) => (await import('../operations/exec')).baseProcess(...a),
  pause: async (...a: Parameters<typeof import('../operations/freezer').pause>) => (await import('../operations/freezer')).pause(...a),
  resume: async (...a: Parameters<typeof import('../operations/freezer').resume>) => (await import('../operations/freezer')).resume(...a),
  update: async (...a: Parameters<typeof import('../operations/update').update>) => (await import('../operations/update')).update(...a),
  events: async (...a: Parameters<typeof import('../operations/events').events>) => (await import('../operations/events')).events(...a),
  spec: async (...a: Parameters<typeof import('../operations/spec').spec>) => (await import('../operations/spec')).spec(...a),
  features: async () => (await import('../operations/features')).features(),
};
import type { GlobalOptions } from '../operations/types';
import { RuntimeError } from '../errors';
import { setWarningSink } from '../warnings';
import { configureLog, log } from './log';
import { parseDuration, resourcesFromFlags } from './parse';
import { printList, printPs, printJson } from './output';

export const VERSION = '0.1.0';
export const SPEC_VERSION = '1.2.0';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('strata-runtime');
  const globals = (): GlobalOptions => {
    const o = program.opts();
    return { root: path.resolve(o.root), log: o.log, logFormat: o.logFormat, debug: !!o.debug, systemdCgroup: !!o.systemdCgroup, rootless: o.rootless };
  };
  const act =
    <A extends unknown[]>(fn: (...a: A) => Promise<number | void> | number | void) =>
    async (...a: A) => {
      const r = await fn(...a);
      if (typeof r === 'number') exitCode = r;
    };

  program
    .description('strata-runtime: an Open Container Initiative runtime written in TypeScript (runc-compatible)')
    .usage('[global options] command [command options] [arguments...]')
    .option('--debug', 'enable debug logging')
    .option('--log <file>', 'set the log file to write runtime logs to (default is stderr)')
    .addOption(new Option('--log-format <format>', 'set the log format').choices(['text', 'json']).default('text'))
    .option('--root <dir>', 'root directory for storage of container state', '/run/strata-runtime')
    .option('--criu <path>', 'path to the criu binary (checkpoint/restore is not supported yet)')
    .option('--systemd-cgroup', 'enable systemd cgroup support (refused: strata-runtime drives cgroupfs)')
    .option('--rootless <value>', 'ignore cgroup permission errors (true, false or auto)', 'auto')
    .version(`strata-runtime version ${VERSION}\nspec: ${SPEC_VERSION}`, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .showSuggestionAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined })
    .hook('preAction', () => {
      const g = globals();
      configureLog({ file: g.log, format: g.logFormat, debug: g.debug });
      setWarningSink((level, msg) => log(level === 'warn' ? 'warning' : 'debug', msg));
      if (g.systemdCgroup) throw new RuntimeError('UNSUPPORTED', '--systemd-cgroup is not supported: strata-runtime manages cgroups through cgroupfs (omit the flag)');
    });

  const idArg = (c: Command) => c.argument('<container-id>', 'the name of the container instance');

  idArg(program.command('create').description('create a container'))
    .option('-b, --bundle <path>', 'path to the root of the bundle directory', '.')
    .option('--console-socket <path>', 'path to an AF_UNIX socket which will receive the pty master')
    .option('--pid-file <path>', 'file to write the process id to')
    .option('--no-pivot', 'do not use pivot_root to jail the process inside the rootfs')
    .option('--no-new-keyring', 'do not create a new session keyring for the container')
    .option('--preserve-fds <n>', 'pass N additional file descriptors to the container (from fd 3)', '0')
    .action(act(async (id: string, o) => ops.create(globals(), { id, bundle: path.resolve(o.bundle), pidFile: o.pidFile, consoleSocket: o.consoleSocket, noPivot: o.pivot === false, noNewKeyring: o.newKeyring === false, preserveFds: Number(o.preserveFds) })));

  idArg(program.command('run').description('create and run a container'))
    .option('-b, --bundle <path>', 'path to the root of the bundle directory', '.')
    .option('--console-socket <path>', 'path to an AF_UNIX socket which will receive the pty master')
    .option('-d, --detach', 'detach from the container\'s process')
    .option('--keep', 'do not delete the container after it exits')
    .option('--pid-file <path>', 'file to write the process id to')
    .option('--no-subreaper', 'disable the use of the subreaper used to reap reparented processes')
    .option('--no-pivot', 'do not use pivot_root to jail the process inside the rootfs')
    .option('--no-new-keyring', 'do not create a new session keyring for the container')
    .option('--preserve-fds <n>', 'pass N additional file descriptors to the container', '0')
    .action(
      act(async (id: string, o) =>
        ops.run(globals(), { id, bundle: path.resolve(o.bundle), pidFile: o.pidFile, consoleSocket: o.consoleSocket, detach: !!o.detach, keep: !!o.keep, noPivot: o.pivot === false, noNewKeyring: o.newKeyring === false, preserveFds: Number(o.preserveFds) }),
      ),
    );

  idArg(program.command('start').description('executes the user defined process in a created container')).action(act(async (id: string) => ops.start(globals(), { id })));

  idArg(program.command('state').description('output the state of a container')).action(
    act(async (id: string) => {
      printJson(await ops.state(globals(), { id }));
    }),
  );

  idArg(program.command('kill').description('kill sends the specified signal (default: SIGTERM) to the container\'s init process'))
    .argument('[signal]', 'signal name (KILL, SIGKILL) or number', 'SIGTERM')
    .option('-a, --all', 'send the specified signal to all processes inside the container')
    .action(
      act(async (id: string, sig: string, o) => {
        let signal: number;
        try {
          signal = signalNumber(sig);
        } catch (e) {
          throw new RuntimeError('INVALID_ARGUMENT', (e as Error).message);
        }
        await ops.kill(globals(), { id, signal, all: !!o.all });
      }),
    );

  idArg(program.command('delete').description('delete any resources held by the container'))
    .option('-f, --force', 'forcibly deletes the container if it is still running (uses SIGKILL)')
    .action(act(async (id: string, o) => ops.remove(globals(), { id, force: !!o.force })));

  program
    .command('list')
    .alias('ls')
    .description('lists containers started by strata-runtime with the given root')
    .addOption(new Option('-f, --format <format>', 'select one of: table or json').choices(['table', 'json']).default('table'))
    .option('-q, --quiet', 'display only container IDs')
    .action(
      act(async (o) => {
        printList(await ops.list(globals()), o.format, !!o.quiet);
      }),
    );

  idArg(program.command('ps').description('ps displays the processes running inside a container'))
    .argument('[ps-options...]', 'options for ps (table format only)')
    .addOption(new Option('-f, --format <format>', 'select one of: table or json').choices(['table', 'json']).default('table'))
    .passThroughOptions()
    .action(
      act(async (id: string, psArgs: string[], o) => {
        printPs(await ops.ps(globals(), { id }), o.format, psArgs);
      }),
    );

  for (const verb of ['pause', 'resume'] as const) {
    idArg(program.command(verb).description(verb === 'pause' ? 'pause suspends all processes inside the container' : 'resumes all processes that have been previously paused')).action(act(async (id: string) => ops[verb](globals(), { id })));
  }

  idArg(program.command('exec').description('execute new process inside the container'))
    .argument('[command...]', 'command and arguments (or use --process)')
    .option('--console-socket <path>', 'path to an AF_UNIX socket which will receive the pty master')
    .option('--cwd <dir>', 'current working directory in the container')
    .option('-e, --env <var>', 'set environment variables (repeatable)', collect)
    .option('-t, --tty', 'allocate a pseudo-TTY')
    .option('-u, --user <uid[:gid]>', 'UID (format: <uid>[:<gid>])')
    .option('-g, --additional-gids <gid>', 'additional gids (repeatable)', collect)
    .option('-p, --process <file>', 'path to the process.json')
    .option('-d, --detach', 'detach from the container\'s process')
    .option('--pid-file <path>', 'file to write the process id to')
    .option('--process-label <label>', 'set the asm process label for the process commonly used with selinux')
    .option('--apparmor <profile>', 'set the apparmor profile for the process')
    .option('--no-new-privs', 'set the no new privileges value for the process')
    .option('-c, --cap <cap>', 'add a capability to the bounding set for the process (repeatable)', collect)
    .option('--preserve-fds <n>', 'pass N additional file descriptors to the container', '0')
    .option('--cgroup <path>', 'run the process in a (sub)cgroup (not supported)')
    .option('--ignore-paused', 'allow exec in a paused container')
    .passThroughOptions()
    .action(
      act(async (id: string, command: string[], o) => {
        const g = globals();
        const proc = await buildExecProcess(g, id, command, o);
        return ops.exec(g, { id, process: proc, detach: !!o.detach, pidFile: o.pidFile, consoleSocket: o.consoleSocket, ignorePaused: !!o.ignorePaused, preserveFds: Number(o.preserveFds) });
      }),
    );

  idArg(program.command('events').description('display container events such as OOM notifications, cpu, memory, and IO usage statistics'))
    .option('--interval <duration>', 'set the stats collection interval', '5s')
    .option('--stats', 'display the container\'s stats then exit')
    .action(
      act(async (id: string, o) => {
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        process.once('SIGTERM', () => ac.abort());
        await ops.events(globals(), { id, stats: !!o.stats, intervalMs: parseDuration(o.interval) }, (e) => fs.writeSync(1, `${JSON.stringify(e)}\n`), ac.signal);
      }),
    );

  idArg(program.command('update').description('update container resource constraints'))
    .option('-r, --resources <file>', 'path to a file with the resources to update, or "-" for stdin')
    .option('--blkio-weight <n>', 'specifies per cgroup weight, range is from 10 to 1000')
    .option('--cpu-period <n>', 'CPU CFS period to be used for hardcapping (in usecs)')
    .option('--cpu-quota <n>', 'CPU CFS hardcap limit (in usecs)')
    .option('--cpu-share <n>', 'CPU shares (relative weight vs. other containers)')
    .option('--cpu-rt-period <n>', 'CPU realtime period to be used for hardcapping (in usecs)')
    .option('--cpu-rt-runtime <n>', 'CPU realtime hardcap limit (in usecs)')
    .option('--cpuset-cpus <list>', 'CPU(s) to use')
    .option('--cpuset-mems <list>', 'memory node(s) to use')
    .option('--kernel-memory <size>', 'kernel memory limit (deprecated)')
    .option('--kernel-memory-tcp <size>', 'kernel memory limit for tcp buffers (deprecated)')
    .option('--memory <size>', 'memory limit (in bytes, or with k/m/g)')
    .option('--memory-reservation <size>', 'memory reservation or soft_limit')
    .option('--memory-swap <size>', 'total memory usage (memory + swap); -1 for unlimited')
    .option('--pids-limit <n>', 'maximum number of pids allowed in the container')
    .option('--l3-cache-schema <schema>', 'the string of Intel RDT/CAT L3 cache schema (not supported)')
    .option('--mem-bw-schema <schema>', 'the string of Intel RDT/MBA memory bandwidth schema (not supported)')
    .action(
      act(async (id: string, o) => {
        if (o.l3CacheSchema || o.memBwSchema) throw new RuntimeError('UNSUPPORTED', 'Intel RDT is not supported by strata-runtime');
        let resources: LinuxResources;
        if (o.resources) {
          const text = o.resources === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(o.resources, 'utf8');
          try {
            resources = JSON.parse(text) as LinuxResources;
          } catch (e) {
            throw new RuntimeError('INVALID_ARGUMENT', `--resources: invalid JSON: ${(e as Error).message}`);
          }
        } else {
          try {
            resources = resourcesFromFlags(o);
          } catch (e) {
            throw new RuntimeError('INVALID_ARGUMENT', (e as Error).message);
          }
        }
        await ops.update(globals(), { id, resources });
      }),
    );

  program
    .command('spec')
    .description('create a new specification file (config.json)')
    .option('-b, --bundle <path>', 'path to the root of the bundle directory', '.')
    .option('--rootless', 'generate a configuration for a rootless container')
    .action(act(async (o) => ops.spec({ bundle: path.resolve(o.bundle), rootless: !!o.rootless })));

  program
    .command('features')
    .description('show the enabled features')
    .action(
      act(async () => {
        printJson(await ops.features());
      }),
    );

  for (const verb of ['checkpoint', 'restore']) {
    program
      .command(verb, { hidden: false })
      .description(`${verb} a running container (CRIU; not supported yet by strata-runtime)`)
      .allowUnknownOption()
      .argument('[args...]')
      .action(() => {
        throw new RuntimeError('UNSUPPORTED', `${verb} is not supported yet by strata-runtime`);
      });
  }
  program
    .command('init', { hidden: true })
    .description('internal: not used by strata-runtime (the init is the native strata-init helper)')
    .action(() => {
      throw new RuntimeError('INVALID_ARGUMENT', 'init is internal to runc; strata-runtime does not use it');
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    configureLog({ format: 'text', debug: false });
    log('error', e.message.replace(/^error: /, ''));
    return e.exitCode || 1;
  }
  if (e instanceof RuntimeError) {
    log('error', e.message);
    return e.exitCode;
  }
  const err = e as Error & { code?: string };
  log('error', err?.message ?? String(e));
  if (process.env.STRATA_DEBUG || process.argv.includes('--debug')) process.stderr.write(`${err?.stack}\n`);
  return 1;
}

/** runc exec: --process FILE, or the container's process with inline args and flags applied. */
async function buildExecProcess(g: GlobalOptions, id: string, command: string[], o: Record<string, any>): Promise<Process> {
  if (o.process) {
    try {
      return JSON.parse(fs.readFileSync(o.process, 'utf8')) as Process;
    } catch (e) {
      throw new RuntimeError('INVALID_ARGUMENT', `--process ${o.process}: ${(e as Error).message}`, { exitCode: 255 });
    }
  }
  const p = await ops.baseProcess(g, id);
  if (command.length === 0) throw new RuntimeError('INVALID_ARGUMENT', 'exec: arguments must not be empty (give a command or --process)', { exitCode: 255 });
  p.args = command;
  p.terminal = !!o.tty;
  if (o.cwd) p.cwd = o.cwd;
  if (o.env) {
    const env = new Map((p.env ?? []).map((e) => [e.split('=')[0], e] as const));
    for (const e of o.env as string[]) env.set(e.split('=')[0], e);
    p.env = [...env.values()];
  }
  if (o.user) {
    const [uid, gid] = String(o.user).split(':');
    if (!/^\d+$/.test(uid) || (gid !== undefined && !/^\d+$/.test(gid))) throw new RuntimeError('INVALID_ARGUMENT', `--user ${o.user}: expected <uid>[:<gid>] as numbers`, { exitCode: 255 });
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), uid: Number(uid), gid: gid !== undefined ? Number(gid) : p.user?.gid ?? 0 };
  }
  if (o.additionalGids) {
    const gids = (o.additionalGids as string[]).map((x) => Number(x));
    if (gids.some((x) => !Number.isInteger(x) || x < 0)) throw new RuntimeError('INVALID_ARGUMENT', 'additional-gids must be positive numbers', { exitCode: 255 });
    p.user = { ...(p.user ?? { uid: 0, gid: 0 }), additionalGids: gids };
  }
  if (o.newPrivs === false) p.noNewPrivileges = true;
  if (o.cap) {
    const caps = p.capabilities ?? {};
    for (const set of ['bounding', 'effective', 'permitted', 'ambient'] as const) caps[set] = [...new Set([...(caps[set] ?? []), ...(o.cap as string[])])];
    p.capabilities = caps;
  }
  if (o.apparmor) p.apparmorProfile = o.apparmor;
  if (o.processLabel) p.selinuxLabel = o.processLabel;
  if (o.cgroup) throw new RuntimeError('UNSUPPORTED', '--cgroup (exec into a sub-cgroup) is not supported by strata-runtime', { exitCode: 255 });
  return p;
}
