// Comparing what a step printed with the lesson's `output` block.
//
// Each line is compared after trimming it and collapsing runs of spaces and tabs to one space
// (column alignment is not significant). Leading and trailing blank lines are ignored.
// A line that is exactly `...` matches any number of lines, including none. Inside a line these
// placeholders match the varying parts; all other text is literal:
//
//   <pid>      a process id (digits)              <n>     a number: -12, 3, 4.5
//   <hex>      hexadecimal digits                 <id>    a word of letters, digits, . _ -
//   <time>     an ISO 8601 date-time or hh:mm:ss  <path>  a path (no spaces)
//   <word>     anything without spaces            <any>   anything, possibly nothing
//   <scratch>  the lesson's $SCRATCH directory
//
// Pure logic (unit-tested in scripts/test/tutorials.test.ts).

export const PLACEHOLDERS: Record<string, { pattern: string; meaning: string }> = {
  pid: { pattern: '\\d+', meaning: 'a process id' },
  n: { pattern: '-?\\d+(?:\\.\\d+)?', meaning: 'a number' },
  hex: { pattern: '[0-9A-Fa-f]+', meaning: 'hexadecimal digits' },
  id: { pattern: '[A-Za-z0-9_.-]+', meaning: 'a word of letters, digits, . _ -' },
  time: {
    pattern: '(?:\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d+)?(?:Z|[+-]\\d{2}:?\\d{2})?|\\d{1,2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?)',
    meaning: 'an ISO 8601 date-time or a clock time',
  },
  path: { pattern: '/?[^\\s]*', meaning: 'a path without spaces' },
  word: { pattern: '\\S+', meaning: 'anything without spaces' },
  any: { pattern: '.*', meaning: 'anything, possibly nothing' },
  scratch: { pattern: '', meaning: "the lesson's $SCRATCH directory" }, // filled in per lesson
};

export const ELLIPSIS = '...';

export interface MatchContext {
  /** The value <scratch> stands for. */
  scratch?: string;
}

export function normaliseLine(line: string): string {
  return line.replace(/[ \t]+/g, ' ').trim();
}

/** Output text -> comparable lines (normalised, without leading/trailing blank lines). */
export function outputLines(text: string): string[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n').map(normaliseLine);
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One expected line -> an anchored regular expression. Unknown `<words>` stay literal. */
export function compileLine(line: string, ctx: MatchContext = {}): RegExp {
  const names = Object.keys(PLACEHOLDERS).join('|');
  const re = new RegExp(`<(${names})>`, 'g');
  const text = normaliseLine(line);
  let out = '';
  let last = 0;
  for (const m of text.matchAll(re)) {
    out += escapeRegExp(text.slice(last, m.index));
    const name = m[1];
    out += name === 'scratch' ? escapeRegExp(ctx.scratch ?? '<scratch>') : PLACEHOLDERS[name].pattern;
    last = m.index! + m[0].length;
  }
  out += escapeRegExp(text.slice(last));
  return new RegExp(`^${out}$`);
}

export type DiffLine =
  | { kind: 'same'; expected: string; actual: string }
  | { kind: 'skipped'; actual: string } // consumed by a `...` line
  | { kind: 'missing'; expected: string } // expected, not printed
  | { kind: 'extra'; actual: string }; // printed, not expected

export interface MatchResult {
  ok: boolean;
  /** The best alignment of expected and actual lines (minimal number of differences). */
  diff: DiffLine[];
}

/** Longest outputs compared line by line; longer ones are cut (the diff says so). */
const MAX_LINES = 2000;

/**
 * Aligns expected lines (patterns, `...`) with actual lines by dynamic programming: matching a
 * line costs 0, a missing or extra line costs 1, a `...` swallows any lines for free. The output
 * matches when the cheapest alignment costs 0; that alignment is also the diff to show.
 */
export function matchOutput(expectedLines: string[], actualText: string, ctx: MatchContext = {}): MatchResult {
  const expected = outputLines(expectedLines.join('\n'));
  let actual = outputLines(actualText);
  let truncated = false;
  if (actual.length > MAX_LINES) { actual = actual.slice(0, MAX_LINES); truncated = true; }
  const pats = expected.map((e) => (e === ELLIPSIS ? null : compileLine(e, ctx)));
  const n = expected.length;
  const m = actual.length;
  const W = m + 1;
  const cost = new Int32Array((n + 1) * W);
  const matches = (i: number, j: number) => pats[i]!.test(actual[j]);
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      let c: number;
      if (i === n) c = m - j;
      else if (pats[i] === null) c = Math.min(cost[(i + 1) * W + j], j < m ? cost[i * W + j + 1] : Infinity);
      else {
        c = 1 + cost[(i + 1) * W + j];
        if (j < m) {
          c = Math.min(c, 1 + cost[i * W + j + 1]);
          if (matches(i, j)) c = Math.min(c, cost[(i + 1) * W + j + 1]);
        }
      }
      cost[i * W + j] = c;
    }
  }
  // Walk the cheapest path, preferring matches, to build the diff.
  const diff: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const here = cost[i * W + j];
    if (i === n) { diff.push({ kind: 'extra', actual: actual[j++] }); continue; }
    if (pats[i] === null) {
      if (cost[(i + 1) * W + j] === here) { i++; continue; }
      diff.push({ kind: 'skipped', actual: actual[j++] });
      continue;
    }
    if (j < m && matches(i, j) && cost[(i + 1) * W + j + 1] === here) {
      diff.push({ kind: 'same', expected: expected[i++], actual: actual[j++] });
    } else if (1 + cost[(i + 1) * W + j] === here) {
      diff.push({ kind: 'missing', expected: expected[i++] }); // "- expected" reads before "+ got"
    } else {
      diff.push({ kind: 'extra', actual: actual[j++] });
    }
  }
  if (truncated) diff.push({ kind: 'extra', actual: `[output cut after ${MAX_LINES} lines]` });
  return { ok: cost[0] === 0 && !truncated, diff };
}

/** The diff as text: `-` expected but missing, `+` printed but not expected, context around. */
export function formatDiff(diff: DiffLine[], context = 3): string {
  const changed = diff.map((d) => d.kind === 'missing' || d.kind === 'extra');
  const out: string[] = [];
  let gap = false;
  diff.forEach((d, k) => {
    const near = changed.slice(Math.max(0, k - context), k + context + 1).some(Boolean);
    if (!near) { gap = true; return; }
    if (gap) { out.push('  ...'); gap = false; }
    switch (d.kind) {
      case 'same': out.push(`  ${d.actual}`); break;
      case 'skipped': out.push(`  ${d.actual}`); break;
      case 'missing': out.push(`- ${d.expected}`); break;
      case 'extra': out.push(`+ ${d.actual}`); break;
    }
  });
  if (gap) out.push('  ...');
  return out.join('\n');
}
