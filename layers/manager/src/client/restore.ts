// Restore from a checkpoint image (client/checkpoint.ts wrote it), as `ctr containers restore`:
//   1. the index: image name, snapshotter and runtime from its annotations;
//   2. a new container: a fresh snapshot on the image's top layer (unpacked if needed), the
//      spec from the checkpoint config blob (an Any, proto-marshalled), the runtime and its
//      options; with `rw` the stored writable layer is applied onto the snapshot;
//   3. its task, created with the criu tar descriptor when `live` (Tasks.Create `checkpoint`:
//      the shim restores the processes), else started afresh from the spec; then Start.
// A failed restore leaves nothing: an existing id is refused before anything is made, and what
// was made is removed when a later step fails.
import { AnyType, decode, type Any } from '@strata/shim/proto';
import type * as api from '../api/protos';
import { isManagerError, ManagerError } from '../errors';
import { CheckpointMediaType, isIndexType, MediaType } from '../images/mediaTypes';
import type { Descriptor } from '../types';
import { CheckpointAnnotation, type CheckpointIndex } from './checkpoint';
import type { ManagerClient } from './client';
import { getImage, removeContainer, startTask } from './run';
import { chainIds, resolveImage, unpackLayers } from './unpack';

export interface RestoreOptions {
  /** Apply the checkpoint's writable layer onto the new snapshot (--rw). */
  rw?: boolean;
  /** Restore the processes from the CRIU images (--live); else the task starts afresh. */
  live?: boolean;
}

/** A checkpoint image and its index. */
export async function readCheckpoint(c: ManagerClient, ref: string): Promise<{ image: api.Image; index: CheckpointIndex }> {
  let image: api.Image;
  try {
    image = await c.images.get(ref);
  } catch (e) {
    if (isManagerError(e, 'NOT_FOUND')) throw new ManagerError('NOT_FOUND', `checkpoint image "${ref}": not found`);
    throw e;
  }
  const target = image.target;
  if (!target || !isIndexType(target.mediaType)) throw new ManagerError('FAILED_PRECONDITION', `image "${ref}" is not a checkpoint: its target is ${target?.mediaType ?? 'missing'}, not an image index`);
  const index = JSON.parse((await c.content.read({ digest: target.digest, size: Number(target.size) })).toString()) as CheckpointIndex;
  index.manifests ??= [];
  index.annotations ??= {};
  return { image, index };
}

/** The first part of the index with this media type (containerd looks parts up so). */
export const checkpointPart = (index: CheckpointIndex, mediaType: string): Descriptor | undefined => index.manifests.find((m) => m.mediaType === mediaType);

function requiredPart(ref: string, index: CheckpointIndex, mediaType: string, why: string): Descriptor {
  const d = checkpointPart(index, mediaType);
  if (!d) throw new ManagerError('NOT_FOUND', `checkpoint "${ref}" has no ${mediaType} (${why})`);
  return d;
}

function requiredAnnotation(ref: string, index: CheckpointIndex, key: string): string {
  const v = index.annotations[key];
  if (!v) throw new ManagerError('FAILED_PRECONDITION', `image "${ref}" is not a container checkpoint: its index has no annotation ${key} (\`tasks checkpoint\` images cannot be restored as containers; use \`containers checkpoint\`)`);
  return v;
}

/** An Any stored proto-marshalled (spec, runtime options). */
async function readAny(c: ManagerClient, d: Descriptor): Promise<Any> {
  return decode(AnyType, await c.content.read(d));
}

/** `ctr containers restore ID REF [--rw] [--live]`: the container and its started task. Returns the task's pid. */
export async function restoreContainer(c: ManagerClient, id: string, ref: string, o: RestoreOptions = {}): Promise<number> {
  const exists = await c.containers.get(id).then(
    () => true,
    (e) => {
      if (isManagerError(e, 'NOT_FOUND')) return false;
      throw e;
    },
  );
  if (exists) throw new ManagerError('ALREADY_EXISTS', `container "${id}": already exists`);
  const { index } = await readCheckpoint(c, ref);
  const imageName = requiredAnnotation(ref, index, CheckpointAnnotation.imageName);
  const snapshotter = requiredAnnotation(ref, index, CheckpointAnnotation.snapshotter);
  const runtime = requiredAnnotation(ref, index, CheckpointAnnotation.runtime);
  const config = requiredPart(ref, index, CheckpointMediaType.config, 'the container spec: checkpoint with --task');
  const criu = o.live ? requiredPart(ref, index, CheckpointMediaType.criu, 'the CRIU images --live restores: checkpoint with --task') : undefined;
  const rw = o.rw ? requiredPart(ref, index, MediaType.ociLayerGzip, 'the rw layer: checkpoint with --rw') : undefined;
  const runtimeOptionsPart = checkpointPart(index, CheckpointMediaType.runtimeOptions);

  await c.withLease(async () => {
    const spec = await readAny(c, config);
    const runtimeOptions = runtimeOptionsPart ? await readAny(c, runtimeOptionsPart) : undefined;
    const image = await getImage(c, imageName);
    const { manifest, config: imageConfig } = await resolveImage(c, image.target as Descriptor);
    const chain = chainIds(imageConfig.rootfs.diff_ids);
    const top = chain[chain.length - 1] ?? '';
    const sn = c.snapshots(snapshotter);
    if (top && !(await sn.exists(top))) await unpackLayers(c, manifest.manifest.layers, imageConfig.rootfs.diff_ids, manifest.manifest.config.digest, snapshotter);
    const mounts = await sn.prepare(id, top); // ALREADY_EXISTS here: someone else's snapshot, left alone
    try {
      if (rw) await c.diff.apply(rw, mounts);
      await c.containers.create({ id, labels: {}, image: image.name, runtime: { name: runtime, options: runtimeOptions }, spec, snapshotter, snapshotKey: id, extensions: {} });
    } catch (e) {
      await sn.remove(id).catch(() => {});
      throw e;
    }
  });
  try {
    let pid = 0;
    await startTask(c, id, { detach: true, checkpoint: criu, streams: { stdout: process.stdout, stderr: process.stderr }, onStarted: (p) => (pid = p) });
    return pid;
  } catch (e) {
    await removeContainer(c, id, { force: true }).catch(() => {});
    throw e;
  }
}
