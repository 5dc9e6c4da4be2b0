// What the suite learns about the runtime under test before running it: its version line and,
// if it implements features.md, its Features document (used to skip what it declares unsupported).
import fs from 'node:fs';
import path from 'node:path';
import { spawnBounded } from './spawnBounded';
import { hybridCgroupWrapper } from './wrappers';

export type WrapperName = 'hybrid-cgroup';
export const WRAPPERS: WrapperName[] = ['hybrid-cgroup'];

export interface RuntimeSpecifier {
  /** Display name (e.g. "runc", "crun+hybrid-cgroup"). */
  name: string;
  /** The runtime binary as given (name on PATH or path). */
  runtime: string;
  wrapper?: WrapperName;
}

export interface RuntimeInfo {
  name: string;
  /** Absolute path of the runtime binary. */
  path: string;
  /** The executable the suite calls: the runtime itself or the generated wrapper. */
  invoke: string;
  wrapper?: WrapperName;
  /** The wrapper's script text, shown in reports so the workaround is never hidden. */
  wrapperScript?: string;
  version: string;
  /** Parsed `features` output, or undefined if the runtime has no such command. */
  features?: Record<string, unknown>;
  featuresRaw?: { code: number | null; stdout: string; stderr: string };
}

/** `--compare runc,crun:hybrid-cgroup` entries: NAME[:WRAPPER]. */
export function parseRuntimeSpecifier(text: string, defaultWrapper?: WrapperName): RuntimeSpecifier {
  const [runtime, wrapper] = text.split(':');
  if (!runtime) throw new Error(`empty runtime name in ${JSON.stringify(text)}`);
  const w = (wrapper ?? defaultWrapper) as WrapperName | undefined;
  if (w !== undefined && !WRAPPERS.includes(w)) throw new Error(`unknown wrapper ${JSON.stringify(w)} (known: ${WRAPPERS.join(', ')})`);
  return { name: w ? `${path.basename(runtime)}+${w}` : path.basename(runtime), runtime, wrapper: w };
}

export function resolveOnPath(bin: string): string | undefined {
  if (bin.includes('/')) return fs.existsSync(bin) ? path.resolve(bin) : undefined;
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir || '.', bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}

export async function probeRuntime(spec: RuntimeSpecifier, workDir: string): Promise<RuntimeInfo> {
  const bin = resolveOnPath(spec.runtime);
  if (!bin) throw new Error(`runtime ${JSON.stringify(spec.runtime)} not found (give a path or put it on PATH)`);
  let invoke = bin;
  let wrapperScript: string | undefined;
  if (spec.wrapper === 'hybrid-cgroup') {
    wrapperScript = hybridCgroupWrapper(bin);
    invoke = path.join(workDir, `${path.basename(bin)}-hybrid-cgroup.sh`);
    fs.writeFileSync(invoke, wrapperScript, { mode: 0o755 });
  }
  const v = await spawnBounded(invoke, ['--version'], { timeoutMs: 10_000 });
  const version = (v.stdout || v.stderr).trim().split('\n').slice(0, 2).join('; ') || 'unknown';
  const f = await spawnBounded(invoke, ['features'], { timeoutMs: 10_000 });
  let features: Record<string, unknown> | undefined;
  if (f.code === 0) {
    try {
      features = JSON.parse(f.stdout) as Record<string, unknown>;
    } catch {
      features = undefined;
    }
  }
  return {
    name: spec.name,
    path: bin,
    invoke,
    wrapper: spec.wrapper,
    wrapperScript,
    version,
    features,
    featuresRaw: { code: f.code, stdout: f.stdout, stderr: f.stderr },
  };
}

/** A list in the runtime's features document (features.md), e.g. ['linux', 'namespaces']. */
export function featureList(info: RuntimeInfo, keys: string[]): string[] | undefined {
  let v: unknown = info.features;
  for (const k of keys) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return Array.isArray(v) ? (v as string[]) : undefined;
}

/**
 * Skip when the runtime's features document exists and says it does not support `value`:
 * features.md is how a runtime declares what it implements, so the suite honours it (and the
 * skip reason says so). Without a features document the test runs.
 */
export function declaredInFeatures(keys: string[], value: string) {
  return (_h: unknown, info: RuntimeInfo): string | undefined => {
    const list = featureList(info, keys);
    return list && !list.includes(value) ? `the runtime's features document does not list ${JSON.stringify(value)} in ${keys.join('.')}` : undefined;
  };
}
