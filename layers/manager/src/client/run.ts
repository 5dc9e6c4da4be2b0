// `run` from the client side (ctr run): container record + snapshot + task, then wait.
//   1. the image: its manifest for this platform and its config (from the content store);
//   2. its layers unpacked (skipped when the chain's snapshot exists);
//   3. a new active snapshot on top of the image's top layer: the container's rootfs;
//   4. the OCI spec, built from the image config and the caller's options;
//   5. the container record (Containers.Create), then the task (Tasks.Create with the
//      snapshot's mounts and FIFOs for stdio), Tasks.Start, Tasks.Wait.
import type { Spec } from '@strata/oci';
import { ManagerError } from '../errors';
import type { ImageConfig as FullImageConfig } from '../images/manifest';
import { normalizeReference } from '../images/reference';
import type { Descriptor, Mount } from '../types';
import type { ManagerClient } from './client';
import { attach, makeFifos } from './io';
import { containerSpec, type SpecOptions } from './spec';
import { chainIds, resolveImage, unpackLayers } from './unpack';

export const SPEC_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Spec';
export const PROCESS_TYPE_URL = 'types.containerd.io/opencontainers/runtime-spec/1/Process';

export const specAny = (s: object, typeUrl = SPEC_TYPE_URL) => ({ typeUrl, value: new Uint8Array(Buffer.from(JSON.stringify(s))) });

export interface NewContainerOptions extends Omit<SpecOptions, 'namespace' | 'id' | 'image'> {
  image: string;
  id: string;
  runtime: string;
  runtimeOptions?: { typeUrl: string; value: Uint8Array };
  snapshotter?: string;
  labels?: Record<string, string>;
  platform?: string;
}

/** Find an image by the name given or its normalized form ("busybox" -> docker.io/library/busybox:latest). */
export async function getImage(c: ManagerClient, name: string) {
  try {
    return await c.images.get(name);
  } catch (e) {
    if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
    let norm: string;
    try {
      norm = normalizeReference(name);
    } catch {
      throw e;
    }
    if (norm === name) throw new ManagerError('NOT_FOUND', `image "${name}": not found (pull or import it first)`);
    try {
      return await c.images.get(norm);
    } catch {
      throw new ManagerError('NOT_FOUND', `image "${name}": not found (pull or import it first)`);
    }
  }
}

/** Create the container record and its rootfs snapshot (ctr container create / the first half of run). */
export async function newContainer(c: ManagerClient, o: NewContainerOptions): Promise<{ spec: Spec; snapshotter: string; config: FullImageConfig }> {
  const snapshotter = o.snapshotter ?? 'overlayfs';
  return c.withLease(async () => {
    const image = await getImage(c, o.image);
    const { manifest: resolved, config } = await resolveImage(c, image.target as Descriptor, o.platform);
    const chain = chainIds(config.rootfs.diff_ids);
    const top = chain[chain.length - 1] ?? '';
    if (top && !(await c.snapshots(snapshotter).exists(top))) {
      await unpackLayers(c, resolved.manifest.layers, config.rootfs.diff_ids, resolved.manifest.config.digest, snapshotter);
    }
    const ns = c.namespace;
    const spec = containerSpec({ ...o, namespace: ns, id: o.id, image: config.config, lookupUser: (u) => (u === 'root' ? { uid: 0, gid: 0 } : undefined) });
    await c.snapshots(snapshotter).prepare(o.id, top);
    try {
      await c.containers.create({
        id: o.id,
        labels: o.labels ?? {},
        image: image.name,
        runtime: { name: o.runtime, options: o.runtimeOptions },
        spec: specAny(spec),
        snapshotter,
        snapshotKey: o.id,
        extensions: {},
      });
    } catch (e) {
      await c.snapshots(snapshotter).remove(o.id).catch(() => {});
      throw e;
    }
    return { spec, snapshotter, config };
  });
}

export interface StdStreams {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/**
 * Create and start the task of an existing container, attached to `streams`; with `detach`,
 * return after Start (output then goes nowhere: ctr run -d uses no FIFOs either... we give the
 * task /dev/null). Returns the exit status (or 0 when detached).
 */
export async function startTask(
  c: ManagerClient,
  id: string,
  o: { terminal?: boolean; detach?: boolean; streams: StdStreams; onStarted?: (pid: number) => void; withStdin?: boolean; checkpoint?: Descriptor },
): Promise<number> {
  const container = await c.containers.get(id);
  const mounts: Mount[] = container.snapshotKey ? await c.snapshots(container.snapshotter).mounts(container.snapshotKey) : [];
  // checkpoint: the criu tar of a checkpoint image; the shim restores the processes from it.
  const checkpoint = o.checkpoint && { mediaType: o.checkpoint.mediaType, digest: o.checkpoint.digest, size: o.checkpoint.size, annotations: o.checkpoint.annotations ?? {} };
  if (o.detach) {
    await c.tasks.create({ containerId: id, rootfs: mounts, terminal: false, checkpoint });
    const pid = await c.tasks.start(id);
    o.onStarted?.(pid);
    return 0;
  }
  const fifos = makeFifos(id, { stdin: !!o.withStdin, terminal: !!o.terminal });
  const io = attach(fifos, o.streams);
  try {
    await c.tasks.create({ containerId: id, rootfs: mounts, stdin: fifos.stdin, stdout: fifos.stdout, stderr: fifos.stderr, terminal: !!o.terminal, checkpoint });
    // Wait first, then start: an exit that happens right after Start cannot be missed.
    const waited = c.tasks.wait(id);
    const pid = await c.tasks.start(id);
    io.opened(); // the shim has its ends open by now (at Create for a task, at Start for an exec)
    o.onStarted?.(pid);
    void io.stdinClosed.then(() => c.tasks.closeIO(id).catch(() => {}));
    const res = await waited;
    // As ctr run does: the task is deleted once it exited (the container record stays). The shim
    // closes the FIFOs at Delete, so the output ends there; bounded, in case a process the
    // container left behind still holds them.
    await c.tasks.delete(id).catch(() => {});
    await Promise.race([io.done, new Promise((r) => setTimeout(r, 5_000))]);
    return res.exitStatus;
  } finally {
    io.close();
  }
}

/** Delete the task (if any), the container record and its snapshot (ctr run --rm, ctr c rm). */
export async function removeContainer(c: ManagerClient, id: string, o: { force?: boolean } = {}): Promise<void> {
  const container = await c.containers.get(id);
  try {
    const p = await c.tasks.get(id);
    if (p.status !== 3 /* STOPPED */) {
      if (!o.force) throw new ManagerError('FAILED_PRECONDITION', `cannot delete container ${id}: its task is running (stop it first, or use --force)`);
      await c.tasks.kill(id, 9, { all: true }).catch(() => {});
      await c.tasks.wait(id);
    }
    await c.tasks.delete(id);
  } catch (e) {
    if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
  }
  await c.containers.delete(id);
  if (container.snapshotKey) await c.snapshots(container.snapshotter).remove(container.snapshotKey).catch((e) => {
    if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
  });
}
