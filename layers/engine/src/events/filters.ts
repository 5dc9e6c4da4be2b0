// docker's `filters` query parameter (api/types/filters): JSON, either the current form
// {"label":{"a=b":true}} or the legacy one {"label":["a=b"]}; read into key -> values.
import { invalidParam } from '../errors';

export function parseFiltersParam(raw: string | null): Record<string, string[]> {
  if (!raw) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch (e) {
    throw invalidParam(`invalid filters: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalidParam('invalid filters: want a JSON object of key -> values');
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object') out[k] = Object.entries(v).filter(([, on]) => on).map(([name]) => name);
    else throw invalidParam(`invalid filters: ${k} must be a list or a map of values`);
  }
  return out;
}

/** A filter that may hold only one of these values (e.g. dangling=true|false). */
export function boolFilter(filters: Record<string, string[]>, key: string): boolean | undefined {
  const vs = filters[key];
  if (!vs?.length) return undefined;
  const set = new Set(vs.map((v) => v.toLowerCase()));
  if (set.size > 1) throw invalidParam(`invalid filter '${key}': conflicting values ${vs.join(', ')}`);
  const v = [...set][0];
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw invalidParam(`invalid filter '${key}=${vs[0]}': want true or false`);
}

/** Reject keys the endpoint does not know (docker answers 400 "invalid filter 'x'"). */
export function checkFilterKeys(filters: Record<string, string[]>, allowed: string[]): void {
  for (const k of Object.keys(filters)) if (!allowed.includes(k)) throw invalidParam(`invalid filter '${k}'`);
}

/** label=key or label=key=value against a label map. */
export function matchLabels(labels: Record<string, string> | undefined, wanted: string[] | undefined): boolean {
  if (!wanted?.length) return true;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return !!labels && w in labels;
    return labels?.[w.slice(0, eq)] === w.slice(eq + 1);
  });
}
