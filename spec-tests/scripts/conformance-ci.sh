#!/usr/bin/env bash
# CI run of the conformance suite: runc and strata-runtime (when installed), crun through the
# hybrid-cgroup wrapper when the host is a v1 hybrid and crun exists. Bounded: every test has a
# timeout, the property tests run 10 sequences of at most 8 operations, the whole job is capped.
# Writes JUnit XML per runtime to ${OUT:-reports/ci}/. Exit status: non-zero if any MUST failed.
set -uo pipefail
cd "$(dirname "$0")/.."
unset NODE_EXTRA_CA_CERTS
OUT=${OUT:-reports/ci}
mkdir -p "$OUT"
runtimes=()
command -v runc >/dev/null && runtimes+=(runc)
command -v strata-runtime >/dev/null && runtimes+=(strata-runtime)
if command -v crun >/dev/null; then
  if grep -q ' /sys/fs/cgroup/unified .* cgroup2 ' /proc/self/mountinfo; then runtimes+=(crun:hybrid-cgroup); else runtimes+=(crun); fi
fi
status=0
for rt in "${runtimes[@]}"; do
  name=${rt%%:*}
  echo "== $rt"
  timeout 600 node dist/strata-spec-tests.mjs --runtime "$rt" --property-runs 10 --fail-on unexplained --format junit --output "$OUT/$name.junit.xml" || status=1
done
exit $status
