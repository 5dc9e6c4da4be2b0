#!/usr/bin/env bash
# The job of `npm run test:cgroup-v2`, run by scripts/vm/run.sh as root inside the cgroup v2
# guest, in the repository (shared from the host). (a) the vitest files that create real cgroups,
# with timeouts raised for TCG; (b) the conformance suite's cgroup-related tests against
# strata-runtime, runc and crun (spec-tests/scripts/conformance-v2.sh). Reports go to
# spec-tests/reports/cgroup-v2/ on the host through the share. Exit 1 if anything failed.
set -uo pipefail
unset NODE_EXTRA_CA_CERTS
out=spec-tests/reports/cgroup-v2
mkdir -p "$out"
rm -f "$out"/vitest.json "$out"/conformance.json "$out"/conformance.md "$out"/matrix.md
status=0
t0=$(date +%s)
echo "== guest: $(uname -r), cgroup2 root controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
echo "== runc: $(runc --version | head -n 1); crun: $(crun --version | head -n 1)"

# The disk's I/O scheduler decides which v2 weight file exists: BFQ offers io.bfq.weight (weights
# as on v1), none/mq-deadline only iocost's io.weight (converted). The vitest part runs under BFQ,
# the conformance part under the default, so both paths meet a real kernel.
sched=/sys/block/vda/queue/scheduler
default_sched=$(sed 's/.*\[\(.*\)\].*/\1/' "$sched")
{ modprobe bfq && echo bfq >"$sched"; } 2>/dev/null || echo "== BFQ not available: the vitest part runs with the $default_sched scheduler"
echo "== vda scheduler: $(cat "$sched")"

# (a) TCG runs 16-36x slower than the host: per-test and hook timeouts of 10 minutes.
echo "== vitest (cgroup tests of layers/linux and layers/runtime)"
# The console is a tty: vitest's default reporter would redraw its progress block into the log
# for every test. The verbose reporter, through a pipe, writes one line per test instead.
node node_modules/vitest/vitest.mjs run --config scripts/vitest.config.ts \
  --testTimeout=600000 --hookTimeout=600000 \
  --reporter=verbose --reporter=json --outputFile.json="$out/vitest.json" \
  ${STRATA_V2_VITEST_FILES:-layers/linux/test/cgroups.test.ts layers/linux/test/cgroups.int.test.ts \
  layers/runtime/test/lifecycle.int.test.ts layers/runtime/test/config.int.test.ts layers/runtime/test/badinput.int.test.ts \
  layers/runtime/test/model.int.test.ts layers/runtime/test/callerCgroup.int.test.ts layers/shim/test/shim.int.test.ts} | cat || status=1
t1=$(date +%s)

# (b) conformance, reports written by the suite itself.
echo "$default_sched" >"$sched"
echo "== conformance (cgroup-related tests), vda scheduler: $(cat "$sched")"
OUT=reports/cgroup-v2 RUNTIMES=${STRATA_V2_RUNTIMES:-} FILTER=${STRATA_V2_FILTER:-} bash spec-tests/scripts/conformance-v2.sh || status=1
t2=$(date +%s)

# summary.md: both parts, with the durations measured here.
node - "$out" $((t1 - t0)) $((t2 - t1)) <<'JS' || status=1
const fs = require('fs');
const [out, tv, tc] = process.argv.slice(2);
const lines = ['# cgroup v2 run (qemu guest)', ''];
try {
  const v = JSON.parse(fs.readFileSync(`${out}/vitest.json`, 'utf8'));
  lines.push(`vitest (${tv} s): ${v.numPassedTests} passed, ${v.numFailedTests} failed, ${v.numPendingTests + (v.numTodoTests || 0)} skipped`, '');
  for (const f of v.testResults) for (const a of f.assertionResults) if (a.status !== 'passed') lines.push(`- ${a.status.toUpperCase()} ${f.name.replace(process.cwd() + '/', '')}: ${a.fullName}${a.failureMessages?.length ? ` — ${a.failureMessages[0].split('\n')[0].slice(0, 300)}` : ''}`);
} catch (e) {
  lines.push(`vitest: no report (${e.message})`);
}
lines.push('', `conformance (${tc} s):`, '');
try {
  lines.push(fs.readFileSync(`${out}/conformance.md`, 'utf8').replace(/^# .*\n/, ''));
} catch (e) {
  lines.push(`no report (${e.message})`);
}
fs.writeFileSync(`${out}/summary.md`, lines.join('\n') + '\n');
JS
echo "== done in $(($(date +%s) - t0)) s, status $status"
exit $status
