// containerd's filter language (filters/parser.go), used by every List call and by event
// subscriptions: `ctr c ls labels.app==web`, `ctr events 'topic~="/tasks/.*"'`.
//
//   selectors := selector ("," selector)*      all must match (AND)
//   selector  := fieldpath [op value]           op is == != ~=  (no op: the field is present)
//   fieldpath := field ("." field)*             field is a name or a "quoted string"
// Several filter strings given to one call are ORed.
import { invalid } from './errors';

type Op = '==' | '!=' | '~=' | 'present';
interface Selector {
  path: string[];
  op: Op;
  value: string;
  re?: RegExp;
}
/** Look up a field path on an object ("labels", "app") -> value or undefined. */
export type Adaptor = (path: string[]) => string | undefined;
export type Filter = (get: Adaptor) => boolean;

function readQuoted(s: string, i: number): [string, number] {
  const q = s[i];
  let j = i + 1;
  let out = '';
  for (; j < s.length && s[j] !== q; j++) {
    if (s[j] === '\\' && j + 1 < s.length) {
      j++;
      out += { n: '\n', t: '\t', '"': '"', "'": "'", '\\': '\\' }[s[j]] ?? `\\${s[j]}`;
    } else out += s[j];
  }
  if (j >= s.length) throw invalid('filter', `unterminated quoted string in ${JSON.stringify(s)}`);
  return [out, j + 1];
}

function parseOne(s: string): Selector[] {
  const sels: Selector[] = [];
  let i = 0;
  const skipWs = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  while (i < s.length) {
    skipWs();
    const path: string[] = [];
    for (;;) {
      skipWs();
      if (s[i] === '"' || s[i] === '`') {
        const [v, j] = readQuoted(s, i);
        path.push(v);
        i = j;
      } else {
        const m = /^[A-Za-z][A-Za-z0-9_]*/.exec(s.slice(i));
        if (!m) throw invalid('filter', `expected a field name at offset ${i} of ${JSON.stringify(s)}`);
        path.push(m[0]);
        i += m[0].length;
      }
      if (s[i] === '.') i++;
      else break;
    }
    skipWs();
    let op: Op = 'present';
    let value = '';
    const o = s.slice(i, i + 2);
    if (o === '==' || o === '!=' || o === '~=') {
      op = o;
      i += 2;
      skipWs();
      if (s[i] === '"' || s[i] === '`') {
        const [v, j] = readQuoted(s, i);
        value = v;
        i = j;
      } else {
        const m = /^[^\s,]+/.exec(s.slice(i));
        if (!m) throw invalid('filter', `expected a value after ${op} in ${JSON.stringify(s)}`);
        value = m[0];
        i += m[0].length;
      }
    }
    let re: RegExp | undefined;
    if (op === '~=') {
      try {
        re = new RegExp(value);
      } catch (e) {
        throw invalid('filter', `bad regular expression ${JSON.stringify(value)}: ${(e as Error).message}`);
      }
    }
    sels.push({ path, op, value, re });
    skipWs();
    if (i < s.length) {
      if (s[i] !== ',') throw invalid('filter', `expected "," at offset ${i} of ${JSON.stringify(s)}`);
      i++;
    }
  }
  return sels;
}

/** Parse filter strings (ORed); no filters (or only empty ones) match everything. */
export function parseFilters(filters: string[] = []): Filter {
  const alts = filters.filter((f) => f !== '').map(parseOne);
  if (alts.length === 0) return () => true;
  return (get) =>
    alts.some((sels) =>
      sels.every((sel) => {
        const v = get(sel.path);
        switch (sel.op) {
          case 'present':
            return v !== undefined;
          case '==':
            return v === sel.value;
          case '!=':
            return v !== sel.value;
          case '~=':
            return v !== undefined && sel.re!.test(v);
        }
      }),
    );
}

/** An adaptor for a flat record plus a labels map: `id`, `name`, `labels.<key>`... */
export function recordAdaptor(fields: Record<string, string | undefined>, labels: Record<string, string> = {}): Adaptor {
  return (path) => {
    if (path[0] === 'labels') return path.length === 1 ? (Object.keys(labels).length ? '' : undefined) : labels[path.slice(1).join('.')];
    return path.length === 1 ? fields[path[0]] : undefined;
  };
}
