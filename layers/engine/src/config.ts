// strata-engine's flags: dockerd's names and defaults where they mean the same thing.
//   -H, --host unix://PATH   (repeatable)  default unix:///run/strata-engine/strata-engine.sock
//   --data-root DIR          default /var/lib/strata-engine (dockerd: /var/lib/docker)
//   --exec-root DIR          default /run/strata-engine     (dockerd: /var/run/docker)
//   --pidfile FILE           default /run/strata-engine.pid
//   --containerd SOCK        the manager's socket (strata-manager, or real containerd's)
//   --containerd-namespace   default moby
//   --iptables=BOOL, --bridge NAME|none, --log-level, --snapshotter
//   --add-runtime NAME=PATH (repeatable), --default-runtime NAME, --default-shim SHIM (runtimes.ts)
//   --experimental           off by default, as in dockerd: turns on checkpoint/restore (CRIU)
import { DEFAULT_ADDRESS } from '@strata/manager';
import { invalidParam } from './errors';
import { parseAddRuntime, Runtimes, SHIMS } from './runtimes';
import type { LogLevel } from './log';

export interface EngineConfig {
  hosts: string[];
  dataRoot: string;
  execRoot: string;
  pidfile: string;
  containerd: string;
  namespace: string;
  iptables: boolean;
  bridge?: string;
  logLevel: LogLevel;
  /** --default-runtime: a shim name or a name from --add-runtime. */
  defaultRuntime: string;
  /** --add-runtime NAME=PATH: runc-compatible binaries driven by the default shim. */
  addRuntimes: Record<string, string>;
  /** --default-shim: the shim of --add-runtime runtimes (default: the default runtime's shim). */
  defaultShim?: string;
  snapshotter: string;
  /** --experimental: serve the experimental endpoints (checkpoints); announced on /_ping and /info. */
  experimental: boolean;
}

/** The runtimes this configuration knows (throws naming the flag when they do not fit together). */
export function runtimesOf(c: EngineConfig): Runtimes {
  const shim = c.defaultShim ?? ((SHIMS as readonly string[]).includes(c.defaultRuntime) ? c.defaultRuntime : SHIMS[0]);
  return new Runtimes(c.addRuntimes ?? {}, c.defaultRuntime, shim);
}

export const DEFAULT_SOCKET = '/run/strata-engine/strata-engine.sock';

export const DEFAULTS: EngineConfig = {
  hosts: [`unix://${DEFAULT_SOCKET}`],
  dataRoot: '/var/lib/strata-engine',
  execRoot: '/run/strata-engine',
  pidfile: '/run/strata-engine.pid',
  containerd: DEFAULT_ADDRESS,
  namespace: 'moby',
  iptables: true,
  logLevel: 'info',
  defaultRuntime: 'io.containerd.strata.v2',
  addRuntimes: {},
  snapshotter: 'overlayfs',
  experimental: false,
};

export const USAGE = `Usage: strata-engine [OPTIONS]

A Docker Engine API daemon on top of strata-manager (or containerd)

Options:
  -H, --host list               Daemon socket(s) to listen on (unix://PATH) (default ${DEFAULTS.hosts[0]})
      --data-root string        Root directory of persistent state (default "${DEFAULTS.dataRoot}")
      --exec-root string        Root directory for execution state files (default "${DEFAULTS.execRoot}")
  -p, --pidfile string          Path to use for daemon PID file (default "${DEFAULTS.pidfile}")
      --containerd string       containerd API socket: strata-manager or containerd (default "${DEFAULTS.containerd}")
      --containerd-namespace string  Namespace of the manager for the engine's containers (default "moby")
      --iptables                Enable addition of iptables rules (default true)
  -b, --bridge string           Attach containers to a network bridge ("none" disables the default bridge network)
  -l, --log-level string        Set the logging level ("debug"|"info"|"warn"|"error"|"fatal") (default "info")
      --add-runtime NAME=PATH   Register a runc-compatible OCI runtime binary (repeatable); run with --runtime NAME
      --default-runtime string  Runtime of containers that name none: a shim (${SHIMS.join(', ')})
                                or an --add-runtime name (default "${DEFAULTS.defaultRuntime}")
      --default-shim string     Shim that drives --add-runtime runtimes (default: the default runtime's
                                shim when it is one, else io.containerd.strata.v2)
      --snapshotter string      Manager snapshotter for container root filesystems (default "overlayfs")
      --experimental            Enable experimental features: checkpoint and restore with CRIU
  -v, --version                 Print version information and quit
  -h, --help                    Print usage
`;

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export type ParsedArgs = { kind: 'run'; config: EngineConfig } | { kind: 'help' } | { kind: 'version' };

export function parseArgs(argv: string[]): ParsedArgs {
  const c: EngineConfig = { ...DEFAULTS, hosts: [], addRuntimes: {} };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw invalidParam(`flag needs an argument: ${a}`);
      return v;
    };
    switch (a) {
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '-v':
      case '--version':
        return { kind: 'version' };
      case '-H':
      case '--host': {
        const h = value();
        if (!/^unix:\/\/\/.+/.test(h) && !h.startsWith('/')) throw invalidParam(`invalid --host ${JSON.stringify(h)}: only unix://ABSOLUTE-PATH sockets are served`);
        c.hosts.push(h.startsWith('/') ? `unix://${h}` : h);
        break;
      }
      case '--data-root':
        c.dataRoot = absolute(a, value());
        break;
      case '--exec-root':
        c.execRoot = absolute(a, value());
        break;
      case '-p':
      case '--pidfile':
        c.pidfile = value();
        break;
      case '--containerd':
        c.containerd = value().replace(/^unix:\/\//, '');
        break;
      case '--containerd-namespace':
        c.namespace = value();
        if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(c.namespace)) throw invalidParam(`invalid --containerd-namespace ${JSON.stringify(c.namespace)}`);
        break;
      case '--iptables': {
        const v = inline ?? 'true';
        if (!['true', 'false', '1', '0'].includes(v)) throw invalidParam(`invalid argument "${v}" for "--iptables" flag: must be true or false`);
        c.iptables = v === 'true' || v === '1';
        break;
      }
      case '--experimental': {
        const v = inline ?? 'true';
        if (!['true', 'false', '1', '0'].includes(v)) throw invalidParam(`invalid argument "${v}" for "--experimental" flag: must be true or false`);
        c.experimental = v === 'true' || v === '1';
        break;
      }
      case '-b':
      case '--bridge':
        c.bridge = value();
        break;
      case '-l':
      case '--log-level': {
        const v = value() as LogLevel;
        if (!LEVELS.includes(v)) throw invalidParam(`invalid --log-level ${JSON.stringify(v)}: one of ${LEVELS.join(', ')}`);
        c.logLevel = v;
        break;
      }
      case '--default-runtime':
        c.defaultRuntime = value();
        break;
      case '--add-runtime': {
        const [name, p] = parseAddRuntime(value());
        if (c.addRuntimes[name]) throw invalidParam(`--add-runtime ${name}: given twice`);
        c.addRuntimes[name] = p;
        break;
      }
      case '--default-shim':
        c.defaultShim = value();
        break;
      case '--snapshotter':
        c.snapshotter = value();
        break;
      default:
        throw invalidParam(`unknown flag: ${argv[i]}\nSee 'strata-engine --help'.`);
    }
  }
  if (!c.hosts.length) c.hosts = [...DEFAULTS.hosts];
  runtimesOf(c); // --default-runtime and --default-shim must name known runtimes
  return { kind: 'run', config: c };
}

function absolute(flag: string, v: string): string {
  if (!v.startsWith('/')) throw invalidParam(`${flag} must be an absolute path, got ${JSON.stringify(v)}`);
  return v.replace(/\/+$/, '') || '/';
}

export const socketPath = (host: string) => host.replace(/^unix:\/\//, '');
