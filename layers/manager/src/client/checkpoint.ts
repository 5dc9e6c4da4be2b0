// Checkpoint images, built from the client side as containerd's Go client does. A checkpoint is
// stored as an *image* whose target is an OCI image index; its "manifests" are not manifests but
// the parts of the checkpoint, told apart by media type (images/mediaTypes.ts CheckpointMediaType):
//
//   part                      media type                     written by
//   CRIU images (tar)         ...criu.checkpoint.criu.tar    Tasks.Checkpoint (server)
//   the container's spec      ...checkpoint.config.v1+proto  Tasks.Checkpoint (server)
//   checkpoint options        ...checkpoint.options.v1+proto this client (container checkpoint --task)
//   runtime options           ...runtime.options+proto       this client, when the container has some
//   the rw layer (--rw)       an OCI tar+gzip layer          Diff.Diff of the container's snapshot
//   the image (--image)       the image's own target         (a reference, nothing written)
//
// plus annotations naming the image, runtime and snapshotter (what restore.ts reads back).
// The whole operation runs under one lease, and the index's gc.ref labels keep the parts once
// the image names the index. The task is paused around it (a consistent rw layer and dump) and
// resumed after, as containerd's clients do.
import { AnyType, CheckpointOptionsType, encode, packAny, type Any, type CheckpointOptions } from '@strata/shim/proto';
import type * as api from '../api/protos';
import { isManagerError, ManagerError } from '../errors';
import { CheckpointMediaType, MediaType } from '../images/mediaTypes';
import { GC_REF_PREFIX } from '../images/manifest';
import { hostPlatform } from '../images/platform';
import type { Descriptor } from '../types';
import type { ManagerClient } from './client';
import { RemoteContentStore } from './remoteStores';

/** Index annotations (containerd's names): what restore needs to rebuild the container. */
export const CheckpointAnnotation = {
  imageName: 'org.opencontainers.image.ref.name',
  runtime: 'io.containerd.checkpoint.runtime',
  snapshotter: 'io.containerd.checkpoint.snapshotter',
} as const;

/** The label Task.Checkpoint's images carry (`ctr t checkpoint`, docker checkpoint). */
export const CHECKPOINT_LABEL = 'containerd.io/checkpoint';

export interface CheckpointIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations: Record<string, string>;
}

export interface CheckpointContainerOptions extends Partial<CheckpointOptions> {
  /** Dump the task with CRIU (ctr c checkpoint --task). */
  task?: boolean;
  /** Reference the container's image in the index (--image). */
  image?: boolean;
  /** Store the container's writable layer (--rw). */
  rw?: boolean;
}

const platformOf = () => {
  const p = hostPlatform();
  return { os: p.os, architecture: p.architecture };
};

const toDescriptor = (d: api.Descriptor | Descriptor): Descriptor => ({
  mediaType: d.mediaType,
  digest: d.digest,
  size: Number(d.size),
  ...(d.annotations && Object.keys(d.annotations).length ? { annotations: d.annotations } : {}),
});

/** One small blob (options, runtime options, the index) into the content store. */
async function putBlob(c: ManagerClient, mediaType: string, bytes: Buffer, labels?: Record<string, string>): Promise<Descriptor> {
  const r = await new RemoteContentStore(c).put(c.namespace, {}, bytes, labels);
  return { mediaType, digest: r.digest, size: r.size };
}

/** The container's writable layer: Diff between its snapshot's parent (a view) and the snapshot. */
async function rwLayer(c: ManagerClient, container: { snapshotter: string; snapshotKey: string }): Promise<Descriptor> {
  if (!container.snapshotKey) throw new ManagerError('FAILED_PRECONDITION', 'checkpoint --rw: the container has no snapshot');
  const sn = c.snapshots(container.snapshotter);
  const info = await sn.stat(container.snapshotKey);
  const view = `checkpoint-rw-view-${container.snapshotKey}-${Date.now()}`;
  const lower = info.parent ? await sn.view(view, info.parent) : [];
  try {
    const upper = await sn.mounts(container.snapshotKey);
    const d = await c.diff.diff(lower, upper, MediaType.ociLayerGzip, `checkpoint-rw-${container.snapshotKey}`);
    return { ...toDescriptor(d), platform: platformOf() };
  } finally {
    if (info.parent) await sn.remove(view).catch(() => {});
  }
}

/** Write the index (its gc.ref labels hold every part) and name it as an image. */
async function storeIndex(c: ManagerClient, ref: string, index: CheckpointIndex, labels: Record<string, string>): Promise<api.Image> {
  const refs = Object.fromEntries(index.manifests.map((m, i) => [`${GC_REF_PREFIX}${i}`, m.digest]));
  const target = await putBlob(c, MediaType.ociIndex, Buffer.from(JSON.stringify(index)), refs);
  return c.images.create({ name: ref, labels, target });
}

/**
 * Pause the task around `fn` when it runs (the state of the rw layer and the dump agree), and
 * resume it after, unless it is gone (a checkpoint with exit ends it) or was paused already.
 */
async function whilePaused<T>(c: ManagerClient, id: string, fn: () => Promise<T>): Promise<T> {
  let paused = false;
  try {
    const p = await c.tasks.get(id);
    if (p.status === 2 /* RUNNING */) {
      await c.tasks.pause(id);
      paused = true;
    }
  } catch (e) {
    if (!isManagerError(e, 'NOT_FOUND')) throw e; // no task: only the record is checkpointed
  }
  try {
    return await fn();
  } finally {
    if (paused) {
      await c.tasks.resume(id).catch(async (e) => {
        // After a checkpoint with exit the task has stopped: nothing to resume.
        const st = await c.tasks.get(id).then((p) => p.status, () => 3);
        if (st !== 3 /* STOPPED */) throw e;
      });
    }
  }
}

/** CheckpointOptions as containerd's container checkpoint sends them (file locks on). */
export function checkpointOptionsAny(o: Partial<CheckpointOptions>): Any {
  return packAny(CheckpointOptionsType, { fileLocks: true, ...o });
}

/**
 * `ctr containers checkpoint`: the container as a checkpoint image named `ref`. Without `task`
 * only the record's parts are stored (runtime, image reference, rw layer).
 */
export async function checkpointContainer(c: ManagerClient, id: string, ref: string, o: CheckpointContainerOptions = {}): Promise<api.Image> {
  const { task, image, rw, ...criu } = o;
  const container = await c.containers.get(id);
  if (!container.image) throw new ManagerError('FAILED_PRECONDITION', `checkpoint ${id}: the container has no image (restore rebuilds the rootfs from it)`);
  return whilePaused(c, id, () =>
    c.withLease(async () => {
      const index: CheckpointIndex = {
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [],
        annotations: { [CheckpointAnnotation.imageName]: container.image, [CheckpointAnnotation.runtime]: container.runtime?.name ?? '', [CheckpointAnnotation.snapshotter]: container.snapshotter ?? '' },
      };
      const runtimeOptions = container.runtime?.options as Any | undefined;
      if (runtimeOptions?.value?.length) index.manifests.push({ ...(await putBlob(c, CheckpointMediaType.runtimeOptions, Buffer.from(encode(AnyType, runtimeOptions)))), platform: platformOf() });
      if (image) index.manifests.push(toDescriptor((await c.images.get(container.image)).target!));
      if (rw) index.manifests.push(await rwLayer(c, container));
      if (task) {
        const options = checkpointOptionsAny(criu);
        for (const d of await c.tasks.checkpoint(id, options)) index.manifests.push({ ...toDescriptor(d), platform: platformOf() });
        index.manifests.push({ ...(await putBlob(c, CheckpointMediaType.options, Buffer.from(encode(AnyType, options)))), platform: platformOf() });
      }
      return storeIndex(c, ref, index, {});
    }),
  );
}

/** containerd's default name for a task checkpoint: containerd.io/checkpoint/<id>:<MM-DD-YYYY-HH:MM:SS> (local time). */
export function checkpointTaskName(id: string, at = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `containerd.io/checkpoint/${id}:${p(at.getMonth() + 1)}-${p(at.getDate())}-${at.getFullYear()}-${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`;
}

export interface CheckpointTaskOptions extends Partial<CheckpointOptions> {
  /** The image name (default: checkpointTaskName). */
  name?: string;
}

/**
 * `ctr tasks checkpoint` (and what dockerd uses): dump the task, store the CRIU parts, the
 * image reference and the rw layer as an image labelled containerd.io/checkpoint=true. With
 * `imagePath` the images stay in that directory and no image is made (undefined).
 */
export async function checkpointTask(c: ManagerClient, id: string, o: CheckpointTaskOptions = {}): Promise<api.Image | undefined> {
  const { name, ...criu } = o;
  const container = await c.containers.get(id);
  return c.withLease(() =>
    whilePaused(c, id, async () => {
      const descriptors = await c.tasks.checkpoint(id, packAny(CheckpointOptionsType, criu));
      if (criu.imagePath) return undefined;
      const index: CheckpointIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: descriptors.map((d) => ({ ...toDescriptor(d), platform: platformOf() })), annotations: {} };
      if (container.image) {
        index.manifests.push(toDescriptor((await c.images.get(container.image)).target!));
        index.annotations['image.name'] = container.image;
      }
      if (container.snapshotKey) index.manifests.push(await rwLayer(c, container));
      return storeIndex(c, name || checkpointTaskName(id), index, { [CHECKPOINT_LABEL]: 'true' });
    }),
  );
}
