// Which OCI runtime the shim drives, and how: the options containerd passes in
// CreateTaskRequest.options (and to `start` on stdin). Two shapes arrive:
//   - containerd.runc.v1.Options, for runtime io.containerd.runc.v2 (ctr --runc-binary, CRI
//     runc runtimes): binary_name, root, systemd_cgroup, shim_cgroup, ...;
//   - runtimeoptions.v1.Options, for any other runtime type (ctr --runtime-config-path FILE, CRI
//     with `ConfigPath`): a TOML file (or inline body) with the same settings under runc's Go
//     names, e.g.  BinaryName = "runc"  and  Root = "/run/containerd/runc".
import fs from 'node:fs';
import { anyTypeName, decode, RuncOptionsType, RuntimeOptionsType, type Any } from './proto';
import { ShimError } from './errors';

export interface RuntimeOptions {
  binaryName?: string;
  root?: string;
  systemdCgroup?: boolean;
  noPivotRoot?: boolean;
  noNewKeyring?: boolean;
  shimCgroup?: string;
  /** criu_path: the CRIU binary the runtime should use (runtime --criu). */
  criuPath?: string;
  /** criu_image_path / criu_work_path: runc shim's defaults for checkpoints. */
  criuImagePath?: string;
  criuWorkPath?: string;
}

/** The settings a runtime config file may hold: TOML key (runc Options' Go name) -> our field. */
const CONFIG_KEYS: Record<string, { field: keyof RuntimeOptions; type: 'string' | 'boolean' }> = {
  BinaryName: { field: 'binaryName', type: 'string' },
  Root: { field: 'root', type: 'string' },
  SystemdCgroup: { field: 'systemdCgroup', type: 'boolean' },
  NoPivotRoot: { field: 'noPivotRoot', type: 'boolean' },
  NoNewKeyring: { field: 'noNewKeyring', type: 'boolean' },
  ShimCgroup: { field: 'shimCgroup', type: 'string' },
  CriuPath: { field: 'criuPath', type: 'string' },
  CriuImagePath: { field: 'criuImagePath', type: 'string' },
  CriuWorkPath: { field: 'criuWorkPath', type: 'string' },
};

export function runtimeOptions(a: Any | undefined): RuntimeOptions | undefined {
  if (!a || a.value.length === 0) return undefined;
  const name = anyTypeName(a);
  if (name === 'containerd.runc.v1.Options') {
    const o = decode(RuncOptionsType, a.value);
    return { binaryName: o.binaryName || undefined, root: o.root || undefined, systemdCgroup: o.systemdCgroup, noPivotRoot: o.noPivotRoot, noNewKeyring: o.noNewKeyring, shimCgroup: o.shimCgroup || undefined, criuPath: o.criuPath || undefined, criuImagePath: o.criuImagePath || undefined, criuWorkPath: o.criuWorkPath || undefined };
  }
  // runctypes.RuncOptions (containerd's v1 runtime) numbers its fields differently: reading it as
  // Options would misplace them, and it only ever names runc itself. Use the defaults.
  if (name === 'containerd.linux.runc.RuncOptions') return undefined;
  if (name === 'runtimeoptions.v1.Options') {
    const o = decode(RuntimeOptionsType, a.value);
    if (o.configBody.length > 0) return parseRuntimeConfig(new TextDecoder().decode(o.configBody), 'options.config_body');
    if (!o.configPath) return undefined;
    let text: string;
    try {
      text = fs.readFileSync(o.configPath, 'utf8');
    } catch (e) {
      throw new ShimError('INVALID_ARGUMENT', `options.config_path: cannot read ${o.configPath}: ${(e as Error).message}`);
    }
    return parseRuntimeConfig(text, o.configPath);
  }
  throw new ShimError('INVALID_ARGUMENT', `options: unsupported type ${a.typeUrl} (expected containerd.runc.v1.Options or runtimeoptions.v1.Options)`);
}

/**
 * The small part of TOML a runtime config needs: `Key = "string"`, `Key = true|false`, comments
 * and blank lines. Anything else is an error that names the file, line and key.
 */
export function parseRuntimeConfig(text: string, source: string): RuntimeOptions {
  const out: RuntimeOptions = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*(#.*)?$/.exec(line);
    if (!m) throw new ShimError('INVALID_ARGUMENT', `${where}: expected Key = value, got ${JSON.stringify(line)}`);
    const [, key, value] = m;
    const spec = CONFIG_KEYS[key];
    if (!spec) throw new ShimError('INVALID_ARGUMENT', `${where}: unknown key ${key} (known: ${Object.keys(CONFIG_KEYS).join(', ')})`);
    if (spec.type === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new ShimError('INVALID_ARGUMENT', `${where}: ${key} must be true or false`);
      (out as Record<string, unknown>)[spec.field] = value === 'true';
    } else {
      const s = /^"((?:[^"\\]|\\.)*)"$/.exec(value) ?? /^'([^']*)'$/.exec(value);
      if (!s) throw new ShimError('INVALID_ARGUMENT', `${where}: ${key} must be a quoted string`);
      (out as Record<string, unknown>)[spec.field] = value.startsWith('"') ? JSON.parse(`"${s[1]}"`) : s[1];
    }
  });
  return out;
}
