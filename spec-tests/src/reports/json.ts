// The machine-readable report: everything the run knows, one JSON document (an array when
// several runtimes were compared).
import type { SuiteReport } from '../framework/runner';
import { summarize } from '../framework/runner';

export function toJsonReport(report: SuiteReport) {
  const { featuresRaw: _raw, ...runtime } = report.runtime;
  return { ...report, runtime, summary: summarize(report.results) };
}

export function renderJson(reports: SuiteReport[]): string {
  const docs = reports.map(toJsonReport);
  return `${JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2)}\n`;
}
