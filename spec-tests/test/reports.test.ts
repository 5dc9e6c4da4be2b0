// Unit tests of the report formats: each must carry the outcome, level and section, and the
// table must end with the exact summary line.
import { describe, expect, it } from 'vitest';
import { renderTable } from '../src/reports/table';
import { renderTap } from '../src/reports/tap';
import { renderJunit, xmlEscape } from '../src/reports/junit';
import { renderJson } from '../src/reports/json';
import { renderMatrix } from '../src/reports/matrix';
import type { SuiteReport } from '../src/framework/runner';
import type { TestResult } from '../src/framework/testCase';

function result(id: string, outcome: TestResult['outcome'], level: TestResult['level'] = 'MUST', message?: string): TestResult {
  return { id, title: `title of ${id}`, section: `https://github.com/opencontainers/runtime-spec/blob/v1.2.0/runtime.md#${id.split('.')[1] ?? 'state'}`, level, outcome, message, leaks: [], durationMs: 12, commands: ['runc --root /r state x'] };
}

function report(name: string, results: TestResult[]): SuiteReport {
  return {
    runtime: { name, path: `/usr/bin/${name}`, invoke: `/usr/bin/${name}`, version: `${name} version 1`, features: undefined },
    host: { kernel: '6.1', cgroupMode: 'hybrid', v1Controllers: { memory: '/sys/fs/cgroup/memory' }, v2Mount: '/sys/fs/cgroup/unified', v2Controllers: ['hugetlb'], capSysResource: false, capSysAdmin: true, userNamespaces: true, hugepageSizes: [] },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    specVersion: 'v1.2.0',
    results,
  };
}

const sample = report('runc', [result('a.start', 'pass'), result('b.delete', 'fail', 'MUST', 'delete <created> & "x"'), result('c.kill', 'skip', 'SHOULD', 'CAP_SYS_RESOURCE missing'), result('d.state', 'fail', 'MAY', 'nope # hash')]);

describe('table', () => {
  it('lists every test with level and section and ends with the summary line', () => {
    const text = renderTable(sample);
    expect(text.trimEnd().split('\n').pop()).toBe('1 passed, 2 failed, 1 skipped');
    expect(text).toMatch(/FAIL\s+MUST\s+b\.delete\s+runtime\.md#delete\s+delete <created>/);
    expect(text).toMatch(/SKIP\s+SHOULD\s+c\.kill\s+runtime\.md#kill\s+CAP_SYS_RESOURCE missing/);
  });
});

describe('TAP 13', () => {
  const tap = renderTap(sample).split('\n');
  it('has the version, the plan and one line per test', () => {
    expect(tap[0]).toBe('TAP version 13');
    expect(tap[1]).toBe('1..4');
    expect(tap).toContain('ok 1 a.start - title of a.start');
    expect(tap).toContain('not ok 2 b.delete - title of b.delete');
    expect(tap).toContain('ok 3 c.kill - title of c.kill # SKIP CAP_SYS_RESOURCE missing');
  });
  it('escapes # in descriptions and puts diagnostics in a YAML block', () => {
    const i = tap.indexOf('not ok 4 d.state - title of d.state');
    expect(i).toBeGreaterThan(0);
    expect(tap[i + 1]).toBe('  ---');
    expect(tap.slice(i, i + 8).join('\n')).toContain('level: MAY');
    expect(tap.slice(i, i + 8)).toContain('  ...');
  });
});

describe('JUnit XML', () => {
  const xml = renderJunit([sample]);
  it('counts and escapes', () => {
    expect(xml).toContain('<testsuite name="runc" tests="4" failures="2" errors="0" skipped="1"');
    expect(xml).toContain('message="delete &lt;created&gt; &amp; &quot;x&quot;"');
    expect(xml).toContain('<skipped message="CAP_SYS_RESOURCE missing"/>');
  });
  it('drops characters XML 1.0 cannot hold', () => {
    expect(xmlEscape('a\u0001b<')).toBe('ab&lt;');
  });
});

describe('JSON', () => {
  it('round-trips with a summary', () => {
    const doc = JSON.parse(renderJson([sample])) as { summary: { passed: number; failed: number; mustFailed: number }; results: unknown[] };
    expect(doc.summary).toMatchObject({ passed: 1, failed: 2, mustFailed: 1 });
    expect(doc.results).toHaveLength(4);
  });
});

describe('matrix', () => {
  it('puts runtimes side by side and flags unexplained differences', () => {
    const other = report('crun', [result('a.start', 'fail', 'MUST', 'boom'), result('b.delete', 'pass'), result('c.kill', 'pass'), result('d.state', 'pass')]);
    const md = renderMatrix([sample, other], { date: 'today' });
    expect(md).toContain('| test | level | section | runc | crun |');
    expect(md).toMatch(/\| a\.start \| MUST \| \[runtime\.md#start\]\([^)]+\) \| pass \| \*\*FAIL\*\* \|/);
    expect(md).toContain('### a.start');
    expect(md).toContain('**unexplained**');
    expect(md).toContain('cgroup mode **hybrid**');
  });
});
