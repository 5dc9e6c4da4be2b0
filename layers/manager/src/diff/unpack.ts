// Unpack an image's layers into snapshots, server side (containerd's unpacker.go, which pull
// runs with --unpack). For each layer, in order:
//
//   chainID = image-spec config.md#layer-chainid: ChainID(L0) = DiffID(L0),
//             ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln))
//   if a committed snapshot named chainID exists: nothing to do (another image shares the chain)
//   else prepare "extract-<unique> <chainID>" on the previous chainID, apply the layer, check the
//        result against the config's diff_id (a mismatch removes the snapshot and fails), commit
//        as chainID with the label containerd.io/snapshot.ref=<chainID>
//
// What containerd then records on content (the caller owns the content store):
//   layer blob   containerd.io/uncompressed=<diff_id>              (onApplied gives both digests)
//   config blob  containerd.io/gc.ref.snapshot.<snapshotter>=<top chainID>  (gcRefSnapshotLabel)
import crypto from 'node:crypto';
import { isManagerError, ManagerError } from '../errors';
import type { Snapshotter } from '../snapshots/snapshotter';
import type { Descriptor, Labels, Mount } from '../types';

export const LABEL_SNAPSHOT_REF = 'containerd.io/snapshot.ref';
export const LABEL_UNCOMPRESSED = 'containerd.io/uncompressed';
export const gcRefSnapshotLabel = (snapshotter: string): string => `containerd.io/gc.ref.snapshot.${snapshotter}`;
const INHERITED_LABEL_PREFIX = 'containerd.io/snapshot/';

/** image-spec config.md#layer-chainid, one chain ID per layer. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${crypto.createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}

/** Layer annotations that become snapshot labels (containerd's snapshots.FilterInheritedLabels). */
export function inheritedLabels(annotations: Record<string, string> | undefined): Labels {
  const out: Labels = {};
  for (const [k, v] of Object.entries(annotations ?? {})) if (k === LABEL_SNAPSHOT_REF || k.startsWith(INHERITED_LABEL_PREFIX)) out[k] = v;
  return out;
}

/** The extraction key, "extract-<nanoseconds>-<random> <chainID>" (containerd's UnpackKeyFormat). */
export const unpackKey = (chainId: string): string =>
  `extract-${process.hrtime.bigint() % 1_000_000_000n}-${crypto.randomBytes(3).toString('base64url')} ${chainId}`;

export interface UnpackLayer {
  /** The layer blob's descriptor (as the manifest lists it). */
  desc: Descriptor;
  /** Its diff_id from the image config's rootfs.diff_ids. */
  diffId: string;
}

/** Diff.Apply bound to a layer source: apply(desc, mounts, contentStore.reader(desc)). */
export type ApplyFn = (desc: Descriptor, mounts: Mount[]) => Promise<Descriptor>;

export interface UnpackOptions {
  /** Extra labels for every snapshot made. */
  labels?: Labels;
  /** Called after a layer is committed (e.g. to label the blob containerd.io/uncompressed). */
  onApplied?: (layer: UnpackLayer, chainId: string) => void | Promise<void>;
}

export interface UnpackResult {
  /** The top layer's chain ID: the snapshot a container of this image is prepared on. */
  chainId: string;
  /** Layers extracted now (with their chain IDs). */
  applied: { digest: string; diffId: string; chainId: string }[];
  /** Layers whose chain snapshot existed already. */
  reused: number;
}

// One extraction per chain at a time in this process (containerd's lockSnChainID).
const locks = new Map<string, Promise<void>>();
async function withLock<T>(key: string, f: () => Promise<T>): Promise<T> {
  while (locks.has(key)) await locks.get(key);
  let release!: () => void;
  locks.set(key, new Promise<void>((r) => (release = r)));
  try {
    return await f();
  } finally {
    locks.delete(key);
    release();
  }
}

async function exists(sn: Snapshotter, ns: string, key: string): Promise<boolean> {
  try {
    await sn.stat(ns, key);
    return true;
  } catch (e) {
    if (isManagerError(e, 'NOT_FOUND')) return false;
    throw e;
  }
}

export async function unpack(layers: readonly UnpackLayer[], sn: Snapshotter, ns: string, applyFn: ApplyFn, opts: UnpackOptions = {}): Promise<UnpackResult> {
  const chain = chainIds(layers.map((l) => l.diffId));
  const result: UnpackResult = { chainId: chain[chain.length - 1] ?? '', applied: [], reused: 0 };
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const chainId = chain[i];
    const parent = i === 0 ? '' : chain[i - 1];
    await withLock(`${ns}\0${sn.name}\0${chainId}`, async () => {
      if (await exists(sn, ns, chainId)) {
        result.reused++;
        return;
      }
      const labels: Labels = { ...inheritedLabels(layer.desc.annotations), ...opts.labels, [LABEL_SNAPSHOT_REF]: chainId };
      let key = '';
      let mounts: Mount[] | undefined;
      for (let attempt = 1; attempt <= 3 && !mounts; attempt++) {
        key = unpackKey(chainId);
        try {
          mounts = await sn.prepare(ns, key, parent, labels);
        } catch (e) {
          if (!isManagerError(e, 'ALREADY_EXISTS')) throw e;
          if (await exists(sn, ns, chainId)) {
            result.reused++;
            return;
          }
        }
      }
      if (!mounts) throw new ManagerError('UNAVAILABLE', `unable to prepare an extraction snapshot for ${chainId}`);
      const abort = () => sn.remove(ns, key).catch(() => undefined);
      try {
        const diff = await applyFn(layer.desc, mounts);
        if (diff.digest !== layer.diffId) {
          throw new ManagerError('DATA_LOSS', `layer ${i} (${layer.desc.digest}): wrong diff id calculated on extraction: got ${diff.digest}, the image config says ${layer.diffId}`);
        }
      } catch (e) {
        await abort();
        throw e;
      }
      try {
        await sn.commit(ns, chainId, key, labels);
      } catch (e) {
        await abort();
        if (isManagerError(e, 'ALREADY_EXISTS')) {
          result.reused++; // another unpack of the same chain won
          return;
        }
        throw e;
      }
      result.applied.push({ digest: layer.desc.digest, diffId: layer.diffId, chainId });
      await opts.onApplied?.(layer, chainId);
    });
  }
  return result;
}
