// Checkpoint and restore on the manager's side (containerd 1.6's tasks service). CRIU itself runs
// in the shim's runtime; the manager only moves the CRIU image directory between the shim and
// the content store:
//
//   Tasks.Checkpoint   temp dir -> shim Task.Checkpoint{id, path: dir, options} -> the dir as an
//                      uncompressed tar blob (criu tar) + the container's spec Any as a blob
//                      (checkpoint config) -> both descriptors back -> temp dir removed.
//                      CheckpointOptions.image_path: the shim writes there, nothing is stored.
//   Tasks.Create       `checkpoint` descriptor (criu tar only) -> extracted into the new task's
//   + checkpoint       bundle (<bundle>/checkpoint) -> its path is the shim Create's
//                      `checkpoint`: the shim restores instead of creating. Both shims (ours and
//                      containerd-shim-runc-v2) run the restore at Start, so the images stay
//                      until Start has answered; they go with the bundle in any case.
//
// Blobs are written under the caller's lease (as every write through the API), so a client that
// has not yet referenced them from an image still keeps them from the garbage collector.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { AnyType, anyTypeName, CheckpointOptionsType, decode, encode, type Any } from '@strata/shim/proto';
import { applyLayer } from '../archive/apply';
import { TarWriter } from '../archive/tarWriter';
import type { ContentStore } from '../content';
import { writeChanges } from '../diff/changes';
import { invalid, isManagerError, ManagerError } from '../errors';
import { CheckpointMediaType } from '../images/mediaTypes';
import type { LeaseStore } from '../metadata/leases';
import type { Descriptor } from '../types';

/** What the checkpoint code needs from the manager (kept narrow: no task or API types). */
export interface CheckpointStores {
  content: ContentStore;
  leases: LeaseStore;
  /** Where Tasks.Checkpoint's temporary CRIU image directories live: <state>/checkpoints. */
  tempRoot: string;
}

/** An API descriptor (annotations always present, as the Tasks service answers them). */
export type CheckpointDescriptor = Descriptor & { annotations: Record<string, string> };

/** A fresh private directory for one CRIU image (removed by the caller in a finally). */
export function checkpointTempDir(s: CheckpointStores): string {
  fs.mkdirSync(s.tempRoot, { recursive: true, mode: 0o700 });
  return fs.mkdtempSync(path.join(s.tempRoot, 'checkpoint-'));
}

/**
 * containerd.runc.v1.CheckpointOptions.image_path, if the options carry one: the caller wants
 * the CRIU images in that directory and nothing in the content store. Options of another type
 * go to the shim untouched (it decides what it accepts).
 */
export function checkpointImagePath(options: Any | undefined): string | undefined {
  if (!options?.value?.length || anyTypeName(options) !== 'containerd.runc.v1.CheckpointOptions') return undefined;
  try {
    return decode(CheckpointOptionsType, options.value).imagePath || undefined;
  } catch (e) {
    throw invalid('options', `unreadable containerd.runc.v1.CheckpointOptions: ${(e as Error).message}`);
  }
}

/** Write one blob through a content writer, held by the lease before it exists (see Content.Write). */
async function storeBlob(s: CheckpointStores, ns: string, lease: string | undefined, mediaType: string, fill: (out: Writable) => Promise<void>): Promise<CheckpointDescriptor> {
  const ref = `checkpoint-${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
  const w = await s.content.writer(ns, { ref });
  try {
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        w.write(chunk).then(() => cb(), cb);
      },
    });
    await fill(out);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    const digest = w.digest();
    const size = w.status().offset;
    if (lease) s.leases.addResource(ns, lease, { type: 'content', id: digest });
    try {
      await w.commit(size, digest);
    } catch (e) {
      // The same bytes are stored already (the same spec checkpointed twice): that blob will do.
      if (!isManagerError(e, 'ALREADY_EXISTS')) throw e;
    }
    return { mediaType, digest, size, annotations: {} };
  } catch (e) {
    // A failed checkpoint leaves no half-written ingest behind.
    await w.close();
    await s.content.abort(ns, ref).catch(() => {});
    throw e;
  }
}

/**
 * The CRIU image directory as the criu tar blob: every file of `imageDir` (containerd writes the
 * difference from an empty tree, i.e. the whole directory, uncompressed).
 */
export async function storeCriuImage(s: CheckpointStores, ns: string, lease: string | undefined, imageDir: string): Promise<CheckpointDescriptor> {
  const empty = fs.mkdtempSync(path.join(path.dirname(imageDir), 'empty-'));
  try {
    return await storeBlob(s, ns, lease, CheckpointMediaType.criu, async (out) => {
      const tw = new TarWriter(out);
      await writeChanges(tw, empty, imageDir);
      await tw.finish();
    });
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
}

/** The container's spec, as its google.protobuf.Any proto-marshalled (what restore reads back). */
export function storeSpec(s: CheckpointStores, ns: string, lease: string | undefined, spec: Any): Promise<CheckpointDescriptor> {
  const bytes = Buffer.from(encode(AnyType, spec));
  return storeBlob(s, ns, lease, CheckpointMediaType.config, async (out) => {
    await new Promise<void>((resolve, reject) => out.write(bytes, (e) => (e ? reject(e) : resolve())));
  });
}

/**
 * Tasks.Checkpoint's work: `dump` (the shim's Task.Checkpoint) writes the CRIU images into a
 * directory; unless the caller chose that directory (image_path), its tar and the spec become
 * two blobs, criu tar first (clients take the first descriptor as "the checkpoint").
 */
export async function checkpointToContent(
  s: CheckpointStores,
  o: { ns: string; lease?: string; spec: Any; options?: Any; dump: (imageDir: string) => Promise<void> },
): Promise<CheckpointDescriptor[]> {
  const imagePath = checkpointImagePath(o.options);
  if (imagePath) {
    await o.dump(imagePath);
    return [];
  }
  const dir = checkpointTempDir(s);
  try {
    await o.dump(dir);
    const criu = await storeCriuImage(s, o.ns, o.lease, dir);
    const config = await storeSpec(s, o.ns, o.lease, o.spec);
    return [criu, config];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Tasks.Create's `checkpoint`, checked before any shim starts: the criu tar type only (as
 * containerd: "unsupported checkpoint type"), and a blob this namespace has. Returns the blob.
 */
export function restoreBlob(s: CheckpointStores, ns: string, desc: { mediaType: string; digest: string; size: number }): { digest: string; size: number } {
  if (desc.mediaType !== CheckpointMediaType.criu) {
    throw invalid('checkpoint.media_type', `unsupported checkpoint type ${JSON.stringify(desc.mediaType)} (Tasks.Create restores from ${CheckpointMediaType.criu} only)`);
  }
  if (!desc.digest) throw invalid('checkpoint.digest', 'required');
  let size: number;
  try {
    size = s.content.info(ns, desc.digest).size;
  } catch (e) {
    if (isManagerError(e, 'NOT_FOUND')) throw new ManagerError('NOT_FOUND', `checkpoint.digest: content ${desc.digest} not found in namespace ${ns}`);
    if (isManagerError(e, 'INVALID_ARGUMENT')) throw invalid('checkpoint.digest', e.message);
    throw e;
  }
  if (desc.size && desc.size !== size) throw invalid('checkpoint.size', `${desc.size}, but the stored blob ${desc.digest} has ${size} bytes`);
  return { digest: desc.digest, size };
}

/**
 * Extract the criu tar into `dir` with the manager's safe extractor (no absolute names, no "..",
 * no symlink walked through): the tar is content anyone with API access could have written.
 */
export async function extractCriuImage(s: CheckpointStores, ns: string, blob: { digest: string; size: number }, dir: string): Promise<void> {
  await applyLayer(dir, s.content.reader(ns, blob), { whiteouts: 'delete', name: `checkpoint ${blob.digest}` });
}
