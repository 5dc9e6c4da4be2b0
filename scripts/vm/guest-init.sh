#!/bin/bash
# PID 1 of the Strata test VM (installed into the image as /sbin/strata-vm-init, booted with
# init=). Instead of systemd: mount the kernel filesystems, a pure cgroup v2 hierarchy with the
# controllers delegated from the root, the host's shares (9p), run ONE job as root, write its exit
# code to the run share and power off. It must never exit (the kernel panics when PID 1 exits).
# Kernel command line parameters it reads: strata.repo=DIR (the repository, mounted at the same
# path as on the host), strata.timeout=SECONDS (the job's limit, below run.sh's hard limit).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
say() { echo "strata-vm: $*"; }

halt_now() {
  sync
  busybox poweroff -f 2>/dev/null
  echo o >/proc/sysrq-trigger 2>/dev/null
  while :; do sleep 60; done
}

# mnt TYPE SOURCE DIR [OPTIONS]: mount unless something is already mounted there (the initramfs
# moves /dev, /run, /proc and /sys into the real root before starting us).
mnt() {
  mkdir -p "$3"
  mountpoint -q "$3" && return 0
  mount -t "$1" ${4:+-o "$4"} "$2" "$3" || { say "cannot mount $1 on $3"; return 1; }
}

mnt proc proc /proc nosuid,nodev,noexec
mnt sysfs sysfs /sys nosuid,nodev,noexec
mnt devtmpfs devtmpfs /dev mode=0755,nosuid
mnt devpts devpts /dev/pts gid=5,mode=0620,ptmxmode=0666,nosuid,noexec
mnt tmpfs tmpfs /dev/shm mode=1777,nosuid,nodev
mnt mqueue mqueue /dev/mqueue nosuid,nodev,noexec
mnt tmpfs tmpfs /run mode=0755,nosuid,nodev
mnt tmpfs tmpfs /tmp mode=1777,nosuid,nodev
# The same options systemd uses on a pure v2 host.
mnt cgroup2 cgroup2 /sys/fs/cgroup nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot || halt_now
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname strata-v2-guest
ip link set lo up 2>/dev/null || busybox ip link set lo up

# The root cgroup may hold processes and still delegate controllers (the "no internal processes"
# rule does not apply to the root), so we stay there, like a runtime started by a v2 host's root shell.
for c in cpu cpuset io memory pids hugetlb; do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || say "controller $c not available"
done

repo=/work/main timeout=2340
for w in $(cat /proc/cmdline); do
  case $w in
    strata.repo=*) repo=${w#strata.repo=} ;;
    strata.timeout=*) timeout=${w#strata.timeout=} ;;
  esac
done

modprobe -a 9pnet_virtio 9p qemu_fw_cfg 2>/dev/null
share() { # TAG DIR [ro]
  mkdir -p "$2"
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose${3:+,$3} "$1" "$2"
}
share strata_run /run/strata-vm || { say "the run share is missing"; halt_now; }
result() { echo "$1" >/run/strata-vm/exit-code; sync; }
share strata_repo "$repo" || { result 125; halt_now; }
share strata_node /opt/strata-host/node ro || { result 125; halt_now; }
ln -sf /opt/strata-host/node/node /usr/local/bin/node
ln -sf "$repo/layers/runtime/dist/strata-runtime.mjs" /usr/local/bin/strata-runtime
ln -sf "$repo/spec-tests/dist/strata-spec-tests.mjs" /usr/local/bin/strata-spec-tests
# The default bundle: copied onto the guest's own disk (containers should not run from 9p).
if [ -e /run/strata-vm/has-bundle ] && share strata_bundle /mnt ro; then
  mkdir -p /var/lib/strata/bundles
  cp -a /mnt /var/lib/strata/bundles/busybox
  umount /mnt
fi

job=/sys/firmware/qemu_fw_cfg/by_name/opt/strata/job/raw
[ -r "$job" ] || job=/run/strata-vm/job.sh
cp "$job" /run/strata-job.sh
say "cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers); delegated: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
say "kernel $(uname -r), node $(node --version 2>&1), running the job (limit ${timeout}s)"
cd "$repo"
set -a
[ -f /run/strata-vm/env ] && . /run/strata-vm/env
set +a
timeout -k 20 "$timeout" bash /run/strata-job.sh </dev/null
code=$?
[ "$code" = 124 ] && say "the job hit its time limit (${timeout}s)"
say "job exit code $code"
result "$code"
halt_now
