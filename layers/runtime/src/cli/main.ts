// strata-runtime's command line: runc 1.1's commands, flags and exit codes (so that
// containerd-shim-runc-v2, podman/conmon and runtime-tools can drive it unchanged). This file
// only parses arguments, calls src/operations and prints; no container logic lives here.
import fs from 'node:fs';
import path from 'node:path';
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
  checkpoint: async (...a: Parameters<typeof import('../operations/checkpoint').checkpoint>) => (await import('../operations/checkpoint')).checkpoint(...a),
  restore: async (...a: Parameters<typeof import('../operations/restore').restore>) => (await import('../operations/restore')).restore(...a),
};
import type { GlobalOptions } from '../operations/types';
import { RuntimeError } from '../errors';
import { setWarningSink } from '../warnings';
import { configureLog, log } from './log';
import { parseDuration, resourcesFromFlags } from './parse';
import { printList, printPs, printJson } from './output';
import { commandHelp, parseCommand, parseFlags, programHelp, UsageError } from './args';
import { COMMANDS, GLOBAL_FLAGS } from './commands';
import { traceCommand } from '../trace';

export const VERSION = '0.1.0';
export const SPEC_VERSION = '1.2.0';

type Values = Record<string, any>;
type Action = (g: GlobalOptions, args: string[], o: Values) => Promise<number | void>;

const id0 = (args: string[]) => {
  if (!args[0]) throw new UsageError('container id cannot be empty');
  return args[0];
};
const oneOf = (flag: string, v: string, allowed: string[]) => {
  if (!allowed.includes(v)) throw new UsageError(`invalid value ${JSON.stringify(v)} for --${flag}: one of ${allowed.join(', ')}`);
  return v;
};
/** runc's CRIU flags that strata-runtime does not implement: refused by name, never ignored. */
const refuseFlags = (o: Values, names: string[]) => {
  for (const n of names) {
    const v = o[n.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (v && !(Array.isArray(v) && v.length === 0)) throw new RuntimeError('UNSUPPORTED', `--${n} is not supported by strata-runtime's checkpoint/restore`);
  }
};
const criuOptions = (o: Values) => {
  const mode = o.manageCgroupsMode === undefined ? undefined : oneOf('manage-cgroups-mode', o.manageCgroupsMode, ['soft', 'full', 'strict', 'ignore']);
  return {
    imagePath: path.resolve(o.imagePath || 'checkpoint'),
    workPath: o.workPath ? path.resolve(o.workPath) : undefined,
    tcpEstablished: !!o.tcpEstablished,
    extUnixSk: !!o.extUnixSk,
    shellJob: !!o.shellJob,
    fileLocks: !!o.fileLocks,
    manageCgroupsMode: mode as 'soft' | 'full' | 'strict' | 'ignore' | undefined,
  };
};

/** What each command does, given the parsed flags (see commands.ts for the flags themselves). */
const ACTIONS: Record<string, Action> = {
  create: async (g, args, o) => ops.create(g, { id: id0(args), bundle: path.resolve(o.bundle), pidFile: o.pidFile, consoleSocket: o.consoleSocket, noPivot: !!o.noPivot, noNewKeyring: !!o.noNewKeyring, preserveFds: Number(o.preserveFds) }),
  run: async (g, args, o) =>
    ops.run(g, { id: id0(args), bundle: path.resolve(o.bundle), pidFile: o.pidFile, consoleSocket: o.consoleSocket, detach: !!o.detach, keep: !!o.keep, noPivot: !!o.noPivot, noNewKeyring: !!o.noNewKeyring, preserveFds: Number(o.preserveFds) }),
  start: async (g, args) => ops.start(g, { id: id0(args) }),
  state: async (g, args) => {
    printJson(await ops.state(g, { id: id0(args) }));
  },
  kill: async (g, args, o) => {
    let signal: number;
    try {
      signal = signalNumber(args[1] ?? 'SIGTERM');
    } catch (e) {
      throw new RuntimeError('INVALID_ARGUMENT', (e as Error).message);
    }
    await ops.kill(g, { id: id0(args), signal, all: !!o.all });
  },
  delete: async (g, args, o) => ops.remove(g, { id: id0(args), force: !!o.force }),
  list: async (g, _args, o) => {
    printList(await ops.list(g), oneOf('format', o.format, ['table', 'json']) as 'table' | 'json', !!o.quiet);
  },
  ps: async (g, args, o) => {
    printPs(await ops.ps(g, { id: id0(args) }), oneOf('format', o.format, ['table', 'json']) as 'table' | 'json', args.slice(1));
  },
  pause: async (g, args) => ops.pause(g, { id: id0(args) }),
  resume: async (g, args) => ops.resume(g, { id: id0(args) }),
  exec: async (g, args, o) => {
    const id = id0(args);
    const proc = await buildExecProcess(g, id, args.slice(1), o);
    return ops.exec(g, { id, process: proc, detach: !!o.detach, pidFile: o.pidFile, consoleSocket: o.consoleSocket, ignorePaused: !!o.ignorePaused, preserveFds: Number(o.preserveFds) });
  },
  events: async (g, args, o) => {
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    let intervalMs: number;
    try {
      intervalMs = parseDuration(o.interval);
    } catch (e) {
      throw new UsageError(`--interval: ${(e as Error).message}`);
    }
    await ops.events(g, { id: id0(args), stats: !!o.stats, intervalMs }, (e) => fs.writeSync(1, `${JSON.stringify(e)}\n`), ac.signal);
  },
  update: async (g, args, o) => {
    const id = id0(args);
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
    await ops.update(g, { id, resources });
  },
  spec: async (_g, _args, o) => ops.spec({ bundle: path.resolve(o.bundle), rootless: !!o.rootless }),
  features: async () => {
    printJson(await ops.features());
  },
  checkpoint: async (g, args, o) => {
    refuseFlags(o, ['page-server', 'lazy-pages', 'status-fd', 'auto-dedup', 'empty-ns']);
    await ops.checkpoint(g, { id: id0(args), ...criuOptions(o), leaveRunning: !!o.leaveRunning, preDump: !!o.preDump, parentPath: o.parentPath || undefined });
  },
  restore: async (g, args, o) => {
    refuseFlags(o, ['empty-ns', 'auto-dedup', 'lazy-pages', 'lsm-profile']);
    return ops.restore(g, { id: id0(args), ...criuOptions(o), bundle: path.resolve(o.bundle), detach: !!o.detach, pidFile: o.pidFile, consoleSocket: o.consoleSocket, noPivot: !!o.noPivot });
  },
  init: async () => {
    throw new RuntimeError('INVALID_ARGUMENT', 'init is internal to runc; strata-runtime does not use it');
  },
};

const PROGRAM = 'strata-runtime';
const DESCRIPTION = 'an Open Container Initiative runtime written in TypeScript (runc-compatible)';
const VERSION_TEXT = `${PROGRAM} version ${VERSION}\nspec: ${SPEC_VERSION}\n`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const g = parseFlags(argv, 0, GLOBAL_FLAGS);
    const gv = g.values as Values;
    if (gv.version) {
      process.stdout.write(VERSION_TEXT);
      return 0;
    }
    let name = argv[g.next];
    const rest = g.next + 1;
    if (name === 'help' || name === 'h') {
      const target = COMMANDS.find((c) => c.name === argv[rest] || c.aliases?.includes(argv[rest]));
      process.stdout.write(target ? commandHelp(PROGRAM, target) : programHelp(PROGRAM, DESCRIPTION, VERSION, COMMANDS, GLOBAL_FLAGS));
      return 0;
    }
    if (g.help || name === undefined) {
      process.stdout.write(programHelp(PROGRAM, DESCRIPTION, VERSION, COMMANDS, GLOBAL_FLAGS));
      return g.help ? 0 : 1;
    }
    const command = COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} for ${PROGRAM}`);
    name = command.name;
    const parsed = parseCommand(argv, rest, command);
    if (parsed.help) {
      process.stdout.write(commandHelp(PROGRAM, command));
      return 0;
    }
    const globals: GlobalOptions = {
      root: path.resolve(gv.root),
      log: gv.log,
      logFormat: oneOf('log-format', gv.logFormat, ['text', 'json']) as 'text' | 'json',
      debug: !!gv.debug,
      systemdCgroup: !!gv.systemdCgroup,
      rootless: gv.rootless,
      criu: gv.criu,
    };
    configureLog({ file: globals.log, format: globals.logFormat, debug: globals.debug });
    setWarningSink((level, msg) => log(level === 'warn' ? 'warning' : 'debug', msg));
    if (globals.systemdCgroup) throw new RuntimeError('UNSUPPORTED', '--systemd-cgroup is not supported: strata-runtime manages cgroups through cgroupfs (omit the flag)');
    let r: number | void;
    try {
      r = await ACTIONS[name](globals, parsed.args, parsed.values as Values);
    } catch (e) {
      traceCommand(name, parsed.args[0], { error: e });
      throw e;
    }
    traceCommand(name, parsed.args[0], { exitCode: typeof r === 'number' ? r : 0 });
    return typeof r === 'number' ? r : 0;
  } catch (e) {
    return report(e);
  }
}

function report(e: unknown): number {
  if (e instanceof UsageError) {
    // Usage errors happen before --log is known to be valid: they go to stderr, like urfave/cli.
    configureLog({ format: 'text', debug: false });
    log('error', e.message);
    return 1;
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
async function buildExecProcess(g: GlobalOptions, id: string, command: string[], o: Values): Promise<Process> {
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
  if (o.noNewPrivs) p.noNewPrivileges = true;
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
