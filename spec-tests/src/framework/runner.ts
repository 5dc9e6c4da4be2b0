// Runs the selected tests one after another against one runtime: skip what the host cannot do
// (with the reason), give each test a private directory and --root, enforce its timeout, always
// clean up, and count anything the runtime left on the host as a failure of that test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConformanceTest, TestResult } from './testCase';
import { ConformanceFailure, SkipTest } from './testCase';
import { TestContext, type SuiteOptions } from './context';
import { RuntimeDriver } from './runtimeDriver';
import { detectHost, type HostCapabilities } from './hostCapabilities';
import { probeRuntime, type RuntimeInfo, type RuntimeSpecifier } from './runtimeInfo';
import { buildRootfs, findRootfsScript } from './rootfs';
import { findLeaks, removeLeaks } from './leakCheck';
import { readMountInfo } from './mountInfo';
import { removeCgroupParents } from '../suites/linuxCgroups';

export interface RunOptions extends SuiteOptions {
  runtime: RuntimeSpecifier;
  /** Regular expression on test ids. */
  filter?: RegExp;
  /** A prebuilt rootfs to share (the --compare loop builds one for all runtimes). */
  rootfs?: string;
  rootfsScript?: string;
  /** Where per-run directories go (default: the OS temp dir). */
  workDir?: string;
  /** Called once per finished test (progress output). */
  onResult?: (r: TestResult) => void;
  /** Diagnostic lines (--verbose). */
  log?: (line: string) => void;
}

export interface SuiteReport {
  runtime: RuntimeInfo;
  host: HostCapabilities;
  startedAt: string;
  finishedAt: string;
  specVersion: string;
  results: TestResult[];
}

export function selectTests(tests: ConformanceTest[], filter?: RegExp): ConformanceTest[] {
  return filter ? tests.filter((t) => filter.test(t.id)) : tests;
}

export function summarize(results: TestResult[]): { passed: number; failed: number; skipped: number; mustFailed: number } {
  return {
    passed: results.filter((r) => r.outcome === 'pass').length,
    failed: results.filter((r) => r.outcome === 'fail').length,
    skipped: results.filter((r) => r.outcome === 'skip').length,
    mustFailed: results.filter((r) => r.outcome === 'fail' && r.level === 'MUST').length,
  };
}

export async function prepareRootfs(workDir: string, script?: string): Promise<string> {
  const dir = path.join(workDir, 'rootfs');
  await buildRootfs(dir, findRootfsScript(script));
  return dir;
}

/** No mount left anywhere under `dir` (so rm -rf cannot walk into a bind-mounted host dir). */
function safeToRemove(dir: string): boolean {
  return !readMountInfo().some((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
}

export function removeTree(dir: string): boolean {
  if (!safeToRemove(dir)) return false;
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  return true;
}

export async function runSuite(tests: ConformanceTest[], opts: RunOptions): Promise<SuiteReport> {
  const log = opts.log ?? (() => {});
  const runDir = fs.mkdtempSync(path.join(opts.workDir ?? os.tmpdir(), 'strata-spec-tests-'));
  fs.chmodSync(runDir, 0o755); // user-namespace containers run as mapped ids and must traverse it
  const startedAt = new Date().toISOString();
  const results: TestResult[] = [];
  try {
    const host = detectHost();
    const runtime = await probeRuntime(opts.runtime, runDir);
    const rootfs = opts.rootfs ?? (await prepareRootfs(runDir, opts.rootfsScript));
    if (runtime.wrapperScript) log(`runtime wrapper ${runtime.invoke}:\n${runtime.wrapperScript}`);
    let n = 0;
    for (const test of selectTests(tests, opts.filter)) {
      const r = await runOne(test, ++n, { runDir, rootfs, host, runtime, opts, log });
      results.push(r);
      opts.onResult?.(r);
    }
    removeCgroupParents(host);
    return { runtime, host, startedAt, finishedAt: new Date().toISOString(), specVersion: 'v1.2.0', results };
  } finally {
    if (!removeTree(runDir)) log(`left ${runDir} in place: something is still mounted under it`);
  }
}

interface RunEnv {
  runDir: string;
  rootfs: string;
  host: HostCapabilities;
  runtime: RuntimeInfo;
  opts: RunOptions;
  log: (line: string) => void;
}

async function runOne(test: ConformanceTest, n: number, env: RunEnv): Promise<TestResult> {
  const started = Date.now();
  const base = { id: test.id, title: test.title, section: test.section, level: test.level, leaks: [] as string[], commands: [] as string[] };
  const skipReason = test.requires?.(env.host, env.runtime);
  if (skipReason) return { ...base, outcome: 'skip', message: skipReason, durationMs: 0 };

  const testDir = path.join(env.runDir, `${String(n).padStart(3, '0')}-${test.id.replace(/[^A-Za-z0-9.-]+/g, '-')}`);
  fs.mkdirSync(testDir, { mode: 0o755 });
  const stateRoot = path.join(testDir, 'state');
  fs.mkdirSync(stateRoot, { mode: 0o700 });
  const verbose = env.opts.verbose;
  const driver = new RuntimeDriver(env.runtime.invoke, stateRoot, 15_000, (line, r) => {
    if (!verbose) return;
    env.log(`  $ ${line}\n    -> exit ${r.code}${r.timedOut ? ' (timed out)' : ''} in ${r.ms} ms${r.stderr.trim() ? `; stderr: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}${r.stdout.trim() && r.stdout.length < 600 ? `; stdout: ${r.stdout.trim().replace(/\n\s*/g, ' ')}` : ''}`);
  });
  const ctx = new TestContext(test.id, testDir, env.rootfs, driver, env.host, env.runtime, env.opts, env.log);
  if (verbose) env.log(`# ${test.id}: ${test.title}`);

  let outcome: TestResult['outcome'] = 'pass';
  let message: string | undefined;
  const timeoutMs = test.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const body = test.run(ctx);
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const first = await Promise.race([body.then(() => 'done' as const), timeout]);
    if (first === 'timeout') {
      driver.aborted = true;
      outcome = 'fail';
      message = `timed out after ${timeoutMs} ms`;
      // Let the body unwind (every runtime call is itself bounded) before cleaning up.
      await Promise.race([body.catch(() => {}), new Promise((r) => setTimeout(r, 20_000))]);
    }
  } catch (e) {
    if (e instanceof SkipTest) {
      outcome = 'skip';
      message = e.message;
    } else {
      outcome = 'fail';
      message = e instanceof ConformanceFailure ? e.message : `suite error: ${(e as Error).stack ?? String(e)}`;
    }
  } finally {
    clearTimeout(timer);
  }

  const cleanupProblems = await ctx.cleanup();
  const scope = {
    dirs: [testDir, env.rootfs, ...ctx.extraDirs],
    containerIds: ctx.containerIds,
    cgroupPaths: ctx.cgroupPaths,
    pids: ctx.pids,
    stateRoot,
    host: env.host,
  };
  const leaks = await findLeaks(scope);
  const removeProblems = await removeLeaks(leaks);
  if (leaks.length > 0 && outcome !== 'skip') {
    outcome = 'fail';
    message = [message, `runtime left resources after delete: ${leaks.map((l) => l.description).join('; ')}`].filter(Boolean).join('; ');
  }
  for (const p of [...cleanupProblems, ...removeProblems]) env.log(`  [${test.id}] ${p}`);
  if (!removeTree(testDir)) env.log(`  [${test.id}] left ${testDir}: still mounted`);
  return { ...base, outcome, message, leaks: leaks.map((l) => l.description), durationMs: Date.now() - started, commands: driver.history };
}
