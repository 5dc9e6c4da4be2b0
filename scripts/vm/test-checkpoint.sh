#!/usr/bin/env bash
# npm run test:checkpoint: checkpoint/restore with real CRIU, in the Debian 12 qemu guest (CRIU
# 3.17 cannot run on newer host kernels: `criu check` fails there, and the commands say so).
# Builds the guest image when missing or stale (it carries criu and containerd), runs
# scripts/vm/checkpoint-job.sh in it (the checkpoint tests of every layer, then lesson 12: about
# half an hour under software emulation, hence the 3600 s limit), prints the summary. Reports:
# scripts/vm/reports/checkpoint/.
# Exit status: non-zero if any test failed (or the guest could not run).
set -uo pipefail
cd "$(dirname "$0")/../.."
unset NODE_EXTRA_CA_CERTS
out=scripts/vm/reports/checkpoint
bash scripts/vm/build-image.sh || exit 1
for f in layers/runtime/dist/strata-runtime.mjs layers/runtime/dist/strata-init layers/shim/dist/containerd-shim-strata-v2.mjs; do
  [ -f "$f" ] || { echo "test:checkpoint: $f missing: run npm run build first" >&2; exit 1; }
done
[ -d /var/lib/strata/bundles/busybox ] || bash scripts/default-bundle.sh || exit 1
mkdir -p "$out"
rm -f "$out/summary.md"
# The OCI image the containerd test imports: the guest has no /var/lib/strata/images, so it travels
# through the repository share for the run (removed afterwards).
share=$out/.image
rm -rf "$share"
if [ -f /var/lib/strata/images/busybox.oci.tar ]; then mkdir -p "$share" && cp /var/lib/strata/images/busybox.oci.tar "$share/"; fi
tested="git $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- 2>/dev/null || echo ' + uncommitted changes'), dist built $(date -u -r layers/runtime/dist/strata-runtime.mjs +%FT%TZ)"
start=$(date +%s)
STRATA_VM_TIMEOUT=${STRATA_VM_TIMEOUT:-3600} STRATA_VM_LOG=$out/console.log bash scripts/vm/run.sh scripts/vm/checkpoint-job.sh
status=$?
rm -rf "$share"
[ -f "$out/summary.md" ] && printf '\nTested: %s. Whole run (boot to power-off): %s s, exit status %s.\n' "$tested" $(($(date +%s) - start)) "$status" >>"$out/summary.md"
echo
if [ -f "$out/summary.md" ]; then cat "$out/summary.md"; else echo "test:checkpoint: no summary (guest status $status)"; fi
exit $status
