// TAP version 13 (testanything.org/tap-version-13-specification): skips as `# SKIP reason`,
// failures with a YAML diagnostic block naming the section and level.
import type { SuiteReport } from '../framework/runner';

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
}

export function renderTap(report: SuiteReport): string {
  const out = ['TAP version 13', `1..${report.results.length}`];
  report.results.forEach((r, i) => {
    const desc = `${r.id} - ${r.title}`.replace(/#/g, '\\#');
    if (r.outcome === 'skip') {
      out.push(`ok ${i + 1} ${desc} # SKIP ${(r.message ?? '').replace(/\n/g, ' ')}`);
      return;
    }
    out.push(`${r.outcome === 'pass' ? 'ok' : 'not ok'} ${i + 1} ${desc}`);
    if (r.outcome === 'fail') {
      out.push('  ---');
      out.push(`  message: ${yamlString(r.message ?? '')}`);
      out.push(`  severity: ${r.level === 'MUST' ? 'fail' : 'warn'}`);
      out.push(`  level: ${r.level}`);
      out.push(`  section: ${yamlString(r.section)}`);
      if (r.leaks.length) out.push('  leaks:', ...r.leaks.map((l) => `    - ${yamlString(l)}`));
      out.push('  ...');
    }
  });
  out.push(`# runtime ${report.runtime.name}: ${report.runtime.version}`);
  return `${out.join('\n')}\n`;
}
