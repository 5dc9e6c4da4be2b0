#!/usr/bin/env bash
# Turn a fresh Ubuntu 24.04 or Debian 12 machine (cgroup v2, as shipped) into a Strata lab machine.
# Run as root, on the machine itself or from cloud-init (cloud-init.yaml here):
#   1. git, ca-certificates, curl, xz-utils from the distribution;
#   2. Node.js >= 20.12 (both distributions ship 18): an official Node.js distribution (the
#      tarball from nodejs.org, checked against its SHASUMS256.txt) copied into /usr/local —
#      or, with STRATA_NODE_DIST=DIR, the same layout already unpacked in DIR (offline classrooms,
#      the VM proof); skipped when a node >= 20.12 is already on PATH;
#   3. the repository in $STRATA_DIR (git clone of $STRATA_GIT_URL, or left as is when present);
#   4. the README's set-up command, `npm run setup` (Debian packages, npm dependencies, build,
#      binaries on PATH, the default busybox bundle and image), with STRATA_SETUP_PROFILE=lab:
#      the Debian packages only the developer suites need (chromium, Go, hyperfine, skopeo...)
#      are left out; set STRATA_SETUP_PROFILE=full for a machine that runs the whole test suite;
#   5. a smoke test: strata-runtime runs the default bundle, `strata lab list` answers.
# Env: STRATA_GIT_URL, STRATA_DIR (default /opt/strata), STRATA_REF (branch or tag to check out),
#      STRATA_SETUP_PROFILE (lab, the default here, or full),
#      STRATA_NODE_VERSION (default 20.20.2), STRATA_NODE_DIST. /etc/strata/provision.env, when
#      present, is read first (cloud-init writes it).
set -euo pipefail
[ -f /etc/strata/provision.env ] && { set -a; . /etc/strata/provision.env; set +a; }
STRATA_DIR=${STRATA_DIR:-/opt/strata}
STRATA_NODE_VERSION=${STRATA_NODE_VERSION:-20.20.2}
# Each line says how far in it is (seconds): under software emulation a step takes many minutes.
say() { printf 'provision: [%ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
[ "$(id -u)" = 0 ] || { echo "provision: run as root" >&2; exit 1; }
t0=$(date +%s)

say "1/5 base packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends git ca-certificates curl xz-utils >/dev/null

say "2/5 Node.js"
node_ok() { command -v node >/dev/null && node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 12) ? 0 : 1)'; }
if node_ok; then
  say "node $(node --version) already there"
else
  dist=${STRATA_NODE_DIST:-}
  if [ -z "$dist" ]; then
    arch=$(uname -m); case $arch in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; esac
    name=node-v$STRATA_NODE_VERSION-linux-$arch
    tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/$name.tar.xz" "https://nodejs.org/dist/v$STRATA_NODE_VERSION/$name.tar.xz"
    curl -fsSL -o "$tmp/SHASUMS256.txt" "https://nodejs.org/dist/v$STRATA_NODE_VERSION/SHASUMS256.txt"
    (cd "$tmp" && grep " $name.tar.xz\$" SHASUMS256.txt | sha256sum -c --quiet) || { echo "provision: $name.tar.xz does not match SHASUMS256.txt" >&2; exit 1; }
    tar -xJf "$tmp/$name.tar.xz" -C "$tmp"
    dist=$tmp/$name
  fi
  [ -x "$dist/bin/node" ] || { echo "provision: $dist/bin/node missing (STRATA_NODE_DIST must look like an unpacked Node.js tarball)" >&2; exit 1; }
  cp -a "$dist/bin" "$dist/lib" "$dist/include" /usr/local/ 2>/dev/null || cp -a "$dist/bin" "$dist/lib" /usr/local/
  hash -r
  node_ok || { echo "provision: node $(node --version 2>&1) is not >= 20.12" >&2; exit 1; }
  say "node $(node --version), npm $(npm --version) in /usr/local"
fi

say "3/5 the repository in $STRATA_DIR"
if [ ! -d "$STRATA_DIR/.git" ]; then
  [ -n "${STRATA_GIT_URL:-}" ] || { echo "provision: $STRATA_DIR is not a Strata checkout and STRATA_GIT_URL is not set" >&2; exit 1; }
  git clone -q ${STRATA_REF:+--branch "$STRATA_REF"} "$STRATA_GIT_URL" "$STRATA_DIR"
fi
cd "$STRATA_DIR"

export STRATA_SETUP_PROFILE=${STRATA_SETUP_PROFILE:-lab}
say "4/5 npm run setup (profile $STRATA_SETUP_PROFILE: Debian packages, npm dependencies, build, default image)"
npm run setup

say "5/5 smoke test"
strata-runtime run -b /var/lib/strata/bundles/busybox "provision-$$" >/dev/null
strata-lab list >/dev/null
echo "Strata lab machine: cd $STRATA_DIR; lessons in tutorials/, labs with 'strata lab list' (as root)" >/etc/motd
say "ready in $(( $(date +%s) - t0 )) s: $(node --version), cgroups $( [ -f /sys/fs/cgroup/cgroup.controllers ] && echo v2 || echo v1/hybrid)"
