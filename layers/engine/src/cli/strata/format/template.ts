// A subset of Go's text/template, enough for the docker CLI's --format flags:
//   {{.ID}} {{.State.Status}} {{json .}} {{json .Config.Labels}} {{index .Labels "k"}}
//   {{.Label "k"}} {{range .Mounts}}{{.Source}} {{end}} {{if .State.Running}}up{{else}}down{{end}}
//   {{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}} {{join .Args ","}} {{upper .Name}}
//   {{- trims whitespace before, -}} after; pipelines {{.Name | upper}}; (sub expressions).
// docker adds its own functions (cli/templates): json, join, lower, upper, title, split, pad,
// truncate, println; text/template's builtins used here: index, len, print(f/ln), eq, ne, not, and, or.
type Operand =
  | { kind: 'field'; base: string /* '.', '$' or '$name' */; path: string[] }
  | { kind: 'lit'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'sub'; pipe: Pipe };
type Pipe = { decl?: string[]; cmds: Operand[][] };
type Node = { type: 'text'; text: string } | { type: 'action'; pipe: Pipe } | { type: 'if' | 'range' | 'with'; pipe: Pipe; body: Node[]; elseBody: Node[] };

export class TemplateError extends Error {}

// ---- lexing: split into text and actions, honouring the trim markers
function actions(src: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start++;
    }
    out.push({ text });
    let close = -1;
    let quote = '';
    for (let j = start; j < src.length - 1; j++) {
      const c = src[j];
      if (quote) {
        if (c === '\\' && quote === '"') j++;
        else if (c === quote) quote = '';
      } else if (c === '"' || c === '`') quote = c;
      else if (c === '}' && src[j + 1] === '}') {
        close = j;
        break;
      }
    }
    if (close < 0) throw new TemplateError(`template: unclosed action`);
    let body = src.slice(start, close);
    i = close + 2;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^\s*/.exec(src.slice(i))!;
      i += m[0].length;
    }
    out.push({ action: body.trim() });
  }
  return out;
}

function tokens(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      out.push(s.slice(i, j + 1));
      i = j + 1;
    } else if (c === '`') {
      const j = s.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('template: unterminated raw string');
      out.push(s.slice(i, j + 1));
      i = j + 1;
    } else if ('|(),'.includes(c)) {
      out.push(c);
      i++;
    } else if (c === ':' && s[i + 1] === '=') {
      out.push(':=');
      i += 2;
    } else {
      let j = i;
      while (j < s.length && !/[\s|(),"`]/.test(s[j]) && !(s[j] === ':' && s[j + 1] === '=')) j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parsePipe(toks: string[], pos = { i: 0 }, inParen = false): Pipe {
  const pipe: Pipe = { cmds: [] };
  // `$k, $v :=` or `$v :=` declarations (range, with)
  const declEnd = toks.indexOf(':=', pos.i);
  if (!inParen && declEnd > 0 && toks.slice(pos.i, declEnd).every((t) => t === ',' || t.startsWith('$'))) {
    pipe.decl = toks.slice(pos.i, declEnd).filter((t) => t !== ',');
    pos.i = declEnd + 1;
  }
  let cmd: Operand[] = [];
  while (pos.i < toks.length) {
    const t = toks[pos.i++];
    if (t === ')') {
      if (!inParen) throw new TemplateError('template: unexpected ")"');
      break;
    }
    if (t === '|') {
      if (!cmd.length) throw new TemplateError('template: missing command before "|"');
      pipe.cmds.push(cmd);
      cmd = [];
    } else if (t === '(') cmd.push({ kind: 'sub', pipe: parsePipe(toks, pos, true) });
    else cmd.push(operand(t));
  }
  if (cmd.length) pipe.cmds.push(cmd);
  if (!pipe.cmds.length) throw new TemplateError('template: empty command');
  return pipe;
}

function operand(t: string): Operand {
  if (t.startsWith('"')) return { kind: 'lit', value: JSON.parse(t) };
  if (t.startsWith('`')) return { kind: 'lit', value: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: 'lit', value: Number(t) };
  if (t === 'true' || t === 'false') return { kind: 'lit', value: t === 'true' };
  if (t === 'nil') return { kind: 'lit', value: null };
  if (t.startsWith('.')) return { kind: 'field', base: '.', path: t === '.' ? [] : t.slice(1).split('.') };
  if (t.startsWith('$')) {
    const [base, ...path] = t.split('.');
    return { kind: 'field', base, path };
  }
  if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'ident', name: t };
  throw new TemplateError(`template: unexpected "${t}" in operand`);
}

export function parseTemplate(src: string): Node[] {
  const items = actions(src);
  let k = 0;
  const parseList = (stopAt: string[]): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (k < items.length) {
      const it = items[k++];
      if ('text' in it) {
        if (it.text) nodes.push({ type: 'text', text: it.text });
        continue;
      }
      const a = it.action;
      if (a.startsWith('/*')) continue;
      const word = a.split(/\s+/)[0];
      if (stopAt.includes(word)) return { nodes, stop: a };
      if (word === 'if' || word === 'range' || word === 'with') {
        nodes.push(parseBranches(word, a.slice(word.length)));
        continue;
      }
      if (word === 'end' || word === 'else') throw new TemplateError(`template: unexpected {{${word}}}`);
      nodes.push({ type: 'action', pipe: parsePipe(tokens(a)) });
    }
    if (stopAt.length) throw new TemplateError('template: unexpected EOF (missing {{end}})');
    return { nodes, stop: '' };
  };
  // {{else if X}} is an if nested in the else branch; the nested if consumes the shared {{end}}.
  const parseBranches = (word: 'if' | 'range' | 'with', pipeSrc: string): Node => {
    const pipe = parsePipe(tokens(pipeSrc));
    const body = parseList(['else', 'end']);
    let elseBody: Node[] = [];
    if (body.stop.startsWith('else')) {
      const rest = body.stop.slice(4).trim();
      elseBody = rest.startsWith('if ') ? [parseBranches('if', rest.slice(3))] : parseList(['end']).nodes;
    }
    return { type: word, pipe, body: body.nodes, elseBody };
  };
  return parseList([]).nodes;
}

// ---- evaluation
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    return `map[${Object.keys(v as object)
      .sort()
      .map((k) => `${k}:${goString((v as any)[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** encoding/json as Go writes it: HTML-sensitive characters escaped. */
export const goJson = (v: unknown): string =>
  (JSON.stringify(v === undefined ? null : v) ?? 'null')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    // events keep their 19-digit timeNano as a string so no digit is lost (stream.ts quoteTimeNano)
    .replace(/"timeNano":"(\d+)"/g, '"timeNano":$1');

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;

const truthy = (v: unknown): boolean => !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && !Array.isArray(v) && !Object.keys(v as object).length));

const FUNCS: Record<string, (...a: any[]) => unknown> = {
  // docker's template "json" encodes without HTML escaping (cli/templates: SetEscapeHTML(false));
  // only the whole-object "json" / "{{json .}}" formats go through json.Marshal (goJson).
  // The data came from JSON, which docker decodes into Go maps: json.Marshal sorts map keys.
  json: (v: unknown) => (JSON.stringify(sortKeys(v === undefined ? null : v)) ?? 'null').replace(/"timeNano":"(\d+)"/g, '"timeNano":$1'),
  join: (a: unknown[], sep: string) => (a ?? []).map(goString).join(sep),
  lower: (s: string) => goString(s).toLowerCase(),
  upper: (s: string) => goString(s).toUpperCase(),
  title: (s: string) => goString(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  split: (s: string, sep: string) => goString(s).split(sep),
  pad: (s: string, before: number, after: number) => ' '.repeat(before) + goString(s) + ' '.repeat(after),
  truncate: (s: string, n: number) => [...goString(s)].slice(0, n).join(''),
  println: (...a: unknown[]) => `${a.map(goString).join(' ')}\n`,
  print: (...a: unknown[]) => a.map(goString).join(''),
  printf: (f: string, ...a: unknown[]) => {
    let i = 0;
    return f.replace(/%[-+ #0-9.]*[svdqf%]/g, (m) => (m === '%%' ? '%' : m.endsWith('q') ? JSON.stringify(goString(a[i++])) : goString(a[i++])));
  },
  index: (v: any, ...keys: unknown[]) => keys.reduce((o: any, k) => (o == null ? undefined : o[k as any]), v),
  len: (v: any) => (v == null ? 0 : Array.isArray(v) || typeof v === 'string' ? v.length : Object.keys(v).length),
  eq: (a: unknown, ...b: unknown[]) => b.some((x) => x === a),
  ne: (a: unknown, b: unknown) => a !== b,
  not: (a: unknown) => !truthy(a),
  and: (...a: unknown[]) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a: unknown[]) => a.find(truthy) ?? a[a.length - 1],
};

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

function lookup(v: any, path: string[], args: unknown[] = []): unknown {
  let cur = v;
  for (let i = 0; i < path.length; i++) {
    if (cur == null) return undefined;
    let next = cur[path[i]];
    if (typeof next === 'function') next = i === path.length - 1 ? next.apply(cur, args) : next.call(cur);
    cur = next;
  }
  return cur;
}

function evalOperand(o: Operand, s: Scope): unknown {
  switch (o.kind) {
    case 'lit':
      return o.value;
    case 'sub':
      return evalPipe(o.pipe, s);
    case 'ident':
      if (!FUNCS[o.name]) throw new TemplateError(`template: function "${o.name}" not defined`);
      return FUNCS[o.name]();
    case 'field': {
      const base = o.base === '.' ? s.dot : s.vars.get(o.base);
      if (o.base !== '.' && !s.vars.has(o.base)) throw new TemplateError(`template: undefined variable "${o.base}"`);
      return lookup(base, o.path);
    }
  }
}

function evalCommand(cmd: Operand[], s: Scope, piped: unknown[]): unknown {
  const [head, ...rest] = cmd;
  if (head.kind === 'ident') {
    const fn = FUNCS[head.name];
    if (!fn) throw new TemplateError(`template: function "${head.name}" not defined`);
    return fn(...rest.map((r) => evalOperand(r, s)), ...piped);
  }
  if (head.kind === 'field' && (rest.length || piped.length)) {
    // A method with arguments, e.g. {{.Label "com.example"}}
    const base = head.base === '.' ? s.dot : s.vars.get(head.base);
    return lookup(base, head.path, [...rest.map((r) => evalOperand(r, s)), ...piped]);
  }
  if (rest.length) throw new TemplateError(`template: can't give argument to non-function`);
  return evalOperand(head, s);
}

function evalPipe(p: Pipe, s: Scope): unknown {
  let v: unknown;
  p.cmds.forEach((cmd, i) => {
    v = evalCommand(cmd, s, i === 0 ? [] : [v]);
  });
  return v;
}

function run(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    if (n.type === 'text') out.push(n.text);
    else if (n.type === 'action') {
      const v = evalPipe(n.pipe, s);
      if (!n.pipe.decl) out.push(goString(v));
      else s.vars.set(n.pipe.decl[0], v);
    } else if (n.type === 'if') run(truthy(evalPipe(n.pipe, s)) ? n.body : n.elseBody, s, out);
    else if (n.type === 'with') {
      const v = evalPipe(n.pipe, s);
      if (truthy(v)) run(n.body, { dot: v, vars: s.vars }, out);
      else run(n.elseBody, s, out);
    } else {
      const v = evalPipe({ cmds: n.pipe.cmds }, s);
      const entries: [unknown, unknown][] = Array.isArray(v)
        ? v.map((x, i) => [i, x])
        : v && typeof v === 'object'
          ? Object.keys(v)
              .sort()
              .map((k) => [k, (v as any)[k]])
          : [];
      if (!entries.length) run(n.elseBody, s, out);
      for (const [k, x] of entries) {
        const vars = new Map(s.vars);
        if (n.pipe.decl?.length === 2) {
          vars.set(n.pipe.decl[0], k);
          vars.set(n.pipe.decl[1], x);
        } else if (n.pipe.decl?.length === 1) vars.set(n.pipe.decl[0], x);
        run(n.body, { dot: x, vars }, out);
      }
    }
  }
}

export interface Template {
  execute(data: unknown): string;
}

export function compileTemplate(src: string): Template {
  const nodes = parseTemplate(src);
  return {
    execute(data) {
      const out: string[] = [];
      run(nodes, { dot: data, vars: new Map([['$', data]]) }, out);
      return out.join('');
    },
  };
}

/**
 * A docker --format value: "table" alone or "table <template>" prints a header row and aligns the
 * columns; "json" prints each item as a JSON line; anything else is a template per item.
 */
export interface FormatSpec {
  kind: 'table' | 'json' | 'template';
  template: string;
}

export function parseFormat(format: string | undefined, defaultTable: string): FormatSpec {
  if (!format || format === 'table') return { kind: 'table', template: defaultTable };
  if (format === 'json' || format.trim() === '{{json .}}') return { kind: 'json', template: '{{json .}}' };
  if (format.startsWith('table ')) return { kind: 'table', template: format.slice(6) };
  return { kind: 'template', template: format };
}

/** Unescape \t and \n written literally on a shell command line, as docker does for --format. */
export const unescapeFormat = (s: string): string => s.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
