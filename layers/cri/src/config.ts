// strata-cri's configuration: a TOML file (--config), then command-line flags over it, in the
// spirit of CRI-O (crio.conf + flags of the same names). Every key is optional:
//
//   listen = "/run/strata-cri/strata-cri.sock"      # the CRI socket (root-only)
//   root = "/var/lib/strata-cri"                     # persistent state (pods, containers)
//   runroot = "/run/strata-cri"                      # volatile state (FIFOs, per-boot files)
//   manager_address = "/run/strata-manager/strata-manager.sock"   # or containerd's socket
//   runtime = "io.containerd.strata.v2"              # manager runtime of the default handler
//   pause_image = "strata.local/busybox:latest"
//   snapshotter = "overlayfs"
//   snapshotter_root = "/var/lib/strata-manager/io.containerd.snapshotter.v1.overlayfs"
//   log_level = "info"                               # debug | info | warn | error
//   log_format = "text"                              # text | json
//   [runtime_handlers]                               # RuntimeClass handler -> manager runtime
//     runc = "io.containerd.runc.v2"
//   [cni]
//     conf_dir = "/etc/cni/net.d"
//     bin_dirs = ["/usr/lib/cni", "/opt/cni/bin"]
//   [stream]
//     address = "127.0.0.1"
//     port = 0                                       # 0 = any free port
//   [registry]
//     insecure = ["myregistry.local:5000"]
//     offline = false                                # true: a mirrored registry is never
//                                                    # contacted itself (mirrors only)
//   [registry.mirrors."registry.k8s.io"]
//     endpoint = ["http://127.0.0.1:5000"]
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'smol-toml';
import { CriError } from './runtime/errors';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** strata-cri's version (Version's runtime_version, `strata-cri --version`). */
export const VERSION = '0.1.0';

export interface CriConfig {
  listen: string;
  root: string;
  runroot: string;
  managerAddress: string;
  runtime: string;
  runtimeHandlers: Record<string, string>;
  pauseImage: string;
  snapshotter: string;
  snapshotterRoot?: string;
  cniConfDir: string;
  cniBinDirs: string[];
  streamAddress: string;
  streamPort: number;
  mirrors: Record<string, string[]>;
  insecureRegistries: string[];
  /** Mirrors only: never fall back to a mirrored registry itself (an air-gapped node). */
  registryOffline: boolean;
  logLevel: LogLevel;
  logFormat: 'text' | 'json';
}

/** The manager namespace the CRI works in (containerd's CRI plugin uses the same). */
export const CRI_NAMESPACE = 'k8s.io';

export const DEFAULTS: CriConfig = {
  listen: '/run/strata-cri/strata-cri.sock',
  root: '/var/lib/strata-cri',
  runroot: '/run/strata-cri',
  managerAddress: '/run/strata-manager/strata-manager.sock',
  runtime: 'io.containerd.strata.v2',
  runtimeHandlers: { runc: 'io.containerd.runc.v2', strata: 'io.containerd.strata.v2' },
  pauseImage: 'strata.local/busybox:latest',
  snapshotter: 'overlayfs',
  cniConfDir: '/etc/cni/net.d',
  cniBinDirs: ['/usr/lib/cni', '/opt/cni/bin'],
  streamAddress: '127.0.0.1',
  streamPort: 0,
  mirrors: {},
  insecureRegistries: [],
  registryOffline: false,
  logLevel: 'info',
  logFormat: 'text',
};

/** A configuration error: names the key or flag. */
export const configError = (field: string, why: string) => new CriError('INVALID_ARGUMENT', `${field}: ${why}`);

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

export function normalizeLevel(v: string, field: string): LogLevel {
  const l = (v === 'warning' ? 'warn' : v) as LogLevel;
  if (!LEVELS.includes(l)) throw configError(field, `must be one of debug, info, warn, error (got ${JSON.stringify(v)})`);
  return l;
}

function str(doc: Record<string, unknown>, key: string, field = key): string | undefined {
  const v = doc[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v) throw configError(field, 'must be a non-empty string');
  return v;
}

function strList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x)) throw configError(field, 'must be a list of non-empty strings');
  return v as string[];
}

function absPath(v: string, field: string): string {
  if (!path.isAbsolute(v)) throw configError(field, `must be an absolute path (got ${JSON.stringify(v)})`);
  return path.normalize(v);
}

const KNOWN = new Set(['listen', 'root', 'runroot', 'manager_address', 'runtime', 'pause_image', 'snapshotter', 'snapshotter_root', 'log_level', 'log_format', 'runtime_handlers', 'cni', 'stream', 'registry']);

/** Read a TOML file into a configuration (defaults for what it leaves out). */
export function loadConfig(file?: string): CriConfig {
  const c: CriConfig = structuredClone(DEFAULTS);
  if (!file) return c;
  let doc: Record<string, unknown>;
  try {
    doc = parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw configError(`--config ${file}`, (e as Error).message.split('\n')[0]);
  }
  for (const k of Object.keys(doc)) if (!KNOWN.has(k)) throw configError(`${file}: ${k}`, 'unknown key');
  const s = (k: string) => str(doc, k);
  if (s('listen')) c.listen = absPath(s('listen')!, 'listen');
  if (s('root')) c.root = absPath(s('root')!, 'root');
  if (s('runroot')) c.runroot = absPath(s('runroot')!, 'runroot');
  if (s('manager_address')) c.managerAddress = s('manager_address')!;
  if (s('runtime')) c.runtime = s('runtime')!;
  if (s('pause_image')) c.pauseImage = s('pause_image')!;
  if (s('snapshotter')) c.snapshotter = s('snapshotter')!;
  if (s('snapshotter_root')) c.snapshotterRoot = absPath(s('snapshotter_root')!, 'snapshotter_root');
  if (s('log_level')) c.logLevel = normalizeLevel(s('log_level')!, 'log_level');
  if (s('log_format')) c.logFormat = logFormat(s('log_format')!, 'log_format');
  const handlers = doc.runtime_handlers as Record<string, unknown> | undefined;
  for (const [h, v] of Object.entries(handlers ?? {})) c.runtimeHandlers[h] = str({ v }, 'v', `runtime_handlers.${h}`)!;
  const cni = (doc.cni ?? {}) as Record<string, unknown>;
  if (cni.conf_dir !== undefined) c.cniConfDir = absPath(str(cni, 'conf_dir', 'cni.conf_dir')!, 'cni.conf_dir');
  if (cni.bin_dirs !== undefined) c.cniBinDirs = strList(cni.bin_dirs, 'cni.bin_dirs').map((d) => absPath(d, 'cni.bin_dirs'));
  const stream = (doc.stream ?? {}) as Record<string, unknown>;
  if (stream.address !== undefined) c.streamAddress = str(stream, 'address', 'stream.address')!;
  if (stream.port !== undefined) c.streamPort = port(stream.port, 'stream.port');
  const reg = (doc.registry ?? {}) as Record<string, unknown>;
  if (reg.insecure !== undefined) c.insecureRegistries = strList(reg.insecure, 'registry.insecure');
  if (reg.offline !== undefined) {
    if (typeof reg.offline !== 'boolean') throw configError('registry.offline', 'must be true or false');
    c.registryOffline = reg.offline;
  }
  for (const [host, m] of Object.entries((reg.mirrors ?? {}) as Record<string, { endpoint?: unknown }>)) {
    c.mirrors[host] = strList(m?.endpoint, `registry.mirrors."${host}".endpoint`).map((u) => mirrorUrl(u, `registry.mirrors."${host}".endpoint`));
  }
  return c;
}

export function logFormat(v: string, field: string): 'text' | 'json' {
  if (v !== 'text' && v !== 'json') throw configError(field, `must be "text" or "json" (got ${JSON.stringify(v)})`);
  return v;
}

export function port(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) throw configError(field, `must be a port number 0-65535 (got ${JSON.stringify(v)})`);
  return n;
}

function mirrorUrl(u: string, field: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw configError(field, `${JSON.stringify(u)} is not a URL (want e.g. http://127.0.0.1:5000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw configError(field, `${u}: only http and https mirrors are supported`);
  return u;
}

/** --registry-mirror HOST=URL (repeatable; several URLs for one host are tried in order). */
export function addMirror(c: CriConfig, spec: string): void {
  const eq = spec.indexOf('=');
  if (eq <= 0 || eq === spec.length - 1) throw configError('--registry-mirror', `want HOST=URL, e.g. registry.k8s.io=http://127.0.0.1:5000 (got ${JSON.stringify(spec)})`);
  const host = spec.slice(0, eq);
  if (!/^[a-zA-Z0-9.-]+(:\d+)?$/.test(host)) throw configError('--registry-mirror', `${JSON.stringify(host)} is not a registry host[:port]`);
  (c.mirrors[host] ??= []).push(mirrorUrl(spec.slice(eq + 1), '--registry-mirror'));
}

/** The effective configuration as TOML (the file format --config reads). */
export function configToml(c: CriConfig): string {
  const doc: Record<string, unknown> = {
    listen: c.listen,
    root: c.root,
    runroot: c.runroot,
    manager_address: c.managerAddress,
    runtime: c.runtime,
    pause_image: c.pauseImage,
    snapshotter: c.snapshotter,
    ...(c.snapshotterRoot ? { snapshotter_root: c.snapshotterRoot } : {}),
    log_level: c.logLevel,
    log_format: c.logFormat,
    runtime_handlers: c.runtimeHandlers,
    cni: { conf_dir: c.cniConfDir, bin_dirs: c.cniBinDirs },
    stream: { address: c.streamAddress, port: c.streamPort },
    registry: { insecure: c.insecureRegistries, offline: c.registryOffline, mirrors: Object.fromEntries(Object.entries(c.mirrors).map(([h, e]) => [h, { endpoint: e }])) },
  };
  return `${stringify(doc)}\n`;
}
