// strata-manager's command line, with containerd's flags:
//   strata-manager [--config FILE] [--address SOCK] [--root DIR] [--state DIR] [--log-level L] [--log-format text|json]
//   strata-manager config default      print the default configuration (TOML)
//   strata-manager publish --topic T --namespace NS    (what shims may call: event Any on stdin)
export interface DaemonArgs {
  command: 'serve' | 'config-default' | 'publish' | 'help' | 'version';
  config?: string;
  address?: string;
  root?: string;
  state?: string;
  logLevel?: string;
  logFormat?: 'text' | 'json';
  topic?: string;
  namespace?: string;
}

export class UsageError extends Error {}

const VALUE: Record<string, keyof DaemonArgs> = {
  '--config': 'config',
  '-c': 'config',
  '--address': 'address',
  '-a': 'address',
  '--root': 'root',
  '--state': 'state',
  '--log-level': 'logLevel',
  '-l': 'logLevel',
  '--log-format': 'logFormat',
  '--topic': 'topic',
  '--namespace': 'namespace',
  '-n': 'namespace',
};

export function parseDaemonArgs(argv: string[]): DaemonArgs {
  const a: DaemonArgs = { command: 'serve' };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('-') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '--help' || arg === '-h') return { command: 'help' };
    if (arg === '--version' || arg === '-v') return { command: 'version' };
    const key = VALUE[arg];
    if (key) {
      value ??= argv[++i];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${arg}`);
      (a as any)[key] = value;
    } else if (arg.startsWith('-')) throw new UsageError(`flag provided but not defined: ${arg}`);
    else words.push(arg);
  }
  if (a.logFormat && a.logFormat !== 'text' && a.logFormat !== 'json') throw new UsageError(`--log-format: must be "text" or "json" (got "${a.logFormat}")`);
  if (words.length === 0) return a;
  if (words[0] === 'config' && words[1] === 'default' && words.length === 2) return { ...a, command: 'config-default' };
  if (words[0] === 'publish' && words.length === 1) {
    if (!a.topic || !a.namespace) throw new UsageError('publish needs --topic and --namespace');
    return { ...a, command: 'publish' };
  }
  throw new UsageError(`unknown command "${words.join(' ')}" (try --help)`);
}

export const DAEMON_USAGE = `NAME:
   strata-manager - Strata's container manager: containerd's API, written in TypeScript

USAGE:
   strata-manager [global options] [command]

   It serves containerd's gRPC API (version, namespaces, content, images, snapshots, diff,
   leases, containers, tasks, events, introspection) on a unix socket, so the real \`ctr\` and
   Strata's upper layers can use it, and runs every task through a containerd runtime v2 shim
   (containerd-shim-strata-v2 by default; containerd-shim-runc-v2 for io.containerd.runc.v2).

COMMANDS:
   config default   print the default configuration (TOML)
   publish          forward one event (an encoded Any on stdin) to a running daemon

GLOBAL OPTIONS:
   --config value, -c value      path to the configuration file
   --address value, -a value     address for the gRPC API (default: /run/strata-manager/strata-manager.sock)
   --root value                  persistent state: metadata db, content, snapshots (default: /var/lib/strata-manager)
   --state value                 volatile state: task bundles (default: /run/strata-manager)
   --log-level value, -l value   debug, info, warn or error (default: info)
   --log-format value            text or json (default: text)
   --help, -h                    show help
   --version, -v                 print the version
`;
