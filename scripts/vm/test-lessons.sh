#!/usr/bin/env bash
# npm run test:lessons-v2: every lesson of tutorials/ and every lab, on pure cgroup v2, in the
# Debian 12 guest (scripts/vm/run.sh) with the host's build. The guest image is the test image
# plus the packages the lessons use (docker.io for the docker CLI, docker-registry, the CNI
# plugins, catatonit, jq, curl, podman), kept apart in /var/cache/strata/vm-lessons.
# Needs root, qemu, a host `npm run build` and the default bundle and image (`npm run setup`).
# Reports in scripts/vm/reports/lessons/. Knobs: see lessons-job.sh; STRATA_VM_TIMEOUT (default 5400 s).
set -uo pipefail
cd "$(dirname "$0")/../.."
unset NODE_EXTRA_CA_CERTS
out=scripts/vm/reports/lessons
export STRATA_VM_DIR=${STRATA_VM_LESSONS_DIR:-/var/cache/strata/vm-lessons}
STRATA_VM_EXTRA_PACKAGES=docker.io,docker-registry,containernetworking-plugins,catatonit,podman,conmon,jq,curl,psmisc,util-linux \
  bash scripts/vm/build-image.sh || exit 1
for f in layers/runtime/dist/strata-runtime.mjs layers/runtime/dist/strata-init tutorials/labs/dist/strata-lab.mjs; do
  [ -f "$f" ] || { echo "test:lessons-v2: $f missing: run npm run build first" >&2; exit 1; }
done
[ -d /var/lib/strata/bundles/busybox ] || bash scripts/default-bundle.sh || exit 1
[ -f /var/lib/strata/images/busybox.oci.tar ] || bash scripts/default-image.sh || exit 1
mkdir -p "$out/.image"
cp /var/lib/strata/images/busybox.oci.tar "$out/.image/"
tested="git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . ':!scripts/classroom/proof' ':!scripts/vm/reports' 2>/dev/null || echo ' + uncommitted changes')"
start=$(date +%s)
STRATA_VM_TIMEOUT=${STRATA_VM_TIMEOUT:-5400} STRATA_VM_LOG=$out/console.log bash scripts/vm/run.sh scripts/vm/lessons-job.sh
status=$?
rm -rf "$out/.image"
[ -f "$out/summary.md" ] && printf '\nTested: %s. Boot to power-off: %s s, exit status %s.\n' "$tested" $(($(date +%s) - start)) "$status" >>"$out/summary.md"
if [ -f "$out/summary.md" ]; then cat "$out/summary.md"; else echo "test:lessons-v2: no summary (guest status $status)"; fi
exit $status
