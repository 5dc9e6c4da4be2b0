// Small assertions that fail with a ConformanceFailure a student can read: what was expected,
// what the runtime did.
import { ConformanceFailure } from './testCase';

export function fail(message: string): never {
  throw new ConformanceFailure(message);
}

export function expect(cond: unknown, message: string): asserts cond {
  if (!cond) fail(message);
}

export function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    fail(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function expectIncludes(haystack: string, needle: string, what: string): void {
  if (!haystack.includes(needle)) fail(`${what}: expected output to contain ${JSON.stringify(needle)}, got ${JSON.stringify(clip(haystack))}`);
}

export function expectMatch(haystack: string, re: RegExp, what: string): RegExpMatchArray {
  const m = re.exec(haystack);
  if (!m) fail(`${what}: expected output to match ${re}, got ${JSON.stringify(clip(haystack))}`);
  return m;
}

export function clip(s: string, max = 400): string {
  const t = s.trim();
  return t.length > max ? `${t.slice(0, max)}...` : t;
}
