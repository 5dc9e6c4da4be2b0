// npm run tutorials [-- [--list] [--verbose] [--keep-going] [--run-pending] [LESSON ...]]
//
// Runs the lessons in tutorials/ (all of them, or those named by number or file), each in a fresh
// scratch directory, step by step; compares every step's output with the lesson's; always runs
// the lesson's cleanup; then checks that nothing leaked. Ends with
// "tutorials: N passed, N failed, N skipped" and exits non-zero on any failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDiff, matchOutput } from './expect';
import { detectHost, type HostFacts } from './host';
import { findLeaks, reapLeaks, removeTree } from './leaks';
import {
  DEFAULT_TIMEOUT_SECONDS, describeOnly, hostMatches, lintLesson, parseLesson,
  type Lesson, type OnlyTerm, type Step,
} from './lesson';
import { LessonSession, type StepResult } from './session';

export interface Options {
  list: boolean;
  verbose: boolean;
  keepGoing: boolean;
  runPending: boolean;
  /** Multiplies every step's time limit (slow machines: emulated VMs, busy classroom hosts). */
  timeoutScale: number;
  selectors: string[];
}

const USAGE = `usage: npm run tutorials -- [options] [LESSON ...]
  LESSON          a lesson number (3) or file (tutorials/03-the-lifecycle.md); default: all, in order
  --list          list the lessons and their steps (with marks) and exit
  --verbose       print each step's commands and output
  --keep-going    run the remaining steps of a lesson after a failed step (default: stop the lesson)
  --run-pending   also run steps marked pending (a pass says the mark can go; a failure stays pending)
  --timeout-scale N  multiply every step's time limit by N (slow machines, emulated VMs)
  -h, --help      this text`;

export function parseArgs(argv: string[]): Options {
  const o: Options = { list: false, verbose: false, keepGoing: false, runPending: false, timeoutScale: 1, selectors: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--list') o.list = true;
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--keep-going') o.keepGoing = true;
    else if (a === '--run-pending') o.runPending = true;
    else if (a === '--timeout-scale') {
      o.timeoutScale = Number(argv[++i]);
      if (!(o.timeoutScale > 0)) { console.error(`tutorials: --timeout-scale needs a positive number (got ${argv[i]})`); process.exit(2); }
    }
    else if (a === '-h' || a === '--help') { console.log(USAGE); process.exit(0); }
    else if (a.startsWith('-')) { console.error(`tutorials: unknown option ${a}\n${USAGE}`); process.exit(2); }
    else o.selectors.push(a);
  }
  return o;
}

const tty = process.stdout.isTTY;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const dim = paint('2');
const bold = paint('1');

function indent(text: string, by = '      '): string {
  return text.replace(/\n$/, '').split('\n').map((l) => by + l).join('\n');
}

function findLessons(repo: string, selectors: string[]): string[] {
  const dir = path.join(repo, 'tutorials');
  const all = fs.readdirSync(dir).filter((f) => /^\d+-.*\.md$/.test(f)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).map((f) => path.join(dir, f));
  if (selectors.length === 0) return all;
  return selectors.map((s) => {
    if (/^\d+$/.test(s)) {
      const hit = all.find((f) => parseInt(path.basename(f), 10) === Number(s));
      if (!hit) throw new Error(`no lesson number ${s} in tutorials/ (have: ${all.map((f) => parseInt(path.basename(f), 10)).join(', ')})`);
      return hit;
    }
    for (const candidate of [path.resolve(s), path.resolve(repo, s), path.join(dir, s)]) if (fs.existsSync(candidate)) return candidate;
    throw new Error(`no lesson file ${s}`);
  });
}

/**
 * The binaries lessons call, from this checkout's build (so CI exercises the code it tests, even if
 * the ones linked onto PATH by setup point elsewhere): a directory put first on the steps' PATH.
 */
function prepareBin(repo: string): { dir: string; notes: string[] } {
  const dir = path.join(repo, 'node_modules/.cache/strata-tutorials/bin');
  fs.mkdirSync(dir, { recursive: true });
  const notes: string[] = [];
  const tools: Record<string, string> = {
    'strata-runtime': 'layers/runtime/dist/strata-runtime.mjs',
    'strata-spec-tests': 'spec-tests/dist/strata-spec-tests.mjs',
    'containerd-shim-strata-v2': 'layers/shim/dist/containerd-shim-strata-v2.mjs',
    'strata-manager': 'layers/manager/dist/strata-manager.mjs',
    'strata-ctr': 'layers/manager/dist/strata-ctr.mjs',
    'strata-cri': 'layers/cri/dist/strata-cri.mjs',
    'strata-crictl': 'layers/cri/dist/strata-crictl.mjs',
    'strata-engine': 'layers/engine/dist/strata-engine.mjs',
    strata: 'layers/engine/dist/strata.mjs',
  };
  for (const [name, rel] of Object.entries(tools)) {
    const target = path.join(repo, rel);
    const link = path.join(dir, name);
    let current: string | undefined;
    try { current = fs.readlinkSync(link); } catch { /* none yet */ }
    if (fs.existsSync(target)) {
      // Replace atomically (another run may be using the directory): link aside, then rename.
      if (current !== target) {
        fs.symlinkSync(target, `${link}.new`);
        fs.renameSync(`${link}.new`, link);
      }
      notes.push(`${name} -> ${rel}`);
    } else {
      fs.rmSync(link, { force: true });
      notes.push(`${name}: ${rel} is not built (npm run build); using PATH`);
    }
  }
  return { dir, notes };
}

type Outcome = 'ok' | 'fail' | 'expected-failure' | 'skipped' | 'pending' | 'not-run';

// Ctrl-C (or SIGTERM): stop the running step, still run the lesson's cleanup and leak check, then
// stop. A second Ctrl-C exits at once.
let interrupted = false;
let activeSession: LessonSession | undefined;
function onInterrupt(signal: NodeJS.Signals): void {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log(yellow(`\ntutorials: ${signal}: stopping the step, cleaning up the lesson (again to quit at once)`));
  activeSession?.interrupt();
}

interface Totals { passed: number; failed: number; skipped: number }

/** "Lesson 3: the lifecycle" -> "the lifecycle" (the report prints the number itself). */
function shortTitle(lesson: Lesson): string {
  return lesson.title.replace(/^lesson\s+\d+\s*[:.-]\s*/i, '');
}

function label(step: Step): string {
  const kind = step.kind === 'solution' ? 'solution: ' : step.kind === 'check' ? 'check: ' : '';
  return `${step.id.padStart(3)}  ${kind}${step.title}`;
}

function statusWord(o: Outcome): string {
  switch (o) {
    case 'ok': return green('ok'.padEnd(17));
    case 'fail': return red('FAIL'.padEnd(17));
    case 'expected-failure': return green('expected failure'.padEnd(17));
    case 'skipped': return yellow('skipped'.padEnd(17));
    case 'pending': return yellow('pending'.padEnd(17));
    case 'not-run': return yellow('not run'.padEnd(17));
  }
}

/** The facts behind a step's `only=` terms, as the report shows them ("this host: ..."). */
export function hostFactsFor(only: OnlyTerm[], host: Pick<HostFacts, 'cgroups' | 'criu'>): string {
  const facts: string[] = [];
  if (only.some((t) => t.tag.startsWith('cgroup-'))) facts.push(host.cgroups);
  if (only.some((t) => t.tag === 'criu')) facts.push(host.criu);
  return facts.join('; ');
}

export function skipReason(step: Step, host: HostFacts): string | undefined {
  if (step.marks.root && !host.root) return 'needs root';
  if (!hostMatches(step.marks.only, host.tags)) return `only on ${describeOnly(step.marks.only)} (this host: ${hostFactsFor(step.marks.only, host)})`;
  return undefined;
}

function timeLimitMs(step: Step, opts: Options): number {
  return (step.marks.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000 * opts.timeoutScale;
}

/** Judges a finished step: exit status (or expected failure) and output. */
function judge(step: Step, r: StepResult, scratch: string, opts: Options): { ok: boolean; problem?: string; diff?: string } {
  if (r.timedOut) return { ok: false, problem: `timed out after ${timeLimitMs(step, opts) / 1000} s` };
  if (step.marks.expectFail !== undefined && r.status === 0) return { ok: false, problem: `exit status 0, but this step is marked expect-fail ("${step.marks.expectFail}")` };
  if (step.marks.expectFail === undefined && r.status !== 0) {
    const m = step.expected ? matchOutput(step.expected, r.output, { scratch }) : undefined;
    return { ok: false, problem: `exit status ${r.status}`, diff: m && !m.ok ? formatDiff(m.diff) : undefined };
  }
  if (step.expected) {
    const m = matchOutput(step.expected, r.output, { scratch });
    if (!m.ok) return { ok: false, problem: 'output differs (- expected, + got)', diff: formatDiff(m.diff) };
  }
  return { ok: true };
}

async function runLesson(lesson: Lesson, host: HostFacts, env: NodeJS.ProcessEnv, opts: Options, totals: Totals, dirPrefix: string): Promise<void> {
  const rel = path.relative(process.cwd(), lesson.file) || lesson.file;
  console.log(bold(`lesson ${String(lesson.number).padStart(2, '0')}: ${shortTitle(lesson)}`) + dim(`  (${rel})`));
  const started = Date.now();
  const local: Totals = { passed: 0, failed: 0, skipped: 0 };
  const problems = lintLesson(lesson);
  if (problems.length) {
    for (const p of problems) console.log(`  ${red('FAIL'.padEnd(17))}lesson format: ${p}`);
    local.failed += problems.length;
    addTotals(totals, local);
    return;
  }

  // Left over by an earlier, interrupted run? Remove it first, so this lesson is judged alone.
  const before = findLeaks({ dirPrefix, host });
  if (before.length) {
    console.log(`  ${yellow('note'.padEnd(17))}left over by an earlier run, removed first: ${before.map((l) => l.what).join('; ')}`);
    await reapLeaks(before, host, env);
  }

  const session = new LessonSession(lesson.number, env);
  activeSession = session;
  let failedAt: string | undefined;
  let ranAny = false;
  for (const step of lesson.steps) {
    if (interrupted) { report(step, 'not-run', 'interrupted'); local.skipped++; continue; }
    const skip = skipReason(step, host);
    if (skip) { report(step, 'skipped', skip); local.skipped++; continue; }
    if (failedAt && !opts.keepGoing) { report(step, 'not-run', `step ${failedAt} failed`); local.skipped++; continue; }
    if (step.marks.pending !== undefined && !opts.runPending) { report(step, 'pending', step.marks.pending); local.skipped++; continue; }
    ranAny = true;
    const r = await session.runStep(step.script, timeLimitMs(step, opts));
    if (r.interrupted) { report(step, 'fail', 'interrupted'); local.failed++; continue; }
    const verdict = judge(step, r, session.scratch, opts);
    const time = dim(`(${r.durationMs} ms)`);
    if (step.marks.pending !== undefined) {
      if (verdict.ok) { report(step, 'ok', `${time} ${yellow(`was pending ("${step.marks.pending}"): it passes now, remove the mark`)}`); local.passed++; }
      else { report(step, 'pending', `${step.marks.pending}; ran: ${verdict.problem}`); local.skipped++; if (opts.verbose && verdict.diff) console.log(indent(verdict.diff)); }
    } else if (verdict.ok) {
      if (step.marks.expectFail !== undefined) report(step, 'expected-failure', `${step.marks.expectFail} ${dim(`(exit status ${r.status})`)} ${time}`);
      else report(step, 'ok', time);
      local.passed++;
    } else {
      report(step, 'fail', `${verdict.problem} ${time}`);
      local.failed++;
      failedAt ??= step.id;
      console.log(indent(`$ ${step.script.trimEnd().split('\n').join('\n  ')}`));
      if (verdict.diff) console.log(indent(verdict.diff));
      else if (r.output.trim()) console.log(indent(r.output));
      console.log(dim(`      (${path.relative(process.cwd(), lesson.file)}:${step.line})`));
      continue; // already shown in full
    }
    if (opts.verbose) printVerbose(step, r);
  }

  // Cleanup always runs (after a failure too) once any step ran.
  if (ranAny) {
    for (const step of lesson.cleanup) {
      const skip = skipReason(step, host);
      if (skip) continue;
      const r = await session.runStep(step.script, timeLimitMs(step, opts));
      if (r.timedOut || r.status !== 0) console.log(`  ${yellow('note'.padEnd(17))}${step.id} ${r.timedOut ? 'timed out' : `exited ${r.status}`} (the leak check decides)`);
      if (opts.verbose) printVerbose(step, r);
    }
  }

  // Nothing may remain: containers, cgroups, mounts, processes.
  const leaks = findLeaks({ dirPrefix, host });
  if (leaks.length) {
    for (const l of leaks) console.log(`  ${red('FAIL'.padEnd(17))}leak: ${l.what}`);
    local.failed += leaks.length;
    const left = await reapLeaks(leaks, host, env);
    for (const f of left) console.log(`  ${red('FAIL'.padEnd(17))}could not remove the leak: ${f}`);
  } else if (ranAny) {
    console.log(`  ${green('ok'.padEnd(17))}${'   '}  cleanup and leak check ${dim('(containers, cgroups, mounts, processes)')}`);
  }
  activeSession = undefined;
  const removeProblem = removeTree(session.root, env);
  if (removeProblem) { console.log(`  ${red('FAIL'.padEnd(17))}${removeProblem}`); local.failed++; }
  console.log(dim(`  lesson ${String(lesson.number).padStart(2, '0')}: ${local.passed} passed, ${local.failed} failed, ${local.skipped} skipped (${((Date.now() - started) / 1000).toFixed(1)} s)`));
  addTotals(totals, local);
}

/**
 * Lesson directories of runs that were killed outright (SIGKILL, a closed terminal): untouched for
 * ten minutes, while a running lesson rewrites its state after every step.
 */
function removeStaleDirs(env: NodeJS.ProcessEnv): void {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    if (!/^strata-tutorial-\d+-/.test(name)) continue;
    const dir = path.join(tmp, name);
    try {
      if (Date.now() - fs.statSync(dir).mtimeMs < 10 * 60_000) continue;
    } catch { continue; }
    const problem = removeTree(dir, env);
    console.log(dim(`tutorials: removed ${dir}, left by an interrupted run${problem ? ` (${problem})` : ''}`));
  }
}

function addTotals(t: Totals, l: Totals): void {
  t.passed += l.passed; t.failed += l.failed; t.skipped += l.skipped;
}

function report(step: Step, outcome: Outcome, detail: string): void {
  console.log(`  ${statusWord(outcome)}${label(step)}${detail ? `  ${outcome === 'ok' ? '' : '- '}${detail}` : ''}`);
}

function printVerbose(step: Step, r: StepResult): void {
  console.log(dim(indent(`$ ${step.script.trimEnd().split('\n').join('\n  ')}`)));
  if (r.output.trim()) console.log(indent(r.output));
  console.log(dim(`      [exit status ${r.timedOut ? 'timeout' : r.status}]`));
}

function listLessons(lessons: Lesson[], host: HostFacts): void {
  for (const lesson of lessons) {
    console.log(bold(`lesson ${String(lesson.number).padStart(2, '0')}: ${shortTitle(lesson)}`) + dim(`  (${path.relative(process.cwd(), lesson.file)})`));
    for (const p of lintLesson(lesson)) console.log(`  ${red('format problem:')} ${p}`);
    for (const step of [...lesson.steps, ...lesson.cleanup]) {
      const m = step.marks;
      const marks = [
        m.root && 'root',
        m.only.length && `only ${describeOnly(m.only)}`,
        m.expectFail !== undefined && `expect-fail: ${m.expectFail}`,
        m.pending !== undefined && `pending: ${m.pending}`,
        m.timeoutSeconds && `timeout ${m.timeoutSeconds} s`,
        step.expected === undefined && 'output not compared',
      ].filter(Boolean).join(', ');
      const runs = skipReason(step, host) ? dim(' [skipped here]') : '';
      console.log(`  ${label(step)}${marks ? dim(`  [${marks}]`) : ''}${runs}`);
    }
  }
}

export async function main(repo: string, argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  let files: string[];
  try { files = findLessons(repo, opts.selectors); } catch (e) { console.error(`tutorials: ${(e as Error).message}`); return 2; }
  const lessons = files.map((f) => parseLesson(fs.readFileSync(f, 'utf8'), f));
  const host = detectHost();
  if (opts.list) { listLessons(lessons, host); return 0; }

  // The report may go to a pipe that closes early (`| head`): keep going, so cleanup still happens.
  process.stdout.on('error', () => {});
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  const bin = prepareBin(repo);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin.dir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
    LC_ALL: 'C',
    STRATA_REPO: repo,
  };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'BASH_ENV', 'ENV', 'CDPATH']) delete env[k];
  const dirPrefix = path.join(os.tmpdir(), 'strata-tutorial-');
  console.log(dim(`tutorials: host ${host.cgroups}, ${host.criu}, ${host.root ? 'root' : `uid ${process.getuid?.()} (root steps skip)`}; ${bin.notes.join('; ')}`));

  removeStaleDirs(env);

  const totals: Totals = { passed: 0, failed: 0, skipped: 0 };
  const started = Date.now();
  for (const lesson of lessons) {
    if (interrupted) break;
    await runLesson(lesson, host, env, opts, totals, dirPrefix);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const line = `tutorials: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`;
  console.log(dim(`tutorials: ${lessons.length} lesson(s) in ${secs} s`));
  console.log(totals.failed ? red(line) : line);
  return totals.failed ? 1 : 0;
}
