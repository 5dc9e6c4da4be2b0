// strata's command line: global flags (-H/--host, --log-level, -D, --config, -v), then a command
// found by its first one or two words, then the command's own flags (pflag rules, flags.ts).
// Errors follow the docker CLI: flag errors exit 125 with the usage line, wrong argument counts
// exit 1, daemon errors print "Error response from daemon: ..." (exit 1; 125 for run/create).
import { autostart } from './autostart';
import { DEFAULT_HOST, DockerClient, parseHost } from './client';
import type { Command, Ctx, Io } from './command';
import { COMMANDS, MANAGEMENT, findCommand } from './commands/index';
import { CliError, UsageError } from './errors';
import { parseFlags } from './flags';
import { commandHelp, commandUsageLine, mainHelp, managementHelp } from './usage';
import { CLI_VERSION } from './version';
import { MAX_API_VERSION } from './client';
import { findPlugin, runPlugin } from './plugins';

interface Globals {
  host?: string;
  logLevel: string;
  config?: string;
  version: boolean;
  help: boolean;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'panic', 'trace'];

function parseGlobals(argv: string[]): { g: Globals; rest: string[] } {
  const g: Globals = { logLevel: 'info', version: false, help: false };
  let i = 0;
  const value = (name: string, inline?: string) => {
    if (inline !== undefined) return inline;
    if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${name}`, '');
    return argv[++i];
  };
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : a.length > 2 && !a.startsWith('--') ? a.slice(2) : undefined;
    const short = a.startsWith('--') ? name : a.slice(0, 2);
    switch (short) {
      case '-H':
      case '--host':
        g.host = value(short, inline);
        break;
      case '-l':
      case '--log-level':
        g.logLevel = value(short, inline);
        if (!LOG_LEVELS.includes(g.logLevel)) throw new UsageError(`Unable to parse logging level: ${g.logLevel}`, '', 1);
        break;
      case '--config':
        g.config = value(short, inline);
        break;
      case '-D':
      case '--debug':
        g.logLevel = 'debug';
        break;
      case '-v':
      case '--version':
        g.version = true;
        break;
      case '-h':
      case '--help':
        g.help = true;
        break;
      default:
        throw new UsageError(`unknown flag: ${name}`, '');
    }
  }
  return { g, rest: argv.slice(i) };
}

function argCountError(c: Command, n: number): string | undefined {
  const { min, max } = c.args ?? {};
  const plural = (k: number) => `${k} argument${k === 1 ? '' : 's'}`;
  if (max === 0 && n > 0) return `'strata ${c.name}' accepts no arguments`;
  if (min !== undefined && max !== undefined && min === max && n !== min) return `'strata ${c.name}' requires exactly ${plural(min)}`;
  if (min !== undefined && n < min) return `'strata ${c.name}' requires at least ${plural(min)}`;
  if (max !== undefined && n > max) return `'strata ${c.name}' requires at most ${plural(max)}`;
  return undefined;
}

export async function main(argv: string[], io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const err = (s: string) => void io.stderr.write(s);
  const out = (s: string) => void io.stdout.write(s);
  let g: Globals;
  let rest: string[];
  try {
    ({ g, rest } = parseGlobals(argv));
  } catch (e) {
    err(`${(e as Error).message}\nSee 'strata --help'.\n`);
    return (e as CliError).exitCode ?? 125;
  }
  if (g.config) process.env.DOCKER_CONFIG = g.config;
  if (g.version) {
    out(`strata version ${CLI_VERSION}, API ${MAX_API_VERSION}\n`);
    return 0;
  }
  if (!rest.length || (g.help && !rest.length)) {
    out(mainHelp());
    return 0;
  }
  const found = findCommand(rest);
  if (!found) {
    if (MANAGEMENT.includes(rest[0])) {
      if (rest.length === 1 || rest[1] === '--help' || rest[1] === '-h') {
        out(managementHelp(rest[0]));
        return 0;
      }
      err(`strata: unknown command: strata ${rest[0]} ${rest[1]}\n\nRun 'strata ${rest[0]} --help' for more information\n`);
      return 1;
    }
    if (rest[0] === 'help') {
      const c = findCommand(rest.slice(1));
      out(c ? commandHelp(c.cmd) : mainHelp());
      return 0;
    }
    const plugin = findPlugin(rest[0]);
    if (plugin) return runPlugin(plugin, rest.slice(1));
    err(`strata: unknown command: strata ${rest[0]}\n\nRun 'strata --help' for more information\n`);
    return 1;
  }
  const { cmd, used } = found;
  let parsed;
  try {
    parsed = parseFlags(rest.slice(used), cmd.flags, { command: cmd.name, interspersed: cmd.interspersed });
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`${e.message}\n\n${commandUsageLine(cmd)}\n\nRun 'strata ${cmd.name} --help' for more information\n`);
    return e.exitCode;
  }
  if (parsed.help || g.help) {
    out(commandHelp(cmd));
    return 0;
  }
  const countErr = argCountError(cmd, parsed.args.length);
  if (countErr) {
    err(`strata: ${countErr}\n\n${commandUsageLine(cmd)}\n\nSee 'strata ${cmd.name} --help' for more information\n`);
    return 1;
  }

  const hostGiven = g.host ?? process.env.DOCKER_HOST;
  let client: DockerClient;
  try {
    client = new DockerClient(parseHost(hostGiven || DEFAULT_HOST));
    if (!hostGiven && !cmd.local) await autostart(io.stderr);
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    err(`${e.message}\n`);
    return e.exitCode;
  }
  if (g.logLevel === 'debug') client.log = (m) => err(`DEBU[0000] ${m}\n`);
  const ctx: Ctx = { ...io, client, out, err };
  try {
    const code = await cmd.run(ctx, parsed.flags, parsed.args);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof CliError) {
      err(`${e.message}\n`);
      return e.exitCode;
    }
    err(`strata: ${(e as Error)?.message ?? e}\n`);
    return 1;
  }
}

export { COMMANDS };
