#!/usr/bin/env bash
# The default OCI bundle: /var/lib/strata/bundles/busybox (rootfs from busybox-static and the
# config `strata-runtime spec` writes, with a friendly command and no terminal so it also works
# from scripts). Rebuilt when missing or when STRATA_REBUILD_BUNDLE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${STRATA_BUNDLE_DIR:-/var/lib/strata/bundles/busybox}
if [ -f "$dest/config.json" ] && [ -x "$dest/rootfs/bin/busybox" ] && [ "${STRATA_REBUILD_BUNDLE:-0}" != 1 ]; then
  exit 0
fi
rm -rf "$dest"
mkdir -p "$dest"
bash scripts/busybox-rootfs.sh "$dest/rootfs"
node layers/runtime/dist/strata-runtime.mjs spec --bundle "$dest"
node -e '
  const fs = require("fs"); const f = process.argv[1];
  const c = JSON.parse(fs.readFileSync(f, "utf8"));
  c.process.terminal = false;
  c.process.args = ["sh", "-c", "echo hello from a strata container: $(hostname), pid $$, $(id)"];
  c.hostname = "strata";
  fs.writeFileSync(f, JSON.stringify(c, null, "\t") + "\n");
' "$dest/config.json"
echo "default bundle: $dest"
