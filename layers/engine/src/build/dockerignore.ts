// .dockerignore (docker build reference), one implementation for both sides: the strata CLI
// leaves excluded files out of the context it sends, the builder applies the file again to a context
// that arrives whole (from any client). one pattern per line, Go filepath.Match globs plus "**"
// for any number of directories, "!" re-includes, later lines win, paths are relative to the
// context root with leading "/" and "./" ignored. A directory that is excluded is still walked when
// an exception pattern could match something inside it.
export interface IgnoreRule {
  negate: boolean;
  re: RegExp;
  pattern: string;
}

function globToRegExp(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*') {
      if (p[i + 1] === '*') {
        // "**/" matches zero or more directories; a trailing "**" anything.
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const j = p.indexOf(']', i);
      if (j < 0) re += '\\[';
      else {
        re += `[${p.slice(i + 1, j).replace(/^\^|^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = j;
      }
    } else if (c === '\\' && i + 1 < p.length) re += `\\${p[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  // A pattern matching a directory also excludes everything below it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (let line of text.split(/\r?\n/)) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    let p = line.replace(/^\.\/|^\/+/, '');
    p = p.replace(/\/+$/, '').replace(/\/\.\//g, '/');
    if (!p || p === '.') continue;
    rules.push({ negate, re: globToRegExp(p), pattern: p });
  }
  return rules;
}

export function isExcluded(rel: string, rules: IgnoreRule[]): boolean {
  let excluded = false;
  for (const r of rules) if (r.re.test(rel)) excluded = !r.negate;
  return excluded;
}

/** Should a walk descend into an excluded directory? Only if some "!" rule could match below it. */
export function mayContainExceptions(dir: string, rules: IgnoreRule[]): boolean {
  return rules.some((r) => r.negate && (r.pattern.startsWith(`${dir}/`) || r.pattern.includes('*')));
}
