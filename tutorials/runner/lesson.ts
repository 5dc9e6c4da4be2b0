// A lesson is a markdown file; this module turns it into steps the runner can execute.
// The markup is documented for authors in tutorials/README.md ("Writing a lesson").
//
//   ```sh marks...        a step: run by the runner, shown to the student as commands to type
//   ```output             what the step above prints (compared with placeholders, see expect.ts)
//   ## Cleanup            every sh block in this section always runs at the end of the lesson
//   <!-- lesson: marks --> marks applied to every step of the lesson
//
// Pure logic: no file system, no processes (unit-tested in scripts/test/tutorials.test.ts).

/**
 * Facts about the machine a step may require (`only=...`): its cgroup layout, and `criu` for a
 * host where CRIU can checkpoint and restore (`criu` on PATH and `criu check` passes; CRIU 3.17
 * fails it on kernels newer than itself, so lessons show the real thing only where it works).
 */
export const HOST_TAGS = ['cgroup-v1', 'cgroup-v2', 'cgroup-hybrid', 'criu'] as const;
export type HostTag = (typeof HOST_TAGS)[number];

export interface OnlyTerm {
  tag: HostTag;
  negated: boolean;
}

export interface Marks {
  /** The step needs uid 0. */
  root: boolean;
  /** Run only on hosts matching any of these terms (empty: everywhere). */
  only: OnlyTerm[];
  /** The step must exit non-zero; the reason is shown in the report. */
  expectFail?: string;
  /** Not run yet (a feature it shows is missing); reported as pending, never as a failure. */
  pending?: string;
  /** Per-step time limit in seconds (default DEFAULT_TIMEOUT_SECONDS, at most MAX_TIMEOUT_SECONDS). */
  timeoutSeconds?: number;
  /** The reference solution of the exercise: run by the runner before the check, hidden from students. */
  solution: boolean;
  /** Shown in the lesson, never run (use sparingly: everything else is proven by CI). */
  noRun: boolean;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const MAX_TIMEOUT_SECONDS = 300;

export type StepKind = 'step' | 'solution' | 'check' | 'cleanup';

export interface Step {
  /** "3" for the third step of the lesson, "cleanup 1" for cleanup blocks. */
  id: string;
  kind: StepKind;
  /** The nearest heading above the block (what the report calls the step). */
  title: string;
  /** The level-2 section the block is in ("Steps", "Exercise", "Cleanup"...). */
  section: string;
  script: string;
  /** Expected output lines (undefined: the output is not compared). */
  expected?: string[];
  marks: Marks;
  /** 1-based line of the opening fence, for error messages. */
  line: number;
}

export interface Lesson {
  file: string;
  /** From the file name: 1 for 01-namespaces-and-cgroups.md. */
  number: number;
  title: string;
  /** Level-2 headings in order. */
  sections: string[];
  steps: Step[];
  cleanup: Step[];
  /** Syntax errors (unknown marks, orphan output blocks...): the lesson cannot run. */
  errors: string[];
}

export class MarkError extends Error {}

function emptyMarks(): Marks {
  return { root: false, only: [], solution: false, noRun: false };
}

/**
 * Splits an info string's marks: `root only=cgroup-v1 expect-fail="mount is refused"`.
 * Values may be bare words or double-quoted (with \" and \\ escapes).
 */
export function tokenizeMarks(text: string): { name: string; value?: string }[] {
  const out: { name: string; value?: string }[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const nameStart = i;
    while (i < text.length && /[A-Za-z0-9_-]/.test(text[i])) i++;
    const name = text.slice(nameStart, i);
    if (!name) throw new MarkError(`unexpected character ${JSON.stringify(text[i])} in marks "${text}"`);
    if (text[i] !== '=') {
      if (i < text.length && !/\s/.test(text[i])) throw new MarkError(`unexpected character ${JSON.stringify(text[i])} after mark "${name}"`);
      out.push({ name });
      continue;
    }
    i++; // '='
    let value = '';
    if (text[i] === '"') {
      i++;
      let closed = false;
      while (i < text.length) {
        const c = text[i];
        if (c === '\\' && i + 1 < text.length) { value += text[i + 1]; i += 2; continue; }
        if (c === '"') { closed = true; i++; break; }
        value += c;
        i++;
      }
      if (!closed) throw new MarkError(`unterminated quoted value of mark "${name}"`);
    } else {
      const valueStart = i;
      while (i < text.length && !/\s/.test(text[i])) i++;
      value = text.slice(valueStart, i);
    }
    out.push({ name, value });
  }
  return out;
}

/** Parses the marks after `sh` in a fence's info string (or in a `<!-- lesson: ... -->` line). */
export function parseMarks(text: string, base: Marks = emptyMarks()): Marks {
  const marks: Marks = { ...base, only: [...base.only] };
  for (const { name, value } of tokenizeMarks(text)) {
    const need = (what: string): string => {
      if (value === undefined || value === '') throw new MarkError(`mark "${name}" needs a value: ${name}=${what}`);
      return value;
    };
    const flag = () => {
      if (value !== undefined) throw new MarkError(`mark "${name}" takes no value`);
      return true;
    };
    switch (name) {
      case 'root': marks.root = flag(); break;
      case 'solution': marks.solution = flag(); break;
      case 'no-run': marks.noRun = flag(); break;
      case 'expect-fail': marks.expectFail = need('"why it fails"'); break;
      case 'pending': marks.pending = need('"what it waits for"'); break;
      case 'timeout': {
        const n = Number(need('SECONDS'));
        if (!Number.isInteger(n) || n < 1 || n > MAX_TIMEOUT_SECONDS) {
          throw new MarkError(`timeout must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (got "${value}")`);
        }
        marks.timeoutSeconds = n;
        break;
      }
      case 'only': {
        for (const term of need(HOST_TAGS.join('|')).split(',')) {
          const negated = term.startsWith('!');
          const tag = negated ? term.slice(1) : term;
          if (!(HOST_TAGS as readonly string[]).includes(tag)) {
            throw new MarkError(`unknown host tag "${tag}" in only= (known: ${HOST_TAGS.join(', ')})`);
          }
          marks.only.push({ tag: tag as HostTag, negated });
        }
        break;
      }
      default:
        throw new MarkError(`unknown mark "${name}" (known: root, only, expect-fail, pending, timeout, solution, no-run)`);
    }
  }
  return marks;
}

/** Does a step marked `only=...` run on a host with these tags? (any term may match) */
export function hostMatches(only: OnlyTerm[], hostTags: readonly HostTag[]): boolean {
  if (only.length === 0) return true;
  return only.some((t) => hostTags.includes(t.tag) !== t.negated);
}

/** How a report names a tag: cgroup tags by name, `criu` by what it means. */
function describeTag(t: OnlyTerm): string {
  if (t.tag === 'criu') return t.negated ? 'hosts where criu check fails (or criu is missing)' : 'hosts where criu check passes';
  return t.negated ? `not ${t.tag}` : t.tag;
}

export function describeOnly(only: OnlyTerm[]): string {
  return only.map(describeTag).join(' or ');
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`]*)$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const LESSON_MARKS = /^<!--\s*lesson:\s*(.*?)\s*-->\s*$/;
const STEP_LANGS = new Set(['sh', 'bash']);

/** The lesson number from a file name such as `03-the-lifecycle.md`. */
export function lessonNumber(file: string): number {
  const m = /(?:^|\/)(\d+)-[^/]*\.md$/.exec(file);
  return m ? Number(m[1]) : NaN;
}

export function parseLesson(text: string, file: string): Lesson {
  const lines = text.split('\n');
  const lesson: Lesson = { file, number: lessonNumber(file), title: '', sections: [], steps: [], cleanup: [], errors: [] };
  let lessonMarks = emptyMarks();
  let sawStep = false;
  let section = '';
  let heading = '';
  let headingUses = 0;
  // The step whose `output` block may follow (only blank lines in between).
  let awaitingOutput: Step | undefined;
  let stepCount = 0;
  let solutionSeen = false;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = FENCE.exec(line);
    if (!fence) {
      if (line.trim() !== '') awaitingOutput = undefined;
      const h = HEADING.exec(line);
      if (h) {
        const level = h[1].length;
        if (level === 1 && !lesson.title) lesson.title = h[2];
        if (level === 2) { section = h[2]; lesson.sections.push(section); }
        if (level >= 2) { heading = h[2]; headingUses = 0; }
        continue;
      }
      const lm = LESSON_MARKS.exec(line.trim());
      if (lm) {
        if (sawStep) lesson.errors.push(`${file}:${i + 1}: <!-- lesson: ... --> must come before the first step`);
        try { lessonMarks = parseMarks(lm[1]); } catch (e) { lesson.errors.push(`${file}:${i + 1}: ${(e as Error).message}`); }
      }
      continue;
    }
    // A fenced block: find its end (same character, at least as long, nothing after it).
    const [, indent, ticks, info] = fence;
    const close = new RegExp(`^ {0,3}${ticks[0] === '`' ? '`' : '~'}{${ticks.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !close.test(lines[j]); j++) {
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart());
    }
    if (j >= lines.length) lesson.errors.push(`${file}:${i + 1}: code block is never closed`);
    const startLine = i + 1;
    i = j;
    const words = info.trim();
    const lang = words.split(/\s+/)[0] ?? '';
    const rest = words.slice(lang.length).trim();

    if (lang === 'output') {
      if (!awaitingOutput) {
        lesson.errors.push(`${file}:${startLine}: an output block must directly follow a sh block (only blank lines between)`);
      } else if (rest) {
        lesson.errors.push(`${file}:${startLine}: output blocks take no marks (got "${rest}")`);
      } else {
        awaitingOutput.expected = body;
      }
      awaitingOutput = undefined;
      continue;
    }
    awaitingOutput = undefined;
    if (!STEP_LANGS.has(lang)) continue; // json, text, mermaid...: prose, not steps

    let marks: Marks;
    try {
      marks = parseMarks(rest, lessonMarks);
    } catch (e) {
      lesson.errors.push(`${file}:${startLine}: ${(e as Error).message}`);
      continue;
    }
    if (marks.noRun) continue;
    sawStep = true;
    headingUses++;
    const title = headingUses > 1 ? `${heading} (${headingUses})` : heading;
    const isCleanup = /^cleanup\b/i.test(section);
    const isExercise = /^exercise\b/i.test(section);
    let kind: StepKind = 'step';
    if (isCleanup) kind = 'cleanup';
    else if (marks.solution) { kind = 'solution'; solutionSeen = true; }
    else if (isExercise && solutionSeen) kind = 'check';
    if (marks.solution && !isExercise) lesson.errors.push(`${file}:${startLine}: a solution step belongs in the "Exercise" section`);
    const step: Step = {
      id: isCleanup ? `cleanup ${lesson.cleanup.length + 1}` : String(++stepCount),
      kind, title, section, script: body.join('\n') + '\n', marks, line: startLine,
    };
    if (isCleanup) lesson.cleanup.push(step);
    else lesson.steps.push(step);
    awaitingOutput = step;
  }
  return lesson;
}

/**
 * The structure every lesson has (issue 9): a goal, steps, what to notice, an exercise whose
 * reference solution is followed by a check, and a cleanup section. Returns problems for authors.
 */
export function lintLesson(lesson: Lesson): string[] {
  const problems = [...lesson.errors];
  const where = lesson.file;
  if (!Number.isFinite(lesson.number)) problems.push(`${where}: the file name must start with the lesson number (NN-name.md)`);
  if (!lesson.title) problems.push(`${where}: no "# title" heading`);
  const has = (re: RegExp) => lesson.sections.some((s) => re.test(s));
  for (const [re, name] of [[/^goal\b/i, 'Goal'], [/^what to notice\b/i, 'What to notice'], [/^exercise\b/i, 'Exercise'], [/^cleanup\b/i, 'Cleanup']] as const) {
    if (!has(re)) problems.push(`${where}: missing the "## ${name}" section`);
  }
  if (lesson.steps.filter((s) => s.kind === 'step').length === 0) problems.push(`${where}: no steps (sh blocks)`);
  if (!lesson.steps.some((s) => s.kind === 'solution')) problems.push(`${where}: the exercise has no reference solution (a sh block marked "solution")`);
  if (!lesson.steps.some((s) => s.kind === 'check')) problems.push(`${where}: the exercise has no check (a sh block after the solution, in the Exercise section)`);
  for (const s of lesson.steps) {
    if (s.kind === 'check' && s.expected === undefined) problems.push(`${where}:${s.line}: a check needs an output block (what a correct solution prints)`);
  }
  return problems;
}
