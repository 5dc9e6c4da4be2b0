#!/usr/bin/env bash
# Set up Strata on a fresh Debian 12 / Ubuntu 24.04 machine, as root:
#   1. the Debian packages it needs (only those missing; apt-get as root),
#   2. npm dependencies, 3. build (native init helper + bundled binaries),
#   4. binaries linked onto PATH, 5. the default busybox bundle and OCI image (an image-layout
#   tar), both built from the host's busybox-static.
# Nothing is downloaded except Debian and npm packages.
# STRATA_SETUP_PROFILE=lab (what scripts/classroom/provision.sh uses) leaves out the packages only
# the developer test suites, benchmarks and diagram rendering need (dev_pkgs below): a lab
# machine runs the lessons and labs, and under software emulation chromium and Go alone take
# the better part of an hour to unpack. The default, "full", installs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# --- 1. Debian packages --------------------------------------------------------------------
pkgs=(
  busybox-static            # the default image: a static busybox with applets as hard links
  gcc libc6-dev             # builds the static strata-init helper
  g++ make python3          # node-gyp builds better-sqlite3 (the manager's database) when no prebuilt binary can be fetched
  runc crun                 # reference runtimes (interop tests, spec-tests, benchmarks)
  containerd                # real containerd + ctr + containerd-shim-runc-v2 (interop)
  docker-registry           # a local OCI registry for the manager's pull/push tests (127.0.0.1 only)
  podman conmon             # podman --runtime strata-runtime (interop)
  iproute2 procps psmisc util-linux
  containernetworking-plugins iptables  # CNI plugins (bridge, host-local, loopback, portmap) for strata-cri and strata-engine networks
  catatonit                 # the pause process of CRI pod sandboxes
  docker.io                 # dockerd (reference engine for the swap matrix, the strata CLI's tests, bench:engine). Setup never starts it, but on a systemd machine apt does, and dockerd sets FORWARD to DROP (see layers/engine/docs/networking.md)
  jq curl                   # the tutorials read JSON and talk to the local registry
  criu                      # checkpoint/restore (strata-runtime checkpoint, lesson 12); on kernels where `criu check` fails the commands fail fast
)
# Only the developer suites, benchmarks and diagram rendering need these (left out by the lab profile).
dev_pkgs=(
  perl                      # crypt() makes the bcrypt htpasswd entries of the registry's basic auth tests
  openssl                   # keys and certificates for the registry's token auth tests
  skopeo umoci              # read what the manager pushes and exports (registry and layout cross-checks)
  golang-go golang-github-docker-spdystream-dev  # the CRI streaming tests check our SPDY against moby/spdystream (the Go library kubectl and the kubelet use)
  hyperfine time            # benchmarks
  chromium                  # mermaid-cli renders diagrams/*.svg with it (npm run diagrams)
)
profile=${STRATA_SETUP_PROFILE:-full}
case $profile in
  full) pkgs+=("${dev_pkgs[@]}") ;;
  lab) ;;
  *) echo "setup: STRATA_SETUP_PROFILE must be full or lab, not '$profile'" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    t_apt=$(date +%s)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "setup: Debian packages installed in $(( $(date +%s) - t_apt )) s"
  else
    echo "setup: missing Debian packages: ${missing[*]} (run this script as root, or apt-get install them)" >&2
    exit 1
  fi
fi

# --- 2. npm dependencies -------------------------------------------------------------------
# mermaid-cli's puppeteer would download its own Chrome (impossible offline): it uses Debian's
# chromium instead (scripts/diagrams/render.ts).
export PUPPETEER_SKIP_DOWNLOAD=1
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

# --- 3. build ------------------------------------------------------------------------------
t_build=$(date +%s)
node scripts/build.mjs
echo "setup: built in $(( $(date +%s) - t_build )) s"

# --- 4. binaries on PATH -------------------------------------------------------------------
bindir=${STRATA_BINDIR:-/usr/local/bin}
if [ -w "$bindir" ]; then
  ln -sf "$repo/layers/runtime/dist/strata-runtime.mjs" "$bindir/strata-runtime"
  [ -f "$repo/spec-tests/dist/strata-spec-tests.mjs" ] && ln -sf "$repo/spec-tests/dist/strata-spec-tests.mjs" "$bindir/strata-spec-tests"
  # containerd finds runtime "io.containerd.strata.v2" as containerd-shim-strata-v2 on its PATH.
  ln -sf "$repo/layers/shim/dist/containerd-shim-strata-v2.mjs" "$bindir/containerd-shim-strata-v2"
  ln -sf "$repo/layers/manager/dist/strata-manager.mjs" "$bindir/strata-manager"
  ln -sf "$repo/layers/manager/dist/strata-ctr.mjs" "$bindir/strata-ctr"
  for b in layers/cri/dist/strata-cri layers/cri/dist/strata-crictl layers/engine/dist/strata-engine layers/engine/dist/strata tutorials/labs/dist/strata-lab; do
    [ -f "$repo/$b.mjs" ] && ln -sf "$repo/$b.mjs" "$bindir/$(basename "$b")"
  done
fi

# --- 5. the default bundle and image --------------------------------------------------------
bash scripts/default-bundle.sh
bash scripts/default-image.sh
echo "setup: done. Try: strata-runtime run -b /var/lib/strata/bundles/busybox hello"
