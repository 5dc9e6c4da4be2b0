#!/usr/bin/env bash
# Build a minimal root filesystem from the host's busybox-static: one static binary, every
# applet a hard link to it (as image-spec layers store them), plus the few files a process
# expects (/etc/passwd, /etc/group, empty mount points). No network, no image download.
# Usage: scripts/busybox-rootfs.sh DIR
set -euo pipefail
dir=${1:?usage: busybox-rootfs.sh DIR}
bb=/bin/busybox
if ! "$bb" --list >/dev/null 2>&1 || ! file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
  # Debian's busybox-static installs /bin/busybox; fall back to any static busybox on PATH.
  bb=$(command -v busybox || true)
fi
[ -x "$bb" ] || { echo "busybox-rootfs: busybox-static is not installed (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,home,run,var/tmp,mnt}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
cp "$bb" "$dir/bin/busybox"
"$dir/bin/busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$dir/$(dirname "$applet")"
  ln -f "$dir/bin/busybox" "$dir/$applet"
done
cat > "$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$dir/etc/group" <<'G'
root:x:0:
daemon:x:1:
nogroup:x:65534:
G
echo "strata" > "$dir/etc/hostname"
: > "$dir/etc/hosts"; : > "$dir/etc/resolv.conf"
