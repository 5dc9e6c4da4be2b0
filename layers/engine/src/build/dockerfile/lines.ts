// From Dockerfile text to logical lines, the first pass of docker's parser (moby/buildkit
// frontend/dockerfile/parser): parser directives at the very top ("# escape=`"), comment lines,
// and line continuations — a line ending in the escape character goes on with the next one.
// Each logical line remembers the physical line it started on: errors name that line.

export interface LogicalLine {
  /** 1-based number of the physical line the instruction starts on. */
  line: number;
  /** The instruction text, continuations joined (the escape+newline removed). */
  text: string;
}

export interface SplitResult {
  directives: Record<string, string>;
  escape: '\\' | '`';
  lines: LogicalLine[];
}

export class DockerfileError extends Error {
  /** HTTP status the engine answers with: a bad Dockerfile is the client's fault. */
  readonly status = 400;
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'DockerfileError';
  }
}

/** Known directives (Dockerfile reference, "Parser directives"); others are ignored like comments. */
const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check']);

export function splitLines(text: string, file = 'Dockerfile'): SplitResult {
  const physical = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const directives: Record<string, string> = {};
  let i = 0;
  // Directives must come first: the first blank line, comment or instruction ends them.
  for (; i < physical.length; i++) {
    const m = DIRECTIVE.exec(physical[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (!KNOWN_DIRECTIVES.has(key)) break; // an unknown directive is an ordinary comment
    if (key in directives) throw new DockerfileError(`${file}:${i + 1}: only one ${key} parser directive can be used`, i + 1);
    directives[key] = m[2];
  }
  const escape = directives.escape ?? '\\';
  if (escape !== '\\' && escape !== '`') throw new DockerfileError(`${file}: invalid escape token '${escape}' does not match ` + '` or \\', 1);

  const lines: LogicalLine[] = [];
  let cur: LogicalLine | undefined;
  for (; i < physical.length; i++) {
    const raw = physical[i];
    const trimmed = raw.trim();
    // Comment lines are dropped, also in the middle of a continued instruction; so are empty
    // lines inside a continuation (docker warns that this will become an error one day).
    if (trimmed.startsWith('#')) continue;
    if (trimmed === '') continue;
    const body = raw.replace(/\s+$/, '');
    // docker's rule is purely textual: a trailing escape character continues the line
    const continues = body.endsWith(escape);
    const part = continues ? body.slice(0, -1) : body;
    if (cur) cur.text += part;
    else cur = { line: i + 1, text: part.replace(/^\s+/, '') };
    if (!continues) {
      lines.push(cur);
      cur = undefined;
    }
  }
  // a continuation at the end of the file: the instruction ends there
  if (cur && cur.text.trim()) lines.push(cur);
  return { directives, escape, lines };
}

