#!/usr/bin/env bash
# The job of `npm run test:checkpoint`, run by scripts/vm/run.sh as root inside the Debian 12
# guest (kernel 6.1, where CRIU 3.17's `criu check` passes; it fails on the project's 6.18 hosts).
#   (a) vitest on the checkpoint/restore tests: strata-runtime's checkpoint/restore, the shim's
#       Task.Checkpoint / restore-on-Create (side by side with containerd-shim-runc-v2 + runc, and
#       under real containerd with ctr), strata-manager's Tasks.Checkpoint and strata-ctr, the
#       engine's checkpoints and `strata start --checkpoint`, and the lifecycle model with
#       checkpoint/restore in its random sequences; timeouts raised for software emulation;
#   (b) lesson 12 (tutorials/12-checkpoint-restore.md) with real CRIU, its step time limits scaled;
#   (c) optionally (STRATA_CHECKPOINT_RECORD=1) the checkpoint sequence diagram's trace, recorded
#       here because only here can CRIU run: diagrams/traces/checkpoint-containerd-shim-runtime.jsonl
#       and its own .recorded-on.txt, written through the repository share (nothing is committed).
# Reports in scripts/vm/reports/checkpoint/ (through the share): vitest.json, tutorials.log,
# record.log, summary.md. Exit 1 if anything failed or CRIU is unusable.
# Knobs: STRATA_CHECKPOINT_VITEST_FILES (test files; "none" skips vitest), STRATA_MODEL_RUNS,
#   STRATA_CHECKPOINT_TUTORIALS (the runner's arguments, default "12", or "none" when
#   STRATA_CHECKPOINT_VITEST_FILES is set; "none" skips the lesson),
#   STRATA_CHECKPOINT_TUTORIAL_SCALE (the runner's --timeout-scale, default 10),
#   STRATA_CHECKPOINT_RECORD=1 (record the trace).
set -uo pipefail
unset NODE_EXTRA_CA_CERTS
out=scripts/vm/reports/checkpoint
mkdir -p "$out"
rm -f "$out"/vitest.json "$out"/summary.md "$out"/tutorials.log "$out"/record.log
t0=$(date +%s)
echo "== guest: $(uname -r); $(criu --version | head -n 1); runc: $(runc --version | head -n 1)"
if ! criu check; then
  echo "== criu check failed in the guest: nothing to test" >&2
  exit 1
fi
# The OCI image for the containerd tests, the lesson and the recording (see test-checkpoint.sh),
# onto the guest's own disk.
if [ -f "$out/.image/busybox.oci.tar" ]; then
  mkdir -p /var/lib/strata/images && cp "$out/.image/busybox.oci.tar" /var/lib/strata/images/
fi
status=0

# (a) vitest. The manager's and the engine's checkpoint tests join when they exist.
files=${STRATA_CHECKPOINT_VITEST_FILES:-}
if [ -z "$files" ]; then
  files="layers/runtime/test/checkpoint.int.test.ts layers/shim/test/checkpoint.int.test.ts"
  for f in layers/manager/test/checkpoint.int.test.ts layers/engine/test/checkpoint.int.test.ts; do
    [ -f "$f" ] && files="$files $f"
  done
  files="$files layers/runtime/test/model.int.test.ts"
fi
vitest_secs=
if [ "$files" != none ]; then
  # The lifecycle model (fast-check) draws checkpoint and restore too where CRIU works: a few runs.
  export STRATA_MODEL_RUNS=${STRATA_MODEL_RUNS:-4}
  echo "== vitest: $files"
  node node_modules/vitest/vitest.mjs run --config scripts/vitest.config.ts \
    --testTimeout=900000 --hookTimeout=600000 \
    --reporter=verbose --reporter=json --outputFile.json="$out/vitest.json" \
    $files | cat || status=1
  vitest_secs=$(($(date +%s) - t0))
fi

# (b) the lesson, as a student on a classroom VM runs it (the runner links this checkout's
# binaries first on PATH; npm is not in the guest, so the runner's script is called directly).
t1=$(date +%s)
# A run that names its test files (a helper testing one layer) skips the lesson unless asked too.
lesson_args=${STRATA_CHECKPOINT_TUTORIALS:-$([ -n "${STRATA_CHECKPOINT_VITEST_FILES:-}" ] && echo none || echo 12)}
tutorial_secs=
if [ "$lesson_args" != none ]; then
  echo "== tutorials: --timeout-scale ${STRATA_CHECKPOINT_TUTORIAL_SCALE:-10} $lesson_args"
  # shellcheck disable=SC2086 # the runner's arguments, split on purpose
  node scripts/tutorials.mjs --timeout-scale "${STRATA_CHECKPOINT_TUTORIAL_SCALE:-10}" $lesson_args 2>&1 | tee "$out/tutorials.log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  tutorial_secs=$(($(date +%s) - t1))
fi

# (c) the trace of the checkpoint sequence diagram.
t2=$(date +%s)
record_secs=
if [ "${STRATA_CHECKPOINT_RECORD:-0}" = 1 ]; then
  echo "== recording checkpoint-containerd-shim-runtime"
  # The recorder finds the programs on PATH (setup links them into /usr/local/bin on a host; the
  # guest links only strata-runtime): this checkout's builds, first.
  bin=$(mktemp -d /tmp/strata-bin.XXXXXX)
  for f in runtime/dist/strata-runtime shim/dist/containerd-shim-strata-v2 manager/dist/strata-manager manager/dist/strata-ctr engine/dist/strata-engine engine/dist/strata; do
    [ -f "layers/$f.mjs" ] && ln -s "$PWD/layers/$f.mjs" "$bin/$(basename "$f")"
  done
  PATH=$bin:$PATH node scripts/diagrams.mjs --record-only checkpoint-containerd-shim-runtime 2>&1 | tee "$out/record.log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  rm -rf "$bin"
  record_secs=$(($(date +%s) - t2))
fi

node - "$out" "$(uname -r)" "$(criu --version | head -n 1)" "$vitest_secs" "$tutorial_secs" "$record_secs" <<'JS' || status=1
const fs = require('fs');
const [out, kernel, criu, vitestSecs, tutorialSecs, recordSecs] = process.argv.slice(2);
const lines = ['# checkpoint/restore run (qemu guest)', '', `kernel ${kernel}, ${criu}`, ''];
if (vitestSecs) {
  try {
    const v = JSON.parse(fs.readFileSync(`${out}/vitest.json`, 'utf8'));
    lines.push(`vitest (${vitestSecs} s): ${v.numPassedTests} passed, ${v.numFailedTests} failed, ${v.numPendingTests + (v.numTodoTests || 0)} skipped`, '');
    for (const f of v.testResults)
      for (const a of f.assertionResults)
        lines.push(`- ${a.status.toUpperCase()} ${f.name.replace(process.cwd() + '/', '')}: ${a.fullName} (${Math.round((a.duration || 0) / 1000)} s)${a.status === 'failed' && a.failureMessages?.length ? ` — ${a.failureMessages[0].split('\n')[0].slice(0, 300)}` : ''}`);
  } catch (e) {
    lines.push(`vitest: no report (${e.message})`);
  }
  lines.push('');
}
if (tutorialSecs) {
  // The runner's report without colours: one line per step, the totals last.
  const log = fs.existsSync(`${out}/tutorials.log`) ? fs.readFileSync(`${out}/tutorials.log`, 'utf8').replace(/\x1b\[[0-9;]*m/g, '') : '';
  const total = log.split('\n').filter((l) => /^tutorials: \d+ passed/.test(l)).pop() ?? 'tutorials: did not finish';
  lines.push(`${total} (${tutorialSecs} s, tutorials.log)`, '', '```');
  lines.push(...log.split('\n').filter((l) => /^(lesson \d+|  \S)/.test(l)));
  lines.push('```', '');
}
if (recordSecs) {
  const log = fs.existsSync(`${out}/record.log`) ? fs.readFileSync(`${out}/record.log`, 'utf8').trim().split('\n') : [];
  lines.push(`recording (${recordSecs} s): ${log.filter(Boolean).pop() ?? 'no output'}`, '');
}
fs.writeFileSync(`${out}/summary.md`, lines.join('\n') + '\n');
JS
echo "== done in $(($(date +%s) - t0)) s, status $status"
exit $status
