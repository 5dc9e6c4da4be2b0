// The human report: one line per test with its result, level and spec section, then the
// summary line `N passed, N failed, N skipped`.
import type { SuiteReport } from '../framework/runner';
import { summarize } from '../framework/runner';
import type { TestResult } from '../framework/testCase';

const MARK: Record<TestResult['outcome'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

export function sectionName(url: string): string {
  const m = /\/([\w-]+)\.md#([\w-]+)$/.exec(url);
  return m ? `${m[1]}.md#${m[2]}` : url;
}

export function renderTable(report: SuiteReport, opts: { verbose?: boolean } = {}): string {
  const rows = report.results.map((r) => [MARK[r.outcome], r.level, r.id, sectionName(r.section), r.outcome === 'pass' ? '' : (r.message ?? '')]);
  const head = ['RESULT', 'LEVEL', 'TEST', 'SECTION', 'DETAIL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (i < 4 ? r[i].length : 0))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 4 ? c.padEnd(widths[i]) : oneLine(c)))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  out.push(`runtime: ${report.runtime.name} (${report.runtime.path}) ${report.runtime.version}`);
  if (report.runtime.wrapper) out.push(`wrapper: ${report.runtime.wrapper} -> ${report.runtime.invoke}`);
  out.push(`host: kernel ${report.host.kernel}, cgroup ${report.host.cgroupMode}, CAP_SYS_RESOURCE ${report.host.capSysResource ? 'yes' : 'no'}; spec ${report.specVersion}`);
  out.push('');
  out.push(line(head));
  for (const r of rows) out.push(line(r));
  if (opts.verbose) {
    for (const r of report.results.filter((x) => x.outcome === 'fail')) {
      out.push('', `--- ${r.id} (${r.title})`, `    ${r.message ?? ''}`, ...r.commands.map((c) => `    $ ${c}`));
    }
  }
  const s = summarize(report.results);
  out.push('');
  out.push(`${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`);
  return `${out.join('\n')}\n`;
}

function oneLine(s: string, max = 160): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}
