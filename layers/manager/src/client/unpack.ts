// Unpack an image into snapshots, from the client side as containerd's client does
// (image.Unpack -> rootfs.ApplyLayers): for each layer, in order, the snapshot named by the
// layer's chain ID either exists already (shared with every image built on the same layers) or
// is made: Prepare on the parent chain, Diff.Apply the layer into it, check the result's
// diff_id against the image config, Commit under the chain ID.
import crypto from 'node:crypto';
import { chainIds } from '../diff/unpack';
import { ManagerError } from '../errors';
import type { Descriptor } from '../types';
import { parseConfig, resolveManifest, type ImageConfig, type ResolvedManifest } from '../images/manifest';
import { isConfigType } from '../images/mediaTypes';
import { toPlatformMatcher } from '../images/platform';
import type { ManagerClient } from './client';

export { chainIds };

export interface UnpackResult {
  chainId: string;
  created: number;
  reused: number;
}

export async function unpackLayers(c: ManagerClient, layers: Descriptor[], diffIds: string[], configDigest: string, snapshotter = 'overlayfs', onLayer?: (i: number, state: 'exists' | 'applied') => void): Promise<UnpackResult> {
  if (layers.length !== diffIds.length) throw new ManagerError('INVALID_ARGUMENT', `image has ${layers.length} layers but its config lists ${diffIds.length} diff_ids`);
  const s = c.snapshots(snapshotter);
  const chain = chainIds(diffIds);
  let created = 0;
  let reused = 0;
  let parent = '';
  for (let i = 0; i < layers.length; i++) {
    const id = chain[i];
    if (await s.exists(id)) {
      reused++;
      onLayer?.(i, 'exists');
      parent = id;
      continue;
    }
    const key = `extract-${crypto.randomBytes(6).toString('hex')} ${id}`;
    const mounts = await s.prepare(key, parent, { 'containerd.io/snapshot.ref': id });
    try {
      const applied = await c.diff.apply(layers[i], mounts);
      if (applied.digest !== diffIds[i]) throw new ManagerError('DATA_LOSS', `layer ${i} (${layers[i].digest}): unpacked to ${applied.digest}, but the image config says diff_id ${diffIds[i]}`);
      await s.commit(id, key, { 'containerd.io/snapshot.ref': id });
    } catch (e) {
      await s.remove(key).catch(() => {});
      if (e instanceof ManagerError && e.code === 'ALREADY_EXISTS') {
        // someone else unpacked the same chain meanwhile: use theirs
        parent = id;
        reused++;
        continue;
      }
      throw e;
    }
    // containerd records the uncompressed digest on the compressed blob
    await c.content.update(layers[i].digest, { 'containerd.io/uncompressed': diffIds[i] }, ['labels.containerd.io/uncompressed']).catch(() => {});
    created++;
    onLayer?.(i, 'applied');
    parent = id;
  }
  // The config keeps the unpacked snapshot alive (GC reference), as containerd labels it.
  const top = chain[chain.length - 1] ?? '';
  if (top) await c.content.update(configDigest, { [`containerd.io/gc.ref.snapshot.${snapshotter}`]: top }, [`labels.containerd.io/gc.ref.snapshot.${snapshotter}`]);
  return { chainId: top, created, reused };
}

/** An image's manifest for a platform (default: this machine's) and its config, read over the API. */
export async function resolveImage(c: ManagerClient, target: Descriptor, platform?: string): Promise<{ manifest: ResolvedManifest; config: ImageConfig }> {
  const manifest = await resolveManifest((d) => c.content.read(d), target, toPlatformMatcher(platform));
  const configDesc = manifest.manifest.config;
  if (!isConfigType(configDesc.mediaType)) throw new ManagerError('UNIMPLEMENTED', `${target.digest}: config media type ${configDesc.mediaType} is not an image config (an artifact, not an image)`);
  return { manifest, config: parseConfig(await c.content.read(configDesc), configDesc) };
}

/** Unpack an image for a platform (what ctr import and pull do after fetching). */
export async function unpackImage(c: ManagerClient, target: Descriptor, platform: string | undefined, snapshotter = 'overlayfs'): Promise<UnpackResult> {
  const { manifest, config } = await resolveImage(c, target, platform);
  return unpackLayers(c, manifest.manifest.layers, config.rootfs.diff_ids, manifest.manifest.config.digest, snapshotter);
}
