// OCI runtimes as dockerd names them. A container's runtime (`docker run --runtime NAME`,
// HostConfig.Runtime) is one of:
//   - a shim name, io.containerd.strata.v2 or io.containerd.runc.v2: that shim with its own
//     default OCI runtime binary (strata-runtime, runc);
//   - a name given with `--add-runtime NAME=PATH` (dockerd's flag; daemon.json "runtimes"): a
//     runc-compatible binary at PATH, driven by the default shim. The binary reaches the shim as
//     containerd.runc.v1.Options{binary_name: PATH} in the manager container's runtime options,
//     which is how dockerd tells containerd-shim-runc-v2 to use crun or another runtime.
// --default-runtime names the runtime of containers that ask for none (dockerd: "runc"); the shim
// for added runtimes is --default-shim, else the default runtime's shim.
import { EngineError, invalidParam } from './errors';

export const SHIMS = ['io.containerd.strata.v2', 'io.containerd.runc.v2'] as const;

export interface RuntimeChoice {
  /** The manager runtime (shim) name. */
  shim: string;
  /** The OCI runtime binary the shim should run, when not the shim's default. */
  binary?: string;
}

/** Type URL of containerd.runc.v1.Options (typeurl names a proto message by its full name). */
export const RUNC_OPTIONS_TYPE = 'containerd.runc.v1.Options';

/**
 * containerd.runc.v1.Options with only `string binary_name = 6;` set, in protobuf's wire format:
 * tag (6 << 3 | 2 = 0x32, a length-delimited field), the length as a varint, the UTF-8 bytes.
 */
export function runcOptionsAny(binaryName: string): { typeUrl: string; value: Uint8Array } {
  const bytes = Buffer.from(binaryName, 'utf8');
  const len: number[] = [];
  let n = bytes.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return { typeUrl: RUNC_OPTIONS_TYPE, value: new Uint8Array(Buffer.concat([Buffer.from([0x32, ...len]), bytes])) };
}

const RUNTIME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** One `--add-runtime NAME=PATH` value. */
export function parseAddRuntime(v: string): [string, string] {
  const eq = v.indexOf('=');
  const name = eq > 0 ? v.slice(0, eq) : '';
  const p = eq > 0 ? v.slice(eq + 1) : '';
  if (!name || !p) throw invalidParam(`invalid --add-runtime ${JSON.stringify(v)}: expected NAME=PATH`);
  if (!RUNTIME_NAME.test(name)) throw invalidParam(`invalid --add-runtime name ${JSON.stringify(name)}: letters, digits, _ . - only`);
  if ((SHIMS as readonly string[]).includes(name)) throw invalidParam(`--add-runtime ${name}: the name is a shim's, pick another`);
  if (!p.startsWith('/')) throw invalidParam(`invalid --add-runtime ${name}: the path must be absolute, got ${JSON.stringify(p)}`);
  return [name, p];
}

export class Runtimes {
  constructor(
    /** --add-runtime: name -> binary path. */
    readonly added: Record<string, string>,
    /** --default-runtime: a shim name or an added name. */
    readonly defaultRuntime: string,
    /** --default-shim: the shim of added runtimes (default: the default runtime's shim, else strata's). */
    readonly defaultShim: string,
  ) {
    if (!this.names().includes(defaultRuntime)) throw invalidParam(`invalid --default-runtime ${JSON.stringify(defaultRuntime)}: one of ${this.names().join(', ')}`);
    if (!(SHIMS as readonly string[]).includes(defaultShim)) throw invalidParam(`invalid --default-shim ${JSON.stringify(defaultShim)}: one of ${SHIMS.join(', ')}`);
  }

  names(): string[] {
    return [...SHIMS, ...Object.keys(this.added)];
  }

  /** The shim and binary of a runtime name; 400 "Unknown runtime specified NAME" as dockerd says. */
  resolve(name: string | undefined): RuntimeChoice {
    const n = name || this.defaultRuntime;
    if ((SHIMS as readonly string[]).includes(n)) return { shim: n };
    const binary = this.added[n];
    if (!binary) throw new EngineError('invalid', `Unknown runtime specified ${n}`);
    return { shim: this.defaultShim, binary };
  }

  /** docker info's Runtimes: {name: {path} | {runtimeType}}. */
  info(): Record<string, { path?: string; runtimeType?: string }> {
    const out: Record<string, { path?: string; runtimeType?: string }> = {};
    for (const s of SHIMS) out[s] = { runtimeType: s };
    for (const [n, p] of Object.entries(this.added)) out[n] = { path: p, runtimeType: this.defaultShim };
    return out;
  }
}
