// What a conformance test is: an id, the spec section it checks, the requirement level the spec
// gives that sentence, what the host must offer, and a body that drives the runtime under test.
import type { TestContext } from './context';
import type { HostCapabilities } from './hostCapabilities';
import type { RuntimeInfo } from './runtimeInfo';

/** RFC 2119 keywords as the spec uses them. Only a failed MUST makes the run fail. */
export type Level = 'MUST' | 'SHOULD' | 'MAY';

export const SPEC_VERSION = 'v1.2.0';

/** A link to a section of the runtime-spec at the version this suite checks. */
export function specUrl(file: 'runtime' | 'config' | 'config-linux' | 'features', anchor: string): string {
  return `https://github.com/opencontainers/runtime-spec/blob/${SPEC_VERSION}/${file}.md#${anchor}`;
}

export interface ConformanceTest {
  /** Stable id, `area.topic[.detail]`; --filter matches it. */
  id: string;
  title: string;
  /** Spec section URL (specUrl()). */
  section: string;
  level: Level;
  /** Returns a skip reason when the host or runtime cannot run this test, else undefined. */
  requires?: (host: HostCapabilities, runtime: RuntimeInfo) => string | undefined;
  /** Wall-clock limit for the body (cleanup and leak check run after it regardless). */
  timeoutMs?: number;
  run: (ctx: TestContext) => Promise<void>;
}

export type Outcome = 'pass' | 'fail' | 'skip';

export interface TestResult {
  id: string;
  title: string;
  section: string;
  level: Level;
  outcome: Outcome;
  /** Why it failed or was skipped. */
  message?: string;
  /** Resources the runtime left on the host after delete (each one makes the test fail). */
  leaks: string[];
  durationMs: number;
  /** The exact runtime command lines the test ran (always recorded, printed with --verbose). */
  commands: string[];
}

/** Thrown by assertions: the runtime did not do what the spec requires. */
export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

/** Thrown by a test that finds, at run time, that the host or runtime cannot run it. */
export class SkipTest extends Error {
  override name = 'SkipTest';
}

export function defineTests(tests: ConformanceTest[]): ConformanceTest[] {
  return tests;
}
