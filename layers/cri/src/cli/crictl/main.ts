// strata-crictl: crictl's everyday verbs against any CRI runtime (strata-cri, containerd's CRI
// plugin, CRI-O). Global flags come before the verb:
//   strata-crictl [--runtime-endpoint|-r EP] [--image-endpoint|-i EP] [--timeout|-t D] VERB [flags] [args]
// Endpoints: the flags, else $CONTAINER_RUNTIME_ENDPOINT / $IMAGE_SERVICE_ENDPOINT, else the first
// default socket that exists. Exit code: 0, or 1 on any error (crictl's convention); exec -s
// exits with the command's own code.
import fs from 'node:fs';
import { parseDuration, parseFlags, UsageError } from './args';
import { CriClient, DEFAULT_ENDPOINTS } from './client';
import { json } from './format';
import { parsedInfo, type Ctx } from './context';
import { jsonOf } from '../../api/json';
import { VERSION } from '../../config';
import type { StatusResponse, VersionResponse } from '../../api/protos';
import * as pods from './pods';
import * as containers from './containers';
import * as images from './images';
import { logs } from './logs';
import * as streams from './streams';

type Command = (ctx: Ctx, argv: string[]) => Promise<void>;

async function version(ctx: Ctx, argv: string[]): Promise<void> {
  parseFlags(argv, []);
  const v = await ctx.client.runtime<VersionResponse>('Version', { version: 'v1' });
  ctx.out.write(`Version:  ${v.version}\nRuntimeName:  ${v.runtimeName}\nRuntimeVersion:  ${v.runtimeVersion}\nRuntimeApiVersion:  ${v.runtimeApiVersion}\n`);
}

async function info(ctx: Ctx, argv: string[]): Promise<void> {
  parseFlags(argv, [{ name: 'output', aliases: ['o'], kind: 'string' }]);
  const s = await ctx.client.runtime<StatusResponse>('Status', { verbose: true });
  ctx.out.write(json({ status: jsonOf('RuntimeStatus', s.status), ...parsedInfo(s.info) }));
}

export const COMMANDS: Record<string, [Command, string]> = {
  version: [version, 'Display runtime version information'],
  info: [info, 'Display information of the container runtime'],
  runp: [pods.runp, 'Run a new pod'],
  pods: [pods.pods, 'List pods'],
  inspectp: [pods.inspectp, 'Display the status of one or more pods'],
  stopp: [pods.stopp, 'Stop one or more running pods'],
  rmp: [pods.rmp, 'Remove one or more pods'],
  create: [containers.create, 'Create a new container'],
  start: [containers.start, 'Start one or more created containers'],
  ps: [containers.ps, 'List containers'],
  inspect: [containers.inspect, 'Display the status of one or more containers'],
  stop: [containers.stop, 'Stop one or more running containers'],
  rm: [containers.rm, 'Remove one or more containers'],
  stats: [containers.stats, 'List container(s) resource usage statistics'],
  logs: [logs, 'Fetch the logs of a container'],
  exec: [streams.exec, 'Run a command in a running container'],
  attach: [streams.attach, 'Attach to a running container'],
  'port-forward': [streams.portForward, 'Forward local port to a pod'],
  images: [images.images, 'List images'],
  pull: [images.pull, 'Pull an image from a registry'],
  rmi: [images.rmi, 'Remove one or more images'],
  inspecti: [images.inspecti, 'Return the status of one or more images'],
  imagefsinfo: [images.imagefsinfo, 'Return image filesystem info'],
};
const ALIASES: Record<string, string> = { image: 'images', img: 'images', sandboxes: 'pods' };

export function usage(): string {
  const verbs = Object.entries(COMMANDS)
    .map(([n, [, d]]) => `   ${n.padEnd(14)}${d}`)
    .join('\n');
  return `NAME:
   strata-crictl - a client for the Kubernetes Container Runtime Interface (crictl's verbs)

USAGE:
   strata-crictl [global options] command [command options] [arguments...]

COMMANDS:
${verbs}

GLOBAL OPTIONS:
   --runtime-endpoint value, -r value  CRI runtime endpoint, e.g. unix:///run/strata-cri/strata-cri.sock
                                       [$CONTAINER_RUNTIME_ENDPOINT]
   --image-endpoint value, -i value    CRI image endpoint (default: the runtime endpoint) [$IMAGE_SERVICE_ENDPOINT]
   --timeout value, -t value           timeout of each call (default: 2s)
   --debug, -D                         print each CRI call and its answer on stderr
   --help, -h                          show help
   --version, -v                       print the version

Pod and container configs are JSON files (crictl's format, snake_case or camelCase field names);
YAML is not read.
`;
}

function defaultEndpoint(): string {
  for (const e of DEFAULT_ENDPOINTS) if (fs.existsSync(e.slice('unix://'.length))) return e;
  throw new UsageError(`no runtime endpoint given (--runtime-endpoint or $CONTAINER_RUNTIME_ENDPOINT) and none of the default sockets exists: ${DEFAULT_ENDPOINTS.join(', ')}`);
}

export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  // Global flags: everything before the first word that is not a flag or a flag's value.
  let i = 0;
  const global: string[] = [];
  const valued = new Set(['--runtime-endpoint', '-r', '--image-endpoint', '-i', '--timeout', '-t', '--config', '-c']);
  while (i < argv.length && argv[i].startsWith('-')) {
    global.push(argv[i]);
    if (valued.has(argv[i])) global.push(argv[++i]);
    i++;
  }
  const verb = argv[i];
  const rest = argv.slice(i + 1);
  let ctx: Ctx | undefined;
  try {
    const { flags } = parseFlags(global, [
      { name: 'runtime-endpoint', aliases: ['r'], kind: 'string' },
      { name: 'image-endpoint', aliases: ['i'], kind: 'string' },
      { name: 'timeout', aliases: ['t'], kind: 'string' },
      { name: 'debug', aliases: ['D'], kind: 'bool' },
      { name: 'help', aliases: ['h'], kind: 'bool' },
      { name: 'version', aliases: ['v'], kind: 'bool' },
      { name: 'config', aliases: ['c'], kind: 'string' },
    ]);
    if (flags.version) {
      out.write(`strata-crictl version ${VERSION}\n`);
      return 0;
    }
    if (flags.help || !verb || verb === 'help') {
      out.write(usage());
      return verb || flags.help ? 0 : 1;
    }
    const name = ALIASES[verb] ?? verb;
    const cmd = COMMANDS[name];
    if (!cmd) throw new UsageError(`No help topic for '${verb}' (unknown command; try --help)`);
    if (rest.includes('--help') || rest.includes('-h')) {
      out.write(`strata-crictl ${name}: ${cmd[1]}\n`);
      return 0;
    }
    const runtimeEndpoint = (flags['runtime-endpoint'] as string) ?? process.env.CONTAINER_RUNTIME_ENDPOINT ?? defaultEndpoint();
    const imageEndpoint = (flags['image-endpoint'] as string) ?? process.env.IMAGE_SERVICE_ENDPOINT ?? runtimeEndpoint;
    const timeoutMs = flags.timeout ? parseDuration(flags.timeout as string, '--timeout') : 2_000;
    ctx = { client: new CriClient(runtimeEndpoint, imageEndpoint, timeoutMs, flags.debug ? err : undefined), out, err, timeoutMs, exitCode: 0 };
    await cmd[0](ctx, rest);
    return ctx.exitCode;
  } catch (e) {
    err.write(`strata-crictl: ${describe(e, verb)}\n`);
    return 1;
  } finally {
    ctx?.client.close();
  }
}

const CODE_NAMES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

/** gRPC errors as crictl shows them: "rpc error: code = NotFound desc = ...". */
function describe(e: unknown, verb: string | undefined): string {
  const code = (e as { grpcCode?: number })?.grpcCode;
  const msg = (e as Error)?.message ?? String(e);
  if (typeof code === 'number') return `${verb ?? ''}: rpc error: code = ${CODE_NAMES[code] ?? code} desc = ${msg}`;
  return msg;
}
