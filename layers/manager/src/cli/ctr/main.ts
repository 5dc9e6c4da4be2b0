// strata-ctr: a friendly client for containerd's API. It speaks only the API, so it works the
// same against strata-manager (the default socket) and against real containerd (-a
// /run/containerd/containerd.sock). Commands mirror ctr's, with docker-like short names.
import { ManagerError } from '../../errors';
import { DEFAULT_ADDRESS, ManagerClient } from '../../client/client';
import { flagHelp, parseFlags, UsageError, type FlagSpec } from './args';
import { COMMANDS } from './commands';

const GLOBAL: FlagSpec[] = [
  { name: 'address', alias: 'a', value: true, help: `address of the API socket (default: ${DEFAULT_ADDRESS}; env CONTAINERD_ADDRESS)` },
  { name: 'namespace', alias: 'n', value: true, help: 'namespace (default: "default"; env CONTAINERD_NAMESPACE)' },
  { name: 'timeout', value: true, help: 'give up on the connection after this many seconds (default: 10)' },
  { name: 'help', alias: 'h', help: 'show help' },
  { name: 'version', alias: 'v', help: 'print the version' },
];

export function usage(): string {
  const cmds = Object.entries(COMMANDS)
    .map(([n, c]) => `   ${n.padEnd(10)} ${c.summary}`)
    .join('\n');
  return `NAME:
   strata-ctr - a client for containerd's API (strata-manager or real containerd)

USAGE:
   strata-ctr [global options] command [command options] [arguments...]

COMMANDS:
${cmds}

GLOBAL OPTIONS:
${flagHelp(GLOBAL)}
`;
}

export async function main(argv: string[]): Promise<number> {
  const i = argv.findIndex((a) => !a.startsWith('-'));
  // global flags come before the command; value flags take the next word
  let split = i;
  for (let j = 0; j < argv.length; j++) {
    const a = argv[j];
    if (!a.startsWith('-')) {
      split = j;
      break;
    }
    const spec = GLOBAL.find((g) => a === `--${g.name}` || a === `-${g.alias}`);
    if (spec?.value && !a.includes('=')) j++;
    split = j + 1;
  }
  let g;
  try {
    g = parseFlags(argv.slice(0, split), GLOBAL);
  } catch (e) {
    process.stderr.write(`strata-ctr: ${(e as Error).message}\n`);
    return 2;
  }
  const [name, ...rest] = argv.slice(split);
  if (g.flags.version) {
    process.stdout.write('strata-ctr 0.1.0\n');
    return 0;
  }
  if (g.flags.help || !name || name === 'help') {
    process.stdout.write(usage());
    return name || g.flags.help ? 0 : 2;
  }
  const top = COMMANDS[name] ?? Object.values(COMMANDS).find((c) => c.aliases?.includes(name));
  if (!top) {
    process.stderr.write(`strata-ctr: no such command "${name}" (see strata-ctr --help)\n`);
    return 2;
  }
  // `containers checkpoint ...`: the subcommand replaces the command (ctr's nested commands).
  const sub = rest[0] !== undefined ? top.subcommands?.[rest[0]] : undefined;
  const cmd = sub ?? top;
  const cmdName = sub ? `${name} ${rest[0]}` : name;
  const args = sub ? rest.slice(1) : rest;
  if (args.includes('--help') || args.includes('-h')) {
    const subs = cmd.subcommands ? `\n\nSUBCOMMANDS:\n${Object.entries(cmd.subcommands).map(([n, s]) => `   ${n.padEnd(10)} ${s.summary}`).join('\n')}` : '';
    process.stdout.write(`USAGE:\n   strata-ctr ${cmdName} ${cmd.usage}\n\n${cmd.summary}${subs}\n\nOPTIONS:\n${flagHelp(cmd.flags)}\n`);
    return 0;
  }
  const address = (g.flags.address as string) || process.env.CONTAINERD_ADDRESS || DEFAULT_ADDRESS;
  const namespace = (g.flags.namespace as string) || process.env.CONTAINERD_NAMESPACE || 'default';
  const client = new ManagerClient(address, namespace);
  try {
    const parsed = parseFlags(args, cmd.flags, { stopAtPositional: cmd.stopAtPositional });
    return await cmd.run(client, parsed);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`strata-ctr ${cmdName}: ${e.message}\n`);
      return 2;
    }
    const msg = e instanceof ManagerError ? e.message : ((e as Error).message ?? String(e));
    const unreachable = /ECONNREFUSED|ENOENT|No connection established|UNAVAILABLE: .*connect/.test(msg);
    process.stderr.write(`strata-ctr: ${unreachable ? `cannot reach ${address} (is strata-manager or containerd running?): ` : ''}${msg}\n`);
    return 1;
  } finally {
    client.close();
  }
}
