#!/usr/bin/env bash
# The default image: /var/lib/strata/images/busybox.oci.tar, an OCI image layout (image-spec
# image-layout.md) in a tar, made from the same busybox rootfs as the default bundle. One gzip
# layer, a config with PATH and `sh` as the command, and the name strata.local/busybox:latest in
# index.json (io.containerd.image.name and org.opencontainers.image.ref.name), so that
#   ctr images import /var/lib/strata/images/busybox.oci.tar
# makes it available with no registry and no internet. Deterministic: same rootfs, same digests.
# Rebuilt when missing or when STRATA_REBUILD_IMAGE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${STRATA_IMAGE_TAR:-/var/lib/strata/images/busybox.oci.tar}
name=${STRATA_IMAGE_NAME:-strata.local/busybox:latest}
if [ -f "$out" ] && [ "${STRATA_REBUILD_IMAGE:-0}" != 1 ]; then
  exit 0
fi
work=$(mktemp -d /tmp/strata-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash scripts/busybox-rootfs.sh "$work/rootfs" >/dev/null
mkdir -p "$work/layout/blobs/sha256"

# The layer: a tar of the rootfs (image-spec layer.md), with fixed owners and times so that the
# digest depends only on the content. diff_id is the digest of the uncompressed tar.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' -C "$work/rootfs" -cf "$work/layer.tar" .
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
mv "$work/layer.tar.gz" "$work/layout/blobs/sha256/$layer"

# config (config.md), manifest (manifest.md), index (image-index.md), written by node for exact JSON.
node - "$work/layout" "$layer" "$diff_id" "$name" <<'JS'
const fs = require('fs');
const crypto = require('crypto');
const [dir, layer, diffId, name] = process.argv.slice(2);
const blob = (obj, mediaType) => {
  const data = Buffer.from(JSON.stringify(obj));
  const digest = crypto.createHash('sha256').update(data).digest('hex');
  fs.writeFileSync(`${dir}/blobs/sha256/${digest}`, data);
  return { mediaType, digest: `sha256:${digest}`, size: data.length };
};
const layerSize = fs.statSync(`${dir}/blobs/sha256/${layer}`).size;
const config = blob(
  {
    created: '2000-01-01T00:00:00Z',
    architecture: process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch,
    os: 'linux',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    history: [{ created: '2000-01-01T00:00:00Z', created_by: 'strata scripts/default-image.sh: busybox-static from the host' }],
  },
  'application/vnd.oci.image.config.v1+json',
);
const manifest = blob(
  {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config,
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${layer}`, size: layerSize }],
  },
  'application/vnd.oci.image.manifest.v1+json',
);
const tag = name.slice(name.lastIndexOf(':') + 1);
fs.writeFileSync(`${dir}/oci-layout`, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
fs.writeFileSync(
  `${dir}/index.json`,
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...manifest, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag } }],
  }),
);
JS
mkdir -p "$(dirname "$out")"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' -C "$work/layout" -cf "$out.tmp" .
mv "$out.tmp" "$out"
echo "default image: $out ($name)"
