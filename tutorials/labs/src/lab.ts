// What a lab is: a task stated in words, the files it starts from, automatic checks with precise
// hints, a reference solution (for instructors and for the tests that prove each lab can be
// passed), and a reset that removes everything the lab and the student created.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface LabContext {
  /** The lab's working directory (the student works here): <home>/<NN-slug>. */
  dir: string;
  /** Prefix for every object the lab creates outside `dir` (container ids, cgroups): strata-lab-N. */
  tag: string;
}

export interface CheckResult {
  /** What was checked, as the student reads it ("config.json has a pid namespace"). */
  what: string;
  ok: boolean;
  /** When not ok: what to look at next (precise, never the whole answer). */
  hint?: string;
}

export interface Lab {
  id: number;
  slug: string;
  title: string;
  /** The layer of the stack the lab is about (and the lesson to read first). */
  layer: string;
  lesson: string;
  /** Typical time for a student, in minutes (the instructor guide sums them). */
  minutes: number;
  /** The task, as shown by `strata lab start` and written to TASK.txt. */
  task: string;
  /** Commands the lab needs on PATH. */
  needs: string[];
  /** Prepare `ctx.dir` (empty when called). */
  start(ctx: LabContext): void;
  /** Every check; the lab passes when all are ok. Must not leave anything running. */
  check(ctx: LabContext): CheckResult[];
  /** Progressive hints for `strata lab hint`, from a nudge to nearly the answer. */
  hints: string[];
  /** A shell script, run in ctx.dir, that solves the lab (instructor guide; tests). */
  solution: string;
  /** Remove what the lab and the student created outside ctx.dir (containers, daemons, cgroups). */
  reset(ctx: LabContext): void;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command (bounded in time: a check never hangs). */
export function run(cmd: string, args: string[], o: SpawnSyncOptions & { timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: o.timeoutMs ?? 30_000, killSignal: 'SIGKILL', ...o });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? (r.error ? r.error.message : '')) };
}

export const sh = (script: string, o: SpawnSyncOptions & { timeoutMs?: number } = {}): RunResult => run('bash', ['-c', script], o);

export function readJson<T = any>(file: string): { value?: T; error?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { error: `${path.basename(file)} is missing` };
  }
  try {
    return { value: JSON.parse(text) as T };
  } catch (e) {
    return { error: `${path.basename(file)} is not valid JSON: ${(e as Error).message}` };
  }
}

/** A check of a condition with its hint. */
export const check = (what: string, ok: boolean, hint: string): CheckResult => (ok ? { what, ok } : { what, ok, hint });
