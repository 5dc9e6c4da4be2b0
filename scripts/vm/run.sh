#!/usr/bin/env bash
# Run one job script as root in the cgroup v2 guest (image from build-image.sh) and return its
# exit code. Usage: scripts/vm/run.sh JOB.sh
#   The guest boots with cgroup_no_v1=all (pure cgroup v2, controllers delegated from the root),
#   the repository shared read-write over 9p at its host path (node_modules symlinks and dist/
#   bundles resolve), the host's node binary shared read-only and linked as /usr/local/bin/node,
#   /var/lib/strata/bundles/busybox copied in. The job runs in the repository with the STRATA_*
#   variables of this environment (except STRATA_VM_*); its output streams on the console.
# Env: STRATA_VM_DIR (image dir), STRATA_VM_TIMEOUT (hard limit in seconds, default 2400),
#      STRATA_VM_MEM (MiB, default 3072), STRATA_VM_CPUS (default: host cores, at most 4),
#      STRATA_VM_LOG (also write the console to this file),
#      STRATA_VM_ACCEL (auto, the default: kvm when the host has hardware virtualization through
#      kvm_intel or kvm_amd, else tcg; kvm forces accel=kvm:tcg; tcg forces software emulation).
#   A /dev/kvm is not enough: on a host whose KVM is kvm_pvm (a nested, page-table based hypervisor
#   without VT-x/AMD-V), qemu accepts accel=kvm but only a PVM-enabled guest kernel boots on it;
#   Debian's stock kernel hangs right after the boot loader, so auto picks tcg there.
# Exit status: the job's; 124 when the time limit was hit, 125 when the guest reported nothing.
set -uo pipefail
job=${1:?usage: run.sh JOB.sh}
[ -f "$job" ] || { echo "run.sh: no such job script: $job" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
img=${STRATA_VM_DIR:-/var/cache/strata/vm}
limit=${STRATA_VM_TIMEOUT:-2400}
mem=${STRATA_VM_MEM:-3072}
cpus=${STRATA_VM_CPUS:-$(nproc)}
((cpus > 4)) && cpus=4
for f in vmlinuz initrd.img rootfs.img; do
  [ -f "$img/$f" ] || { echo "run.sh: $img/$f missing: build the image first (npm run vm:image)" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "run.sh: qemu-system-x86_64 missing (npm run vm:image installs it)" >&2; exit 2; }
node=$(command -v node) || { echo "run.sh: node not on PATH" >&2; exit 2; }
nodedir=$(dirname "$(readlink -f "$node")")

run=$(mktemp -d /tmp/strata-vm.XXXXXX)
qpid=
cleanup() {
  [ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null
  rm -rf "$run"
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM
# The guest sees the repository live over 9p, but runs the build outputs as they were at boot: a
# host `npm run build` during a run (it rewrites dist/, chunk names included) would otherwise pull
# files from under the guest. Copied into the run share (retried if a build was writing meanwhile)
# and bound over the repository's dist/ directories in the guest by a preamble of the job.
snapshot() {
  local d
  for d in layers/*/dist spec-tests/dist; do
    [ -d "$repo/$d" ] || continue
    mkdir -p "$run/dist/$d"
    cp -a "$repo/$d/." "$run/dist/$d/" || return 1
  done
}
listing() { (cd "$repo" && ls -lR --full-time layers/*/dist spec-tests/dist 2>/dev/null | md5sum); }
for try in 1 2 3 4 5; do
  before=$(listing)
  rm -rf "$run/dist"
  snapshot && [ "$(listing)" = "$before" ] && break
  [ "$try" = 5 ] && { echo "run.sh: dist/ kept changing while being copied (a build running?)" >&2; exit 2; }
  sleep 2
done
{
  echo '# run.sh preamble: the build outputs snapshotted at boot, over the live ones.'
  echo 'for d in $(cd /run/strata-vm/dist 2>/dev/null && echo layers/*/dist spec-tests/dist); do'
  echo '  [ -d "/run/strata-vm/dist/$d" ] && [ -d "$d" ] && mount --bind "/run/strata-vm/dist/$d" "$d"'
  echo 'done'
  cat "$job"
} >"$run/job.sh"
# STRATA_* settings travel to the job (quoted by declare -p), the VM's own knobs do not.
env | cut -d= -f1 | grep '^STRATA_' | grep -v '^STRATA_VM_' | while read -r v; do declare -p "$v" | sed 's/^declare -x /export /'; done >"$run/env"
bundle=()
if [ -d /var/lib/strata/bundles/busybox ]; then
  : >"$run/has-bundle"
  bundle=(-virtfs local,path=/var/lib/strata/bundles/busybox,mount_tag=strata_bundle,security_model=none,readonly=on,multidevs=remap)
fi

# The guest's own limit leaves time to write the exit code and power off before ours.
accel=${STRATA_VM_ACCEL:-auto}
if [ "$accel" = auto ]; then
  accel=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then accel=kvm; fi
fi
case $accel in
  kvm) machine=q35,accel=kvm:tcg cpu=max ;;
  tcg) machine=q35,accel=tcg cpu=max ;;
  *) echo "run.sh: STRATA_VM_ACCEL must be auto, kvm or tcg (not $accel)" >&2; exit 2 ;;
esac

glimit=$((limit > 180 ? limit - 60 : limit * 2 / 3))
append="root=/dev/vda rw console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off init=/sbin/strata-vm-init systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all strata.repo=$repo strata.timeout=$glimit"
start=$(date +%s)
echo "run.sh: booting the cgroup v2 guest ($accel, $cpus cpus, $mem MiB, limit ${limit}s) for $job"
qemu=(qemu-system-x86_64 -machine "$machine" -cpu "$cpu" -smp "$cpus" -m "$mem"
  -nodefaults -no-user-config -display none -no-reboot -serial stdio -monitor none
  -kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "$append"
  -drive "file=$img/rootfs.img,format=raw,if=virtio,snapshot=on"
  -fw_cfg "name=opt/strata/job,file=$run/job.sh"
  -virtfs "local,path=$run,mount_tag=strata_run,security_model=none,multidevs=remap"
  -virtfs "local,path=$repo,mount_tag=strata_repo,security_model=none,multidevs=remap"
  -virtfs "local,path=$nodedir,mount_tag=strata_node,security_model=none,readonly=on,multidevs=remap"
  "${bundle[@]}")
# -cpu max under TCG warns about every feature it cannot emulate: drop those lines only.
if [ -n "${STRATA_VM_LOG:-}" ]; then
  timeout -k 10 "$limit" "${qemu[@]}" </dev/null 2> >(grep -v 'TCG doesn.t support requested feature' >&2) | tee "$STRATA_VM_LOG" &
else
  timeout -k 10 "$limit" "${qemu[@]}" </dev/null 2> >(grep -v 'TCG doesn.t support requested feature' >&2) &
fi
qpid=$!
wait "$qpid"
qstatus=$?
qpid=
elapsed=$(($(date +%s) - start))
if [ -f "$run/exit-code" ]; then
  code=$(cat "$run/exit-code")
  echo "run.sh: guest job exited with $code after ${elapsed}s"
elif ((elapsed >= limit)); then
  echo "run.sh: hard time limit of ${limit}s reached, guest killed" >&2
  code=124
else
  echo "run.sh: the guest reported no exit code (qemu status $qstatus after ${elapsed}s)" >&2
  code=125
fi
exit "$code"
