// strata-cri's command line, with CRI-O's flag names where CRI-O has them:
//   strata-cri [--config FILE] [--listen SOCK] [--root DIR] [--runroot DIR]
//              [--manager-address SOCK] [--cni-conf-dir DIR] [--cni-bin-dir DIR[:DIR...]]
//              [--registry-mirror HOST=URL]... [--runtime NAME] [--pause-image REF]
//              [--stream-address ADDR] [--stream-port N] [--log-level L] [--log-format text|json]
//   strata-cri config        print the effective configuration (TOML) and exit
import path from 'node:path';
import { addMirror, loadConfig, logFormat, normalizeLevel, port, type CriConfig } from '../config';

export class UsageError extends Error {}

export interface CriArgs {
  command: 'serve' | 'config' | 'help' | 'version';
  config: CriConfig;
}

type Setter = (c: CriConfig, v: string, flag: string) => void;

const abs = (v: string) => path.resolve(v);
function bool(v: string, flag: string): boolean {
  if (v !== 'true' && v !== 'false') throw new UsageError(`${flag}: want true or false (got ${JSON.stringify(v)})`);
  return v === 'true';
}
/** Flags that may stand alone (meaning true) or take =true/=false. */
const BOOLEAN = new Set(['--registry-offline']);

const FLAGS: Record<string, Setter> = {
  '--listen': (c, v) => (c.listen = abs(v)),
  '--root': (c, v) => (c.root = abs(v)),
  '--runroot': (c, v) => (c.runroot = abs(v)),
  '--manager-address': (c, v) => (c.managerAddress = v.replace(/^unix:\/\//, '')),
  '--cni-conf-dir': (c, v) => (c.cniConfDir = abs(v)),
  '--cni-bin-dir': (c, v) => (c.cniBinDirs = v.split(':').filter(Boolean).map(abs)),
  '--registry-mirror': (c, v) => addMirror(c, v),
  '--insecure-registry': (c, v) => c.insecureRegistries.push(v),
  '--registry-offline': (c, v, f) => (c.registryOffline = bool(v, f)),
  '--runtime': (c, v) => (c.runtime = v),
  '--pause-image': (c, v) => (c.pauseImage = v),
  '--snapshotter': (c, v) => (c.snapshotter = v),
  '--stream-address': (c, v) => (c.streamAddress = v),
  '--stream-port': (c, v, f) => (c.streamPort = port(v, f)),
  '--log-level': (c, v, f) => (c.logLevel = normalizeLevel(v, f)),
  '--log-format': (c, v, f) => (c.logFormat = logFormat(v, f)),
};
const ALIASES: Record<string, string> = { '-l': '--log-level', '-c': '--config' };

/** Parse argv: the config file first (wherever --config appears), then the flags over it. */
export function parseCriArgs(argv: string[]): CriArgs {
  const pairs: [string, string][] = [];
  const words: string[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    arg = ALIASES[arg] ?? arg;
    if (arg === '--help' || arg === '-h') return { command: 'help', config: loadConfig() };
    if (arg === '--version' || arg === '-v') return { command: 'version', config: loadConfig() };
    if (BOOLEAN.has(arg)) {
      pairs.push([arg, value ?? 'true']);
    } else if (arg === '--config' || FLAGS[arg]) {
      value ??= argv[++i];
      if (value === undefined || value === '') throw new UsageError(`flag needs an argument: ${arg}`);
      if (arg === '--config') configFile = value;
      else pairs.push([arg, value]);
    } else if (arg.startsWith('-')) throw new UsageError(`flag provided but not defined: ${arg}`);
    else words.push(arg);
  }
  if (words.length > 1 || (words.length === 1 && words[0] !== 'config')) throw new UsageError(`unknown command "${words.join(' ')}" (try --help)`);
  const config = loadConfig(configFile);
  for (const [flag, value] of pairs) FLAGS[flag](config, value, flag);
  return { command: words[0] === 'config' ? 'config' : 'serve', config };
}

export const CRI_USAGE = `NAME:
   strata-cri - Strata's Kubernetes container runtime: the CRI v1 gRPC API over a container manager

USAGE:
   strata-cri [global options] [command]

   Serves the Container Runtime Interface (runtime.v1 RuntimeService and ImageService) on a
   unix socket for the kubelet, crictl and critest, and does the work through a manager's
   containerd API (strata-manager, or real containerd) in its namespace "k8s.io", with CNI
   plugins for pod networking.

COMMANDS:
   config   print the effective configuration (TOML) and exit

GLOBAL OPTIONS:
   --config value, -c value   TOML configuration file (keys described in the README)
   --listen value             the CRI socket (default: /run/strata-cri/strata-cri.sock)
   --root value               persistent state (default: /var/lib/strata-cri)
   --runroot value            volatile state (default: /run/strata-cri)
   --manager-address value    the manager's socket: strata-manager or containerd
                              (default: /run/strata-manager/strata-manager.sock)
   --cni-conf-dir value       CNI network configurations (default: /etc/cni/net.d)
   --cni-bin-dir value        CNI plugin directories, colon-separated (default: /usr/lib/cni:/opt/cni/bin)
   --registry-mirror value    HOST=URL: pull HOST's images from URL first, e.g.
                              registry.k8s.io=http://127.0.0.1:5000 (repeatable)
   --insecure-registry value  a registry host reached over plain http (repeatable)
   --registry-offline         use only the mirrors of a mirrored registry, never the registry
                              itself (an air-gapped node; default: mirrors first, then the registry)
   --runtime value            manager runtime of the default handler (default: io.containerd.strata.v2)
   --pause-image value        the sandbox image (default: strata.local/busybox:latest)
   --snapshotter value        the manager snapshotter for images and containers (default: overlayfs)
   --stream-address value     address of the streaming server for exec/attach/port-forward (default: 127.0.0.1)
   --stream-port value        its port (default: 0, any free port)
   --log-level value, -l value  debug, info, warn or error (default: info)
   --log-format value         text or json (default: text)
   --help, -h                 show help
   --version, -v              print the version

EXIT CODES:
   0 stopped by SIGTERM/SIGINT   1 could not start (see the log)   2 bad command line or config
`;
