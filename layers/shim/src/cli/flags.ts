// The shim's command line as containerd invokes it (Go flag package style: single dash, flags
// before the action):
//   containerd-shim-strata-v2 -namespace NS -address ADDR -publish-binary BIN -id ID [-debug] start
//   containerd-shim-strata-v2 -namespace NS -address ADDR -publish-binary BIN -id ID -bundle B delete
//   containerd-shim-strata-v2 -namespace NS -id ID -address ADDR [-debug]     (the daemon itself)

export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  socket: string;
  debug: boolean;
  version: boolean;
  help: boolean;
  action?: 'start' | 'delete';
}

const VALUE_FLAGS: Record<string, keyof ShimFlags> = { namespace: 'namespace', address: 'address', 'publish-binary': 'publishBinary', id: 'id', bundle: 'bundle', socket: 'socket' };
const BOOL_FLAGS: Record<string, keyof ShimFlags> = { debug: 'debug', v: 'version', version: 'version', h: 'help', help: 'help' };

export class FlagError extends Error {}

export function parseShimFlags(argv: string[]): ShimFlags {
  const f: ShimFlags = { namespace: '', address: '', publishBinary: '', id: '', bundle: '', socket: '', debug: false, version: false, help: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) break;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (VALUE_FLAGS[name]) {
      const v = eq >= 0 ? body.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new FlagError(`flag needs an argument: -${name}`);
      (f as any)[VALUE_FLAGS[name]] = v;
    } else if (BOOL_FLAGS[name]) (f as any)[BOOL_FLAGS[name]] = eq < 0 ? true : body.slice(eq + 1) === 'true';
    else throw new FlagError(`flag provided but not defined: -${name}`);
  }
  const action = argv[i];
  if (action !== undefined) {
    if (action !== 'start' && action !== 'delete') throw new FlagError(`unknown action ${JSON.stringify(action)} (start or delete)`);
    f.action = action;
    if (argv.length > i + 1) throw new FlagError(`unexpected arguments after ${action}: ${argv.slice(i + 1).join(' ')}`);
  }
  return f;
}

export const USAGE = `Usage: containerd-shim-strata-v2 [flags] [start|delete]

containerd-shim-strata-v2 is a containerd runtime v2 shim ("io.containerd.strata.v2") written in
TypeScript. containerd starts it; it keeps running beside the container, drives an OCI runtime
(strata-runtime by default; runc or crun through the runc options' BinaryName) and serves
containerd.task.v2.Task over ttrpc.

Actions:
  start     start (or find) the shim daemon for this container; prints its ttrpc address
  delete    clean up after a container whose shim is gone; prints a DeleteResponse (protobuf)
  (none)    run as the shim daemon (how start launches it, with the listening socket on fd 3)

Flags:
  -namespace string       containerd namespace of the container
  -address string         containerd's grpc address (the shim's socket name derives from it)
  -publish-binary string  containerd binary for publishing events (unused: events go over ttrpc)
  -id string              container id
  -bundle string          bundle path (delete; default: the working directory)
  -socket string          accepted for compatibility, unused
  -debug                  debug logging
  -v                      print the version and exit
`;
