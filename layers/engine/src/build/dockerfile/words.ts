// Variable substitution and word splitting in Dockerfile arguments (docker's shell_lex): what a
// POSIX shell would do with quotes and $VARIABLES, without running a shell. Used for the
// instructions docker substitutes in (FROM, ADD, COPY, ENV, EXPOSE, LABEL, STOPSIGNAL, USER,
// VOLUME, WORKDIR, ARG); RUN, CMD and ENTRYPOINT are left to the container's shell.
//
//   'single'      literal
//   "double"      $VARS expanded; escape + one of " $ escape is that character
//   escape + c    c (the escape character is \ or the one set by "# escape=`")
//   $VAR ${VAR}   the value, or "" when unset
//   ${VAR:-w}     w when VAR is unset or empty      ${VAR-w}  w when VAR is unset
//   ${VAR:+w}     w when VAR is set and not empty   ${VAR+w}  w when VAR is set
//   ${VAR:?msg}   error when unset or empty         ${VAR?msg} error when unset
// Unquoted expansions are split on whitespace into several words, as a shell does.
export type Lookup = (name: string) => string | undefined;

export class SubstitutionError extends Error {}

const NAME = /[A-Za-z0-9_]/;

class Scanner {
  i = 0;
  constructor(
    readonly text: string,
    readonly lookup: Lookup,
    readonly escape: string,
  ) {}

  /** Process the whole text; with split, unquoted whitespace separates words. */
  run(split: boolean, stopAt?: string): string[] {
    const words: string[] = [];
    let cur = '';
    let has = false;
    const t = this.text;
    const flush = () => {
      if (has) words.push(cur);
      cur = '';
      has = false;
    };
    while (this.i < t.length) {
      const c = t[this.i];
      if (stopAt && c === stopAt) break;
      if (c === this.escape) {
        if (this.i + 1 < t.length) cur += t[this.i + 1];
        else cur += c;
        this.i += 2;
        has = true;
      } else if (c === "'") {
        const end = t.indexOf("'", this.i + 1);
        if (end === -1) throw new SubstitutionError(`unexpected end of statement while looking for matching single-quote in ${JSON.stringify(t)}`);
        cur += t.slice(this.i + 1, end);
        this.i = end + 1;
        has = true;
      } else if (c === '"') {
        cur += this.doubleQuoted();
        has = true;
      } else if (c === '$') {
        const v = this.variable();
        if (!split) {
          cur += v;
          has ||= v !== '';
        } else {
          // word splitting of an unquoted expansion
          const parts = v.split(/[ \t\n]+/);
          for (let k = 0; k < parts.length; k++) {
            if (k > 0) flush();
            cur += parts[k];
            has ||= parts[k] !== '';
          }
        }
      } else if (split && (c === ' ' || c === '\t' || c === '\n')) {
        flush();
        this.i++;
      } else {
        cur += c;
        has = true;
        this.i++;
      }
    }
    if (!split) return [cur];
    flush();
    return words;
  }

  private doubleQuoted(): string {
    const t = this.text;
    let out = '';
    this.i++; // opening quote
    while (this.i < t.length) {
      const c = t[this.i];
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === this.escape && this.i + 1 < t.length && ['"', '$', this.escape].includes(t[this.i + 1])) {
        out += t[this.i + 1];
        this.i += 2;
      } else if (c === '$') out += this.variable();
      else {
        out += c;
        this.i++;
      }
    }
    throw new SubstitutionError(`unexpected end of statement while looking for matching double-quote in ${JSON.stringify(t)}`);
  }

  /** At a "$": the expansion ("$" itself when no name follows). */
  private variable(): string {
    const t = this.text;
    this.i++; // $
    if (t[this.i] !== '{') {
      let name = '';
      while (this.i < t.length && NAME.test(t[this.i])) name += t[this.i++];
      return name === '' ? '$' : (this.lookup(name) ?? '');
    }
    this.i++; // {
    let name = '';
    while (this.i < t.length && NAME.test(t[this.i])) name += t[this.i++];
    if (name === '') throw new SubstitutionError(`bad substitution in ${JSON.stringify(t)}: missing variable name after \${`);
    if (t[this.i] === '}') {
      this.i++;
      return this.lookup(name) ?? '';
    }
    let colon = false;
    if (t[this.i] === ':') {
      colon = true;
      this.i++;
    }
    const op = t[this.i];
    if (op !== '-' && op !== '+' && op !== '?') throw new SubstitutionError(`unsupported modifier (${colon ? ':' : ''}${op ?? 'end of text'}) in substitution of ${name} in ${JSON.stringify(t)}`);
    this.i++;
    const inner = new Scanner(t, this.lookup, this.escape);
    inner.i = this.i;
    const word = inner.run(false, '}')[0];
    if (t[inner.i] !== '}') throw new SubstitutionError(`missing '}' in substitution of ${name} in ${JSON.stringify(t)}`);
    this.i = inner.i + 1;
    const value = this.lookup(name);
    const unset = value === undefined || (colon && value === '');
    switch (op) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      default:
        if (unset) throw new SubstitutionError(`${name}: ${word || (colon ? 'is not allowed to be empty' : 'is not set')}`);
        return value!;
    }
  }
}

/** One word: quotes removed, variables expanded, whitespace kept. */
export const expandWord = (text: string, lookup: Lookup, escape = '\\'): string => new Scanner(text, lookup, escape).run(false)[0];

/** Several words: split on unquoted whitespace (also inside unquoted expansions). */
export const expandWords = (text: string, lookup: Lookup, escape = '\\'): string[] => new Scanner(text, lookup, escape).run(true);

/**
 * Split on unquoted whitespace without expanding or unquoting anything: the raw words of
 * "ENV a="x y" b=c" are `a="x y"` and `b=c` (each is expanded later, on its own).
 */
export function rawWords(text: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escape && i + 1 < text.length && quote !== "'") {
      cur += c + text[++i];
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur += c;
    } else if (/\s/.test(c)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quote) throw new SubstitutionError(`unterminated ${quote === '"' ? 'double' : 'single'} quote in ${JSON.stringify(text)}`);
  if (cur) out.push(cur);
  return out;
}
