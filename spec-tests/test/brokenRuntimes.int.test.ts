// Self-test: the suite must catch a broken runtime, and blame exactly the right tests. Each
// wrapper below breaks runc in one way; the suite runs a small selection and the set of failing
// tests must be exactly the expected one. Needs root and runc.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allTests } from '../src/suites/index';
import { runSuite, prepareRootfs, removeTree } from '../src/framework/runner';
import { resolveOnPath } from '../src/framework/runtimeInfo';
import type { TestResult } from '../src/framework/testCase';

const runc = resolveOnPath('runc');
const isRoot = process.getuid?.() === 0;
let work = '';
let rootfs = '';

/** Finds the operation and --bundle among runc-style arguments. */
const PARSE = `cmd=""; bundle=""; prev=""
for a in "$@"; do
  [ "$prev" = --bundle ] && bundle="$a"
  case "$a" in create|start|state|kill|delete|pause|resume) [ -z "$cmd" ] && cmd="$a";; esac
  prev="$a"
done`;

const wrappers: Record<string, string> = {
  // Forgets config.json's hostname: only the hostname test may notice.
  'drop-hostname': `${PARSE}
[ "$cmd" = create ] && sed -i '/"hostname":/d' "$bundle/config.json"
exec RUNC "$@"`,
  // Leaves a tmpfs mounted in the bundle after a successful create: a leak on the host.
  'leak-mount': `${PARSE}
RUNC "$@"; rc=$?
if [ "$cmd" = create ] && [ $rc = 0 ]; then mkdir -p "$bundle/leak" && mount -t tmpfs strata-leak "$bundle/leak"; fi
exit $rc`,
  // Reports a created container as running.
  'lying-state': `${PARSE}
if [ "$cmd" = state ]; then out=$(RUNC "$@") || exit $?; printf '%s\\n' "$out" | sed 's/"status": "created"/"status": "running"/'; exit 0; fi
exec RUNC "$@"`,
};

function wrapper(name: string): string {
  const file = path.join(work, `${name}.sh`);
  fs.writeFileSync(file, `#!/bin/sh\n${wrappers[name].replace(/RUNC/g, runc!)}\n`, { mode: 0o755 });
  return file;
}

async function run(runtime: string, filter: RegExp, propertyRuns = 5): Promise<TestResult[]> {
  const report = await runSuite(allTests, { runtime: { name: path.basename(runtime), runtime }, filter, rootfs, workDir: work, verbose: false, propertyRuns, propertyMaxCommands: 6 });
  return report.results;
}

const failing = (rs: TestResult[]) => rs.filter((r) => r.outcome === 'fail').map((r) => r.id).sort();

describe.skipIf(!runc || !isRoot)('the suite detects broken runtimes', () => {
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-spec-selftest-'));
    fs.chmodSync(work, 0o755);
    rootfs = await prepareRootfs(work);
  });
  afterAll(() => {
    if (work) removeTree(work);
  });

  it('runc passes the core lifecycle, operation and state tests (except its known delete deviation)', async () => {
    const rs = await run(runc!, /^(lifecycle|operations|state)\./);
    expect(rs.length).toBeGreaterThan(25);
    expect(failing(rs)).toEqual(['operations.delete.created']);
  });

  it('a runtime that drops the hostname fails exactly the hostname test', async () => {
    const rs = await run(wrapper('drop-hostname'), /^(hostname|lifecycle\.start\.runs-program|process\.env|namespaces\.new\.uts)$/);
    expect(rs).toHaveLength(4);
    expect(failing(rs)).toEqual(['hostname']);
  });

  it('a runtime that leaks a mount fails every test that created a container, naming the mount', async () => {
    const rs = await run(wrapper('leak-mount'), /^(hostname|lifecycle\.exit\.status-stopped|operations\.state\.unknown-id)$/);
    expect(failing(rs)).toEqual(['hostname', 'lifecycle.exit.status-stopped']);
    for (const r of rs.filter((x) => x.outcome === 'fail')) expect(r.leaks.join(' ')).toMatch(/mount left on the host: .*\/leak \(tmpfs\)/);
    // ...and the suite cleaned the leak up itself.
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain('strata-leak');
  });

  it('a runtime that lies about the state fails the state tests and the lifecycle property', async () => {
    const rs = await run(wrapper('lying-state'), /^(lifecycle\.create\.status-created|state\.schema\.created|lifecycle\.start\.runs-program|operations\.kill\.stopped|property\.lifecycle)$/, 10);
    expect(failing(rs)).toEqual(['lifecycle.create.status-created', 'property.lifecycle', 'state.schema.created']);
    expect(rs.find((r) => r.id === 'property.lifecycle')?.message).toMatch(/create in state absent: expected state created, state says running/);
  });
});
