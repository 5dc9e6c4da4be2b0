#!/usr/bin/env bash
# Build the Debian 12 guest that runs Strata's cgroup v2 tests under qemu (see README.md here):
# debootstrap (minbase + kernel + runc/crun + criu/containerd for the checkpoint tests), no systemd (scripts/vm/guest-init.sh is PID 1),
# kernel and initrd copied out, the tree packed into an ext4 image by `mkfs.ext4 -d` (no loop
# device). Output in ${STRATA_VM_DIR:-/var/cache/strata/vm}: vmlinuz, initrd.img, rootfs.img, stamp.
# Idempotent: skips when the stamp matches this script's inputs; --force rebuilds.
# Env: STRATA_VM_DIR, STRATA_VM_MIRROR (default: the Debian mirror apt uses here),
#      STRATA_VM_EXTRA_PACKAGES (comma-separated Debian packages added to the image, e.g. to run
#      the lessons that need docker.io or the registry in the guest; use its own STRATA_VM_DIR).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${STRATA_VM_DIR:-/var/cache/strata/vm}
force=0
for a in "$@"; do
  case $a in
    --force) force=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $a (only --force)" >&2; exit 2 ;;
  esac
done

# Everything that ends up in the image: a change to any of it means a rebuild.
suite=bookworm
include=linux-image-amd64,kmod,busybox-static,runc,crun,procps,iproute2,criu,iptables,containerd
extra=${STRATA_VM_EXTRA_PACKAGES:-}
[[ $extra =~ ^[a-z0-9.+,-]*$ ]] || { echo "build-image: STRATA_VM_EXTRA_PACKAGES must be comma-separated package names" >&2; exit 2; }
include=$include${extra:+,$extra}
key=$( { echo "$suite $include"; cat "$here/guest-init.sh" "$0"; } | sha256sum | cut -c1-16)
if [ "$force" = 0 ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$key" ] &&
   [ -f "$out/rootfs.img" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
  echo "build-image: up to date in $out (--force rebuilds)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then echo "build-image: needs root (debootstrap)" >&2; exit 1; fi

# Host tools, installed on demand so the default setup stays lean.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if ((${#need[@]})); then
  echo "build-image: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The mirror apt already uses (one-line .list or deb822 .sources), first entry carrying the suite.
mirror=${STRATA_VM_MIRROR:-}
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    mirror=$(awk -v s="$suite" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /^https?:/) { if ($(i + 1) == s) { print $i; exit } break } }' "$f")
    [ -n "$mirror" ] && break
  done
fi
if [ -z "$mirror" ]; then
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas are separated by blank lines: take URIs of a stanza whose Suites has the suite.
    mirror=$(awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uri = u[2] }
          if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == s) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit } }' "$f")
    [ -n "$mirror" ] && break
  done
fi
mirror=${mirror:-http://deb.debian.org/debian}
echo "build-image: debootstrap $suite from $mirror into $out"

mkdir -p "$out"
work=$(mktemp -d "$out/build.XXXXXX")
cleanup() {
  # debootstrap may leave proc/sys mounted in the target after a failure.
  for m in $(awk -v w="$work" '$2 ~ "^" w { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/rootfs
start=$(date +%s)
debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
  echo "build-image: debootstrap failed" >&2
  exit 1
}
echo "build-image: debootstrap done in $(($(date +%s) - start)) s"

kver=$(ls "$root/lib/modules" | sort -V | tail -n 1)
cp "$root/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/initrd.img"

# Slim the tree: the kernel and initrd live outside the image; no docs, manuals, locales, apt
# lists or caches; no drivers for hardware qemu does not emulate here (the tests load overlay,
# veth, netfilter... from fs/ and net/, which stay).
rm -rf "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-* "$root"/boot/System.map-* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
  "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/debootstrap
kd=$root/lib/modules/$kver/kernel
rm -rf "$kd"/sound "$kd"/drivers/{gpu,media,staging,infiniband,iio,bluetooth,isdn,hid,input,usb,scsi,ata,mmc,mtd,thunderbolt,hwmon,platform,video,misc,nfc,power,rtc,leds,pinctrl,w1,firewire,target,edac,spi,i2c,mfd,regulator,comedi,fpga,crypto,nvme,md,net/wireless,net/ethernet,net/can,net/usb} \
  "$kd"/net/{wireless,mac80211,bluetooth,nfc,can,ieee802154,6lowpan} \
  "$kd"/lib/modules 2>/dev/null || true
chroot "$root" depmod -a "$kver"

install -m 0755 "$here/guest-init.sh" "$root/sbin/strata-vm-init"
echo strata-v2-guest >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tstrata-v2-guest\n' >"$root/etc/hosts"
: >"$root/etc/fstab"
mkdir -p "$root/var/lib/strata/bundles" "$root/opt/strata-host/node"

# Image size: the tree plus room for what the tests write outside /tmp (tmpfs in the guest).
# The VM boots with snapshot=on, so this file is never modified by a run.
mb=$(du -sm "$root" | cut -f1)
size=$((mb + mb / 4 + 256))
mkfs.ext4 -q -F -L strata-vm -m 0 -O ^has_journal -d "$root" "$work/rootfs.img" "${size}M"
rm -rf "$root"

mv -f "$work/vmlinuz" "$work/initrd.img" "$work/rootfs.img" "$out/"
echo "$key" >"$out/stamp"
echo "build-image: built in $(($(date +%s) - start)) s: $(du -sh "$out" | cut -f1) in $out (kernel $kver, tree $mb MB, image ${size} MB)"
