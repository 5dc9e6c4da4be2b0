#!/usr/bin/env bash
# The job of `npm run test:lessons-v2`, run by scripts/vm/run.sh as root inside the cgroup v2
# guest built with the lessons' packages (test-lessons.sh): the tutorials (`node
# scripts/tutorials.mjs`, time limits scaled for software emulation) and every lab's reference
# solution followed by its check, on pure cgroup v2 with the host's build. The classroom proof
# (scripts/classroom/vm-proof.sh) does the same on a freshly provisioned machine in hours; this
# takes the host's dist/ and a ready image, so it answers "do the lessons pass on cgroup v2?" in
# well under an hour.
# Reports in scripts/vm/reports/lessons/ (through the share): tutorials.log, labs.log, summary.md.
# Knobs: STRATA_LESSONS (the runner's lesson arguments, default all; "none" skips),
#   STRATA_LESSONS_SCALE (--timeout-scale, default 10), STRATA_LESSONS_LABS ("none" skips the labs).
set -uo pipefail
unset NODE_EXTRA_CA_CERTS
out=scripts/vm/reports/lessons
repo=$(pwd)
mkdir -p "$out"
rm -f "$out"/tutorials.log "$out"/labs.log "$out"/summary.md
# guest-init.sh links strata-runtime and strata-spec-tests; the lessons use every binary.
for b in layers/shim/dist/containerd-shim-strata-v2 layers/manager/dist/strata-manager layers/manager/dist/strata-ctr \
         layers/cri/dist/strata-cri layers/cri/dist/strata-crictl layers/engine/dist/strata-engine layers/engine/dist/strata \
         tutorials/labs/dist/strata-lab; do
  ln -sf "$repo/$b.mjs" "/usr/local/bin/$(basename "$b")"
done
# The default OCI image (test-lessons.sh passes the host's through the share).
if [ -f "$out/.image/busybox.oci.tar" ]; then
  mkdir -p /var/lib/strata/images && cp "$out/.image/busybox.oci.tar" /var/lib/strata/images/
fi
status=0
lessons=${STRATA_LESSONS:-}
t0=$(date +%s)
if [ "$lessons" != none ]; then
  # shellcheck disable=SC2086 # lesson numbers are words
  node scripts/tutorials.mjs --keep-going --timeout-scale "${STRATA_LESSONS_SCALE:-10}" $lessons >"$out/tutorials.log" 2>&1 || status=1
fi
t1=$(date +%s)
if [ "${STRATA_LESSONS_LABS:-}" != none ]; then
  export STRATA_LAB_HOME=/tmp/labs
  for n in $(strata-lab list | awk 'NR > 1 { print $1 }'); do
    strata-lab start "$n" >/dev/null && (cd "$STRATA_LAB_HOME"/0"$n"-* && bash -c "$(strata-lab solution "$n" | tail -n +2)" >/dev/null 2>&1)
    strata-lab check "$n"; rc=$?
    echo "lab $n: $rc"
    [ "$rc" = 0 ] || status=1
    strata-lab reset "$n" >/dev/null
  done >"$out/labs.log" 2>&1
fi
t2=$(date +%s)
{
  echo "# Lessons and labs on cgroup v2"
  echo
  echo "Guest: $(uname -r), cgroup v2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers), $(nproc) vCPUs."
  echo
  echo "- tutorials: $(grep -E '^tutorials: [0-9]+ passed' "$out/tutorials.log" 2>/dev/null | tail -n 1 | sed 's/^tutorials: //' || echo 'not run') ($((t1 - t0)) s)"
  echo "- labs: $(grep -c ': 0$' "$out/labs.log" 2>/dev/null || true) of $(grep -c '^lab ' "$out/labs.log" 2>/dev/null || true) passed with their reference solutions ($((t2 - t1)) s)"
} >"$out/summary.md"
exit $status
