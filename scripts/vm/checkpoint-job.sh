#!/usr/bin/env bash
# The job of `npm run test:checkpoint`, run by scripts/vm/run.sh as root inside the Debian 12
# guest (kernel 6.1, where CRIU 3.17's `criu check` passes; it fails on the project's 6.18 hosts).
# vitest on the checkpoint/restore tests: strata-runtime's checkpoint/restore, the shim's
# Task.Checkpoint / restore-on-Create (side by side with containerd-shim-runc-v2 + runc, and under
# real containerd with ctr), and the lifecycle model with checkpoint/restore in its random
# sequences; timeouts raised for software emulation. Reports in scripts/vm/reports/checkpoint/ (through the
# repository share): vitest.json, summary.md. Exit 1 if anything failed or CRIU is unusable.
set -uo pipefail
unset NODE_EXTRA_CA_CERTS
out=scripts/vm/reports/checkpoint
mkdir -p "$out"
rm -f "$out"/vitest.json "$out"/summary.md
t0=$(date +%s)
echo "== guest: $(uname -r); $(criu --version | head -n 1); runc: $(runc --version | head -n 1)"
if ! criu check; then
  echo "== criu check failed in the guest: nothing to test" >&2
  exit 1
fi
# The OCI image for the containerd test (see test-checkpoint.sh), onto the guest's own disk.
if [ -f "$out/.image/busybox.oci.tar" ]; then
  mkdir -p /var/lib/strata/images && cp "$out/.image/busybox.oci.tar" /var/lib/strata/images/
fi
status=0
# The lifecycle model (fast-check) draws checkpoint and restore too where CRIU works: a few runs.
export STRATA_MODEL_RUNS=${STRATA_MODEL_RUNS:-4}
node node_modules/vitest/vitest.mjs run --config scripts/vitest.config.ts \
  --testTimeout=900000 --hookTimeout=600000 \
  --reporter=verbose --reporter=json --outputFile.json="$out/vitest.json" \
  ${STRATA_CHECKPOINT_VITEST_FILES:-layers/runtime/test/checkpoint.int.test.ts layers/shim/test/checkpoint.int.test.ts layers/runtime/test/model.int.test.ts} | cat || status=1
t1=$(date +%s)
node - "$out" $((t1 - t0)) "$(uname -r)" "$(criu --version | head -n 1)" <<'JS' || status=1
const fs = require('fs');
const [out, secs, kernel, criu] = process.argv.slice(2);
const lines = ['# checkpoint/restore run (qemu guest)', '', `kernel ${kernel}, ${criu}`, ''];
try {
  const v = JSON.parse(fs.readFileSync(`${out}/vitest.json`, 'utf8'));
  lines.push(`vitest (${secs} s): ${v.numPassedTests} passed, ${v.numFailedTests} failed, ${v.numPendingTests + (v.numTodoTests || 0)} skipped`, '');
  for (const f of v.testResults)
    for (const a of f.assertionResults)
      lines.push(`- ${a.status.toUpperCase()} ${f.name.replace(process.cwd() + '/', '')}: ${a.fullName} (${Math.round((a.duration || 0) / 1000)} s)${a.status === 'failed' && a.failureMessages?.length ? ` — ${a.failureMessages[0].split('\n')[0].slice(0, 300)}` : ''}`);
} catch (e) {
  lines.push(`vitest: no report (${e.message})`);
}
fs.writeFileSync(`${out}/summary.md`, lines.join('\n') + '\n');
JS
echo "== done in $(($(date +%s) - t0)) s, status $status"
exit $status
