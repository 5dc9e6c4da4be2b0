// Why a runtime does not pass a test: a real deviation from the spec (quoted) or a limitation of
// the host. The matrix prints these next to each non-pass; anything not listed is shown as
// "unexplained" so nobody can miss a new difference.
import type { TestResult } from '../framework/testCase';

interface Explanation {
  /** Test id (exact) or prefix ending in '*'. */
  test: string;
  /** Runtime display-name prefix ("runc", "crun"), or '*' for any. */
  runtime: string;
  /** Only for this outcome (default: any non-pass). */
  outcome?: TestResult['outcome'];
  text: string;
}

export const knownDifferences: Explanation[] = [
  // Skips are host limitations by construction: the skip message names the missing capability.
  { test: '*', runtime: '*', outcome: 'skip', text: 'host limitation: the test needs what the skip reason names; it did not run.' },
];

export function explain(testId: string, runtimeName: string, result: TestResult): string | undefined {
  for (const e of knownDifferences) {
    const testOk = e.test === testId || (e.test.endsWith('*') && testId.startsWith(e.test.slice(0, -1)));
    const rtOk = e.runtime === '*' || runtimeName.startsWith(e.runtime);
    if (testOk && rtOk && (e.outcome === undefined || e.outcome === result.outcome)) return e.text;
  }
  return undefined;
}
