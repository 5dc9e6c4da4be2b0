// @strata/spec-tests: the OCI runtime conformance suite as a library (the CLI is src/cli).
export { allTests } from './suites/index';
export { runSuite, summarize, selectTests, type SuiteReport, type RunOptions } from './framework/runner';
export type { ConformanceTest, TestResult, Level, Outcome } from './framework/testCase';
export { specUrl } from './framework/testCase';
export { renderTable } from './reports/table';
export { renderTap } from './reports/tap';
export { renderJunit } from './reports/junit';
export { renderJson } from './reports/json';
export { renderMatrix } from './reports/matrix';
