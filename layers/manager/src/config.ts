// strata-manager's configuration: a TOML file shaped like containerd's config.toml (the same
// top-level keys where they mean the same thing), plus command-line flags that override it.
//
//   version = 2
//   root  = "/var/lib/strata-manager"        # persistent: metadata db, content, snapshots
//   state = "/run/strata-manager"            # volatile: bundles, sockets
//   [grpc]
//     address = "/run/strata-manager/strata-manager.sock"
//   [debug]
//     level = "info"                         # debug | info | warn | error
//   [runtimes."io.containerd.runc.v2"]       # runtime name -> shim binary + default options
//     shim = "containerd-shim-runc-v2"
//     [runtimes."io.containerd.runc.v2".options]
//       BinaryName = "crun"
//   [snapshotter]
//     default = "overlayfs"                  # or "native"
//   [registry.mirrors."registry.k8s.io"]
//     endpoint = ["http://127.0.0.1:5000"]
//   [registry.configs."127.0.0.1:5000".auth]
//     username = "me"
//     password = "secret"
import fs from 'node:fs';
import { parse } from 'smol-toml';
import { invalid } from './errors';
import type { RuntimeConfig } from './tasks/runtimes';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RegistryConfig {
  mirrors: Record<string, string[]>;
  auth: Record<string, { username?: string; password?: string; auth?: string; identitytoken?: string }>;
  insecure: string[];
}

export interface ManagerConfig {
  root: string;
  state: string;
  address: string;
  logLevel: LogLevel;
  logFormat: 'text' | 'json';
  runtimes: Record<string, RuntimeConfig>;
  defaultRuntime: string;
  snapshotter: string;
  registry: RegistryConfig;
  /** Seconds between background garbage collections (0 = only when asked). */
  gcIntervalSeconds: number;
}

export const DEFAULTS: ManagerConfig = {
  root: '/var/lib/strata-manager',
  state: '/run/strata-manager',
  address: '/run/strata-manager/strata-manager.sock',
  logLevel: 'info',
  logFormat: 'text',
  runtimes: {},
  defaultRuntime: 'io.containerd.strata.v2',
  snapshotter: 'overlayfs',
  registry: { mirrors: {}, auth: {}, insecure: [] },
  gcIntervalSeconds: 0,
};

const LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'panic'];

type Toml = Record<string, any>;

/** Read a TOML config; every wrong value is reported with its key path. */
export function loadConfig(file: string | undefined, base: ManagerConfig = DEFAULTS): ManagerConfig {
  const c: ManagerConfig = structuredClone(base);
  if (!file) return c;
  let t: Toml;
  try {
    t = parse(fs.readFileSync(file, 'utf8')) as Toml;
  } catch (e) {
    throw invalid(`--config ${file}`, (e as Error).message.split('\n')[0]);
  }
  const str = (v: unknown, key: string): string => {
    if (typeof v !== 'string' || !v) throw invalid(`${file}: ${key}`, `must be a non-empty string (got ${JSON.stringify(v)})`);
    return v;
  };
  if (t.version !== undefined && t.version !== 2) throw invalid(`${file}: version`, `only version = 2 is understood (got ${t.version})`);
  if (t.root !== undefined) c.root = str(t.root, 'root');
  if (t.state !== undefined) c.state = str(t.state, 'state');
  if (t.grpc?.address !== undefined) c.address = str(t.grpc.address, 'grpc.address');
  if (t.debug?.level !== undefined) c.logLevel = normalizeLevel(str(t.debug.level, 'debug.level'), `${file}: debug.level`);
  if (t.debug?.format !== undefined) {
    if (t.debug.format !== 'json' && t.debug.format !== 'text') throw invalid(`${file}: debug.format`, 'must be "text" or "json"');
    c.logFormat = t.debug.format;
  }
  if (t.default_runtime !== undefined) c.defaultRuntime = str(t.default_runtime, 'default_runtime');
  for (const [name, r] of Object.entries((t.runtimes ?? {}) as Record<string, Toml>)) {
    const rc: RuntimeConfig = {};
    if (r.shim !== undefined) rc.shim = str(r.shim, `runtimes."${name}".shim`);
    if (r.options !== undefined) {
      if (typeof r.options !== 'object') throw invalid(`${file}: runtimes."${name}".options`, 'must be a table');
      rc.options = runcOptions(r.options as Toml, `${file}: runtimes."${name}".options`);
    }
    c.runtimes[name] = rc;
  }
  if (t.snapshotter?.default !== undefined) {
    const s = str(t.snapshotter.default, 'snapshotter.default');
    if (s !== 'overlayfs' && s !== 'native') throw invalid(`${file}: snapshotter.default`, `must be "overlayfs" or "native" (got "${s}")`);
    c.snapshotter = s;
  }
  for (const [host, m] of Object.entries((t.registry?.mirrors ?? {}) as Record<string, Toml>)) {
    if (!Array.isArray(m.endpoint) || m.endpoint.some((e: unknown) => typeof e !== 'string' || !/^https?:\/\//.test(e as string))) {
      throw invalid(`${file}: registry.mirrors."${host}".endpoint`, 'must be a list of http:// or https:// URLs');
    }
    c.registry.mirrors[host] = m.endpoint;
  }
  for (const [host, rc] of Object.entries((t.registry?.configs ?? {}) as Record<string, Toml>)) {
    if (rc.auth) c.registry.auth[host] = rc.auth;
    if (rc.tls?.insecure_skip_verify || rc.insecure) c.registry.insecure.push(host);
  }
  if (t.gc?.interval_seconds !== undefined) {
    if (!Number.isInteger(t.gc.interval_seconds) || t.gc.interval_seconds < 0) throw invalid(`${file}: gc.interval_seconds`, 'must be an integer >= 0');
    c.gcIntervalSeconds = t.gc.interval_seconds;
  }
  return c;
}

export function normalizeLevel(l: string, where: string): LogLevel {
  if (!LEVELS.includes(l)) throw invalid(where, `unknown log level ${JSON.stringify(l)} (debug, info, warn, error)`);
  if (l === 'trace') return 'debug';
  if (l === 'warning') return 'warn';
  if (l === 'fatal' || l === 'panic') return 'error';
  return l as LogLevel;
}

/** runc.v1.Options from containerd's TOML spelling (BinaryName, Root, SystemdCgroup, ...). */
function runcOptions(o: Toml, where: string): RuntimeConfig['options'] {
  const map: Record<string, string> = {
    BinaryName: 'binaryName',
    Root: 'root',
    SystemdCgroup: 'systemdCgroup',
    NoPivotRoot: 'noPivotRoot',
    NoNewKeyring: 'noNewKeyring',
    ShimCgroup: 'shimCgroup',
    IoUid: 'ioUid',
    IoGid: 'ioGid',
    CriuPath: 'criuPath',
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!map[k]) throw invalid(`${where}.${k}`, `unknown option (known: ${Object.keys(map).join(', ')})`);
    out[map[k]] = v;
  }
  return out;
}
