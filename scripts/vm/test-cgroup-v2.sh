#!/usr/bin/env bash
# npm run test:cgroup-v2: the cgroup v2 code paths on a real pure cgroup v2 kernel, in a qemu guest
# (too slow for `npm test`: ~ the time in scripts/vm/README.md). Builds the guest image when missing,
# runs scripts/vm/cgroup-v2-job.sh in it, prints the summary. Reports: spec-tests/reports/cgroup-v2/.
# Exit status: non-zero if any test failed (or the guest could not run).
set -uo pipefail
cd "$(dirname "$0")/../.."
unset NODE_EXTRA_CA_CERTS
out=spec-tests/reports/cgroup-v2
bash scripts/vm/build-image.sh || exit 1
# The guest runs what the host built: the bundles and the helper must exist (npm run build).
for f in layers/runtime/dist/strata-runtime.mjs layers/runtime/dist/strata-init spec-tests/dist/strata-spec-tests.mjs; do
  [ -f "$f" ] || { echo "test:cgroup-v2: $f missing: run npm run build (or npm run setup) first" >&2; exit 1; }
done
[ -d /var/lib/strata/bundles/busybox ] || bash scripts/default-bundle.sh || exit 1
mkdir -p "$out"
rm -f "$out/summary.md"
# What was tested: the commit, whether the work tree differed, when the bundles were built.
tested="git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- 2>/dev/null || echo ' + uncommitted changes'), dist built $(date -u -r layers/runtime/dist/strata-runtime.mjs +%FT%TZ)"
start=$(date +%s)
STRATA_VM_LOG=$out/console.log bash scripts/vm/run.sh scripts/vm/cgroup-v2-job.sh
status=$?
if [ -f "$out/summary.md" ]; then
  printf '\nTested: %s. Whole run (boot to power-off): %s s, exit status %s.\n' "$tested" $(($(date +%s) - start)) "$status" >>"$out/summary.md"
fi
echo
if [ -f "$out/summary.md" ]; then cat "$out/summary.md"; else echo "test:cgroup-v2: no summary (guest status $status)"; fi
echo "reports: $out/ (summary.md, conformance.md, matrix.md, conformance.json, vitest.json, console.log)"
exit $status
