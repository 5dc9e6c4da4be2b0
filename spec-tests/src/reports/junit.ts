// JUnit XML, the format CI systems render: one <testsuite> per runtime, one <testcase> per test,
// classname = spec area (the id's first part).
import type { SuiteReport } from '../framework/runner';
import { summarize } from '../framework/runner';

export function xmlEscape(s: string): string {
  // Characters XML 1.0 forbids (control characters other than tab/newline/CR) are dropped.
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function renderJunit(reports: SuiteReport[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites name="strata-spec-tests">'];
  for (const report of reports) {
    const s = summarize(report.results);
    const time = report.results.reduce((a, r) => a + r.durationMs, 0) / 1000;
    out.push(
      `  <testsuite name="${xmlEscape(report.runtime.name)}" tests="${report.results.length}" failures="${s.failed}" errors="0" skipped="${s.skipped}" time="${time.toFixed(3)}" timestamp="${xmlEscape(report.startedAt)}">`,
    );
    out.push('    <properties>');
    out.push(`      <property name="runtime.version" value="${xmlEscape(report.runtime.version)}"/>`);
    if (report.runtime.wrapper) out.push(`      <property name="runtime.wrapper" value="${xmlEscape(report.runtime.wrapper)}"/>`);
    out.push(`      <property name="host.kernel" value="${xmlEscape(report.host.kernel)}"/>`);
    out.push(`      <property name="host.cgroup" value="${xmlEscape(report.host.cgroupMode)}"/>`);
    out.push('    </properties>');
    for (const r of report.results) {
      const attrs = `classname="${xmlEscape(r.id.split('.')[0])}" name="${xmlEscape(`${r.id}: ${r.title} [${r.level}]`)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
      if (r.outcome === 'pass') {
        out.push(`    <testcase ${attrs}/>`);
      } else if (r.outcome === 'skip') {
        out.push(`    <testcase ${attrs}><skipped message="${xmlEscape(r.message ?? '')}"/></testcase>`);
      } else {
        out.push(`    <testcase ${attrs}>`);
        out.push(`      <failure message="${xmlEscape(r.message ?? '')}" type="${r.level}">${xmlEscape([r.section, ...r.commands.map((c) => `$ ${c}`)].join('\n'))}</failure>`);
        out.push('    </testcase>');
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
