#!/usr/bin/env bash
# npm run classroom:proof — prove the classroom set-up for real: a fresh Debian 12 VM (debootstrap
# image with Debian's kernel, systemd and cloud-init; pure cgroup v2 as Debian ships it) boots
# under qemu with cloud-init.yaml as its user-data (NoCloud seed), provisions itself with
# provision.sh (Node.js, `npm run setup` with apt and npm from the network), then runs every
# tutorial (`npm run tutorials`, time limits scaled for software emulation) and the labs' own
# checks, and powers off. Results: scripts/classroom/proof/ (summary.md, logs).
#
# What differs from a real classroom VM, and why:
#   - the repository comes from a 9p share holding a `git clone` of this checkout's HEAD (the guest
#     clones it like any git URL; there is no network path to this machine's files otherwise);
#   - Node.js comes from a 9p share laid out like the official tarball, made from this machine's
#     node (STRATA_NODE_DIST; nodejs.org is not reachable from here);
#   - bootcmd mounts those shares, and a last runcmd runs the tutorials and powers off.
# Everything else — the cloud-init file, provision.sh, `npm run setup`, the tutorials — is
# unchanged. Takes long under TCG (see README.md); runs qemu at nice 19.
# Env: STRATA_PROOF_TIMEOUT (seconds, default 10800), STRATA_PROOF_MEM (MiB, 4096),
#      STRATA_PROOF_CPUS (2), STRATA_PROOF_DIR (image cache, /var/cache/strata/classroom-vm),
#      STRATA_PROOF_TUTORIALS (lessons to run, default all), STRATA_PROOF_SCALE (timeout scale, 30).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${STRATA_PROOF_DIR:-/var/cache/strata/classroom-vm}
out=$here/proof
limit=${STRATA_PROOF_TIMEOUT:-10800}
[ "$(id -u)" = 0 ] || { echo "vm-proof: needs root" >&2; exit 1; }
need=()
for t in qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap mkfs.ext4:e2fsprogs cloud-localds:cloud-image-utils; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if ((${#need[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || exit 1
fi

# --- 1. the guest image (cached) ---------------------------------------------------------
suite=bookworm
# python3-cffi-backend: debootstrap does not resolve the virtual package python3-cryptography needs.
include=systemd-sysv,udev,kmod,linux-image-amd64,cloud-init,python3-cffi-backend,ca-certificates,ifupdown,isc-dhcp-client,iproute2,procps,netbase
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
mirror=${STRATA_VM_MIRROR:-${mirror:-http://deb.debian.org/debian}}
key=$(echo "$suite $include $mirror v2" | sha256sum | cut -c1-16)
if [ "$(cat "$cache/stamp" 2>/dev/null)" != "$key" ]; then
  echo "vm-proof: building a fresh Debian 12 image in $cache (debootstrap from $mirror)"
  rm -rf "$cache" && mkdir -p "$cache"
  root=$cache/rootfs
  debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 || { tail "$cache/debootstrap.log"; exit 1; }
  echo "deb $mirror $suite main" >"$root/etc/apt/sources.list"
  echo strata-classroom >"$root/etc/hostname"
  # Under software emulation apt's time goes to dpkg: unpacking docs and man pages, fsync after
  # every file, man-db's index. A proof VM does not need them (cloud images ship the same kind of
  # dpkg.cfg.d excludes); the packages and their postinst scripts are unchanged.
  printf 'force-unsafe-io\npath-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/info/*\npath-exclude=/usr/share/locale/*\npath-include=/usr/share/locale/locale.alias\n' >"$root/etc/dpkg/dpkg.cfg.d/90-strata-proof"
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/90-strata-proof"
  rm -f "$root/var/lib/man-db/auto-update"
  printf '/dev/vda / ext4 defaults 0 1\n' >"$root/etc/fstab"
  # cloud-init: only the NoCloud seed (no probing of cloud metadata servers that do not exist here).
  printf 'datasource_list: [ NoCloud, None ]\n' >"$root/etc/cloud/cloud.cfg.d/90-strata-proof.cfg"
  kver=$(ls "$root/boot" | sed -n 's/^vmlinuz-//p' | head -n 1)
  cp "$root/boot/vmlinuz-$kver" "$cache/vmlinuz"; cp "$root/boot/initrd.img-$kver" "$cache/initrd.img"
  mkfs.ext4 -q -F -L strata-classroom -d "$root" "$cache/rootfs.img" 16G || exit 1
  rm -rf "$root"
  echo "$key" >"$cache/stamp"
fi

# --- 2. shares and the seed ----------------------------------------------------------------
run=$(mktemp -d /tmp/strata-proof.XXXXXX)
qpid=
cleanup() { [ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null; rm -rf "$run"; }
trap cleanup EXIT
git clone -q "$repo" "$run/src"
commit=$(git -C "$run/src" rev-parse --short HEAD)
node=$(readlink -f "$(command -v node)")
npmdir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$run/node/bin" "$run/node/lib/node_modules"
cp "$node" "$run/node/bin/node"
cp -a "$npmdir" "$run/node/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$run/node/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$run/node/bin/npx"
# This host reaches the npm registry through a TLS-intercepting proxy whose CA only the host's
# bundle has (the first proof run failed at npm ci with SELF_SIGNED_CERT_IN_CHAIN): the guest trusts
# the same bundle for Node (NODE_EXTRA_CA_CERTS, in provision.env below).
cp /etc/ssl/certs/ca-certificates.crt "$run/node/host-ca.crt"
# Node's C headers, where the official tarball has them (include/node): better-sqlite3 is built by
# node-gyp when its prebuilt binary cannot be fetched, and node-gyp would download the headers from
# nodejs.org, which this host cannot reach (the second proof run failed there). provision.sh
# copies include/ with the rest; npm_config_nodedir (provision.env) points node-gyp at it.
hdrs=$(dirname "$(dirname "$node")")/include/node
[ -f "$hdrs/node.h" ] || hdrs=/usr/include/node
[ -f "$hdrs/node.h" ] && { mkdir -p "$run/node/include"; cp -a "$hdrs" "$run/node/include/node"; }
rm -rf "$out" && mkdir -p "$out"
lessons=${STRATA_PROOF_TUTORIALS:-}
scale=${STRATA_PROOF_SCALE:-30}
# The user-data: cloud-init.yaml, with the share paths in provision.env, plus the mounts and the
# final job (see the header).
python3 - "$here/cloud-init.yaml" "$run/user-data" "$lessons" "$scale" <<'PY'
import sys
src, dst, lessons, scale = sys.argv[1:5]
text = open(src).read()
text = text.replace('STRATA_GIT_URL=https://git.example.org/strata.git', 'STRATA_GIT_URL=/mnt/strata-src\n      STRATA_NODE_DIST=/mnt/node\n      NODE_EXTRA_CA_CERTS=/mnt/node/host-ca.crt\n      npm_config_nodedir=/usr/local')
assert '/mnt/strata-src' in text, 'cloud-init.yaml changed: update vm-proof.sh'
mounts = ''.join(f"  - [sh, -c, 'mkdir -p /mnt/{t} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 {t} /mnt/{t}']\n" for t in ('strata-src', 'node', 'out'))
text = text.replace('package_update: true', 'bootcmd:\n' + mounts + 'package_update: true', 1)
job = ("  - [bash, -c, 'cp /var/log/strata-provision.log /mnt/out/; { uname -r; cat /sys/fs/cgroup/cgroup.controllers; nproc; free -m; } > /mnt/out/guest.txt; "
       "cd /opt/strata && { time npm run tutorials -- --timeout-scale " + scale + " " + lessons + " ; } > /mnt/out/tutorials.log 2>&1; echo $? > /mnt/out/tutorials.status; "
       "export STRATA_LAB_HOME=/tmp/labs; for n in 1 2 3 4 5; do strata-lab start $n >/dev/null && (cd /tmp/labs/0$n-* && bash -c \"$(strata-lab solution $n | tail -n +2)\" >/dev/null 2>&1); strata-lab check $n; echo \"lab $n: $?\"; strata-lab reset $n >/dev/null; done > /mnt/out/labs.log 2>&1; sync; poweroff']\n")
text = text.rstrip('\n').replace('\nfinal_message:', '\n' + job.rstrip('\n') + '\nfinal_message:')
open(dst, 'w').write(text)
PY
printf 'instance-id: strata-proof-%s\nlocal-hostname: strata-classroom\n' "$(date +%s)" >"$run/meta-data"
cloud-localds "$run/seed.img" "$run/user-data" "$run/meta-data" || exit 1
cp "$run/user-data" "$out/user-data.yaml"

# --- 3. boot -----------------------------------------------------------------------------
echo "vm-proof: booting (commit $commit; log: $out/console.log; limit ${limit}s)"
t0=$(date +%s)
nice -n 19 qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp "${STRATA_PROOF_CPUS:-2}" -m "${STRATA_PROOF_MEM:-4096}" \
  -nographic -no-reboot -kernel "$cache/vmlinuz" -initrd "$cache/initrd.img" \
  -append "root=/dev/vda rw console=ttyS0 quiet" \
  -drive "file=$cache/rootfs.img,format=raw,if=virtio,snapshot=on" \
  -drive "file=$run/seed.img,format=raw,if=virtio,readonly=on" \
  -virtfs "local,path=$run/src,mount_tag=strata-src,security_model=none,readonly=on" \
  -virtfs "local,path=$run/node,mount_tag=node,security_model=none,readonly=on" \
  -virtfs "local,path=$out,mount_tag=out,security_model=none" \
  -nic user,model=virtio-net-pci </dev/null >"$out/console.log" 2>&1 &
qpid=$!
while kill -0 "$qpid" 2>/dev/null; do
  (( $(date +%s) - t0 > limit )) && { echo "vm-proof: time limit hit" >&2; kill -9 "$qpid"; break; }
  sleep 10
done
wait "$qpid" 2>/dev/null; qpid=
took=$(( $(date +%s) - t0 ))

# --- 4. report -----------------------------------------------------------------------------
{
  echo "# Classroom VM proof"
  echo
  echo "Commit $commit, $(date -u +%F). Fresh Debian 12 (debootstrap $suite, $(cat "$out/guest.txt" 2>/dev/null | head -n 1 || echo 'kernel ?')), cgroup v2 controllers: $(sed -n 2p "$out/guest.txt" 2>/dev/null), qemu TCG, ${STRATA_PROOF_CPUS:-2} vCPUs, ${STRATA_PROOF_MEM:-4096} MiB. Boot to power-off: ${took} s."
  echo
  # (under pipefail a grep that finds no error fails the pipeline: test for the log instead)
  if [ -f "$out/strata-provision.log" ]; then
    echo "- provisioning: $( { grep -E '^provision: ' "$out/strata-provision.log" | tail -n 1; grep -E 'error|ERR!' "$out/strata-provision.log" | head -n 3; } | paste -sd ';' -)"
  else
    echo "- provisioning: no log"
  fi
  echo "- tutorials: $(grep -E '^tutorials: [0-9]+ passed' "$out/tutorials.log" 2>/dev/null | tail -n 1 || echo 'did not finish') (exit status $(cat "$out/tutorials.status" 2>/dev/null || echo '?'))"
  echo "- labs: $(grep -c ': 0$' "$out/labs.log" 2>/dev/null || true) of 5 passed with their reference solutions"
} >"$out/summary.md"
cat "$out/summary.md"
grep -q 'passed, 0 failed' "$out/tutorials.log" 2>/dev/null && [ "$(grep -c ': 0$' "$out/labs.log")" = 5 ]
