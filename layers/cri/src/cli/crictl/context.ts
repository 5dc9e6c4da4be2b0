// What every strata-crictl command gets: the client, the output streams, the global timeout.
import fs from 'node:fs';
import { CriClient } from './client';
import { UsageError } from './args';
import { parseJsonAs } from '../../api/json';

export interface Ctx {
  client: CriClient;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  timeoutMs: number;
  /** The process's exit code after the command (exec -s passes the command's through). */
  exitCode: number;
}

/**
 * Read a crictl config file (pod or container). crictl takes JSON or YAML; strata-crictl reads
 * JSON only (YAML would need a parser dependency), and says so.
 */
export function readConfig(file: string, message: 'PodSandboxConfig' | 'ContainerConfig'): any {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message}); strata-crictl reads JSON configs only, not YAML`);
  }
  try {
    return parseJsonAs(message, doc, file);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Parse "k=v" label selectors (--label, repeatable). */
export function labels(list: string[] | undefined, flag = '--label'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list ?? []) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} ${l}: want key=value`);
    out[l.slice(0, eq)] = l.slice(eq + 1);
  }
  return out;
}

export function output(v: unknown, allowed: string[], flag = '--output'): string {
  const o = (v as string | undefined) ?? allowed[0];
  if (!allowed.includes(o)) throw new UsageError(`${flag}: unsupported output format "${o}" (strata-crictl supports ${allowed.join(', ')})`);
  return o;
}

/** Parse the JSON documents a runtime puts into a verbose answer's info map (crictl shows them parsed). */
export function parsedInfo(info: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info ?? {})) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}
