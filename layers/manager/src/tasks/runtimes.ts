// Which shim runs a task. containerd's rule (runtime/v2/manager.go): the runtime name
// "io.containerd.<name>.<version>" names the binary "containerd-shim-<name>-<version>", found
// next to the daemon's binary or on PATH; an absolute path names the binary itself. Choosing a
// runtime is configuration: the manager's TOML `[runtimes."<name>"]` tables may point a name at
// another shim binary and give default options (e.g. runc's BinaryName = "crun").
import fs from 'node:fs';
import path from 'node:path';
import { AnyType, encode, packAny, RuncOptionsType, type Any, type RuncOptions } from '@strata/shim/proto';
import { invalid, ManagerError } from '../errors';

export interface RuntimeConfig {
  /** Shim binary (absolute path or a name on PATH). Default: from the runtime name. */
  shim?: string;
  /** Default options for shims that take containerd.runc.v1.Options (runc's and ours). */
  options?: Partial<RuncOptions>;
}

/** The runtime a container gets when it names none. */
export const DEFAULT_RUNTIME = 'io.containerd.strata.v2';

export function shimBinaryName(runtime: string): string {
  const parts = runtime.split('.');
  // io.containerd.runc.v2 -> containerd-shim-runc-v2
  if (parts.length < 2 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw invalid('runtime.name', `${JSON.stringify(runtime)} is not a runtime name like io.containerd.runc.v2`);
  return `containerd-shim-${parts.slice(-2).join('-')}`;
}

export function resolveShim(runtime: string, runtimes: Record<string, RuntimeConfig>, searchDirs: string[] = []): string {
  const configured = runtimes[runtime]?.shim;
  const name = configured ?? (path.isAbsolute(runtime) ? runtime : shimBinaryName(runtime));
  if (path.isAbsolute(name)) {
    if (!isExecutable(name)) throw new ManagerError('NOT_FOUND', `runtime "${runtime}": shim binary ${name} not found or not executable`);
    return name;
  }
  const dirs = [...searchDirs, ...(process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (isExecutable(p)) return p;
  }
  throw new ManagerError('NOT_FOUND', `runtime "${runtime}" binary not installed "${name}": not found on PATH`);
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The options sent to the shim: the request's, else the container's, else the config's. */
export function runtimeOptions(runtime: string, runtimes: Record<string, RuntimeConfig>, ...given: (Any | undefined)[]): Any | undefined {
  for (const a of given) if (a && a.typeUrl) return a;
  const o = runtimes[runtime]?.options;
  return o ? packAny(RuncOptionsType, o) : undefined;
}

/** What containerd writes to the shim's `start` stdin: the options as a serialized Any, or nothing. */
export const encodeOptions = (a: Any | undefined): Uint8Array => (a ? encode(AnyType, a) : new Uint8Array());
