// strata-spec-tests: point the OCI runtime conformance suite at any runc-compatible runtime.
// This file only parses arguments, runs the suite and prints; the logic lives in framework/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { allTests } from '../suites/index';
import { runSuite, selectTests, summarize, prepareRootfs, removeTree, type SuiteReport } from '../framework/runner';
import { parseRuntimeSpecifier, WRAPPERS, type WrapperName } from '../framework/runtimeInfo';
import { renderTable, sectionName } from '../reports/table';
import { renderTap } from '../reports/tap';
import { renderJunit } from '../reports/junit';
import { renderJson } from '../reports/json';
import { renderMatrix } from '../reports/matrix';
import type { TestResult } from '../framework/testCase';
import { explain } from '../reports/knownDifferences';

type Format = 'table' | 'tap' | 'junit' | 'json';

interface CliOptions {
  runtime?: string;
  wrapper?: WrapperName;
  filter?: string;
  list?: boolean;
  verbose?: boolean;
  format: Format;
  output?: string;
  compare?: string;
  matrix?: string;
  propertyRuns: number;
  propertyMaxCommands: number;
  propertySeed?: number;
  rootfsScript?: string;
  workDir?: string;
  failOn: "must" | "unexplained";
}

export function render(format: Format, reports: SuiteReport[], verbose: boolean): string {
  switch (format) {
    case 'tap':
      return reports.map(renderTap).join('\n');
    case 'junit':
      return renderJunit(reports);
    case 'json':
      return renderJson(reports);
    default:
      return reports.map((r) => renderTable(r, { verbose })).join('\n');
  }
}

export function buildProgram(): Command {
  return new Command('strata-spec-tests')
    .description('OCI runtime-spec conformance tests for any runc-compatible runtime (create/start/state/kill/delete with --root)')
    .option('--runtime <path>', 'the runtime binary under test (name on PATH or path; NAME:WRAPPER also works)')
    .addOption(new Option('--wrapper <name>', 'run the runtime through a generated host-quirk wrapper').choices(WRAPPERS))
    .option('--filter <regex>', 'only tests whose id matches')
    .option('--list', 'list the tests (id, level, section) and exit')
    .option('--verbose', 'print every runtime command, its result and each config.json')
    .addOption(new Option('--format <format>', 'report format').choices(['table', 'tap', 'junit', 'json']).default('table'))
    .option('--output <file>', 'write the report to a file instead of stdout')
    .option('--compare <runtimes>', 'comma-separated runtimes to run one after another, each NAME[:WRAPPER], e.g. runc,crun:hybrid-cgroup')
    .option('--matrix <file.md>', 'with --compare: write the side-by-side markdown matrix here')
    .option('--property-runs <n>', 'fast-check runs of the lifecycle property test', (v) => positiveInt(v, '--property-runs'), 10)
    .option('--property-max-commands <n>', 'longest random operation sequence', (v) => positiveInt(v, '--property-max-commands'), 8)
    .option('--property-seed <n>', 'fast-check seed (replay a reported failure)', (v) => Number(v))
    .option('--rootfs-script <path>', 'scripts/busybox-rootfs.sh (found automatically in the repository)')
    .addOption(new Option('--fail-on <what>', 'exit 1 when: any MUST test fails, or only on a failure not explained in reports/knownDifferences.ts (CI)').choices(['must', 'unexplained']).default('must'))
    .option('--work-dir <dir>', 'where temporary bundles and state go (default: the OS temp dir)');
}

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer (got ${v})`);
  return n;
}

function listTests(filter?: RegExp): string {
  const tests = selectTests(allTests, filter);
  const w = Math.max(...tests.map((t) => t.id.length));
  return `${tests.map((t) => `${t.id.padEnd(w)}  ${t.level.padEnd(6)}  ${sectionName(t.section).padEnd(40)}  ${t.title}`).join('\n')}\n${tests.length} tests\n`;
}

function progress(r: TestResult): void {
  const mark = r.outcome === 'pass' ? 'PASS' : r.outcome === 'fail' ? 'FAIL' : 'SKIP';
  process.stderr.write(`${mark} ${r.id}${r.outcome === 'pass' ? '' : `: ${(r.message ?? '').split('\n')[0].slice(0, 200)}`} (${r.durationMs} ms)\n`);
}

/** Returns the process exit code: 1 when any MUST test failed, 2 on usage errors. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const o = program.opts<CliOptions>();
  let filter: RegExp | undefined;
  try {
    filter = o.filter ? new RegExp(o.filter) : undefined;
  } catch (e) {
    process.stderr.write(`strata-spec-tests: --filter: ${(e as Error).message}\n`);
    return 2;
  }
  if (o.list) {
    process.stdout.write(listTests(filter));
    return 0;
  }
  const entries = o.compare ? o.compare.split(',').filter(Boolean) : o.runtime ? [o.runtime] : [];
  if (entries.length === 0) {
    process.stderr.write('strata-spec-tests: give --runtime PATH or --compare A,B (see --help)\n');
    return 2;
  }
  let specs;
  try {
    specs = entries.map((e) => parseRuntimeSpecifier(e, o.compare ? undefined : o.wrapper));
  } catch (e) {
    process.stderr.write(`strata-spec-tests: ${(e as Error).message}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // One rootfs for all runtimes of a --compare run.
  const shared = fs.mkdtempSync(path.join(o.workDir ?? os.tmpdir(), 'strata-spec-tests-rootfs-'));
  fs.chmodSync(shared, 0o755);
  const reports: SuiteReport[] = [];
  try {
    const rootfs = await prepareRootfs(shared, o.rootfsScript);
    for (const spec of specs) {
      log(`== ${spec.name}`);
      try {
        reports.push(
          await runSuite(allTests, {
            runtime: spec,
            filter,
            rootfs,
            workDir: o.workDir,
            verbose: !!o.verbose,
            propertyRuns: o.propertyRuns,
            propertyMaxCommands: o.propertyMaxCommands,
            propertySeed: o.propertySeed,
            onResult: progress,
            log,
          }),
        );
      } catch (e) {
        log(`strata-spec-tests: ${spec.name}: ${(e as Error).message}`);
        return 2;
      }
    }
  } finally {
    removeTree(shared);
  }
  const text = render(o.format, reports, !!o.verbose);
  if (o.output) fs.writeFileSync(o.output, text);
  else process.stdout.write(text);
  if (o.matrix) {
    fs.writeFileSync(o.matrix, renderMatrix(reports, { command: `strata-spec-tests ${argv.join(' ')}` }));
    log(`matrix written to ${o.matrix}`);
  }
  if (o.output || o.format !== 'table') for (const r of reports) { const s = summarize(r.results); log(`${r.runtime.name}: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`); }
  if (o.failOn === 'unexplained') {
    // CI mode: a known, documented deviation (e.g. runc's delete of a created container) is not a
    // regression; anything else that fails is.
    const unexplained = reports.flatMap((r) => r.results.filter((t) => t.outcome === 'fail' && !explain(t.id, r.runtime.name, t)).map((t) => `${r.runtime.name}: ${t.id}`));
    for (const u of unexplained) log(`unexplained failure: ${u}`);
    return unexplained.length ? 1 : 0;
  }
  return reports.some((r) => summarize(r.results).mustFailed > 0) ? 1 : 0;
}
