// Fetch one descriptor from a registry into the content store (containerd's remotes.FetchHandler
// + content.Copy), resumable and verified:
//
// - The write is named by a ref ("layer-sha256:..."), so an interrupted download leaves its bytes
//   in the ingest; the next fetch asks the registry for `Range: bytes=<offset>-` and appends. A
//   registry that ignores Range (200 instead of 206) makes us start over.
// - Every byte is hashed as it arrives. More bytes than the descriptor's size, a stream that ends
//   early, or a digest that does not match refuse the blob with DATA_LOSS, abort the ingest (so a
//   retry starts clean) and commit nothing.
// - A dropped connection is UNAVAILABLE and keeps the ingest: run the pull again to resume.
// - Another pull writing the same blob holds the ref: we wait for it ("waiting"), then find the
//   blob committed ("exists").
import type { IncomingMessage } from 'node:http';
import { ManagerError, isManagerError } from '../errors';
import type { ContentStore, ContentWriter } from '../content/store';
import type { Descriptor, Labels } from '../types';
import { isConfigType, isIndexType, isLayerType, isManifestType } from '../images/mediaTypes';
import type { Repository } from './registry';

export type ProgressStatus = 'resolving' | 'resolved' | 'waiting' | 'downloading' | 'uploading' | 'done' | 'exists' | 'mounted';

/** One progress report; the CLI draws bars on a TTY and prints JSON lines otherwise. */
export interface ProgressEvent {
  /** "index-sha256:...", "manifest-sha256:...", "config-sha256:...", "layer-sha256:..." (containerd's ref keys), or the image reference while resolving. */
  ref: string;
  status: ProgressStatus;
  offset: number;
  total: number;
  digest?: string;
  mediaType?: string;
}

export type ProgressFn = (e: ProgressEvent) => void;

/** containerd's remotes.MakeRefKey: names the ingest of a descriptor. */
export function refKey(desc: Descriptor): string {
  const mt = desc.mediaType;
  if (isManifestType(mt)) return `manifest-${desc.digest}`;
  if (isIndexType(mt)) return `index-${desc.digest}`;
  if (isLayerType(mt)) return `layer-${desc.digest}`;
  if (isConfigType(mt)) return `config-${desc.digest}`;
  return `unknown-${desc.digest}`;
}

export interface FetchOptions {
  labels?: Labels;
  onProgress?: ProgressFn;
  /** How long to wait for another writer holding the same ref (ms). */
  lockWaitMs?: number;
  /** Bytes actually received over the network (tests compare resumed pulls). */
  counter?: { bytes: number };
}

/** Fetch `desc` into namespace `ns` unless it is there; returns whether bytes were downloaded. */
export async function fetchToStore(store: ContentStore, ns: string, repo: Repository, desc: Descriptor, opts: FetchOptions = {}): Promise<'downloaded' | 'exists'> {
  const ref = refKey(desc);
  const progress = (status: ProgressStatus, offset: number) => opts.onProgress?.({ ref, status, offset, total: desc.size, digest: desc.digest, mediaType: desc.mediaType });
  if (!(desc.size >= 0) || !Number.isSafeInteger(desc.size)) throw new ManagerError('INVALID_ARGUMENT', `${ref}: descriptor size ${desc.size} is not a byte count`);

  let w: ContentWriter;
  const deadline = Date.now() + (opts.lockWaitMs ?? 5 * 60_000);
  for (let announced = false; ; ) {
    try {
      w = await store.writer(ns, { ref, total: desc.size, expected: desc.digest });
      break;
    } catch (e) {
      if (isManagerError(e, 'ALREADY_EXISTS')) {
        if (opts.labels) addLabels(store, ns, desc.digest, opts.labels);
        progress('exists', desc.size);
        return 'exists';
      }
      if (!isManagerError(e, 'UNAVAILABLE') || Date.now() > deadline) throw e;
      if (!announced) progress('waiting', 0);
      announced = true;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  try {
    if (w.offset > desc.size) await w.truncate(0); // an ingest longer than the blob can only be wrong
    if (w.offset < desc.size) await download(repo, desc, w, progress, opts);
    progress('downloading', w.offset);
    if (w.offset !== desc.size) {
      throw new ManagerError('DATA_LOSS', `${ref} from ${repo.name}: got ${w.offset} bytes, the descriptor says ${desc.size}`);
    }
    const actual = w.digest();
    if (actual !== desc.digest) {
      throw new ManagerError('DATA_LOSS', `${ref} from ${repo.name}: the bytes hash to ${actual}, the descriptor says ${desc.digest} (corrupt or tampered blob; nothing was stored)`);
    }
    try {
      await w.commit(desc.size, desc.digest, opts.labels);
    } catch (e) {
      if (!isManagerError(e, 'ALREADY_EXISTS')) throw e;
      if (opts.labels) addLabels(store, ns, desc.digest, opts.labels);
    }
    progress('done', desc.size);
    return 'downloaded';
  } catch (e) {
    await w.close();
    if (isManagerError(e, 'DATA_LOSS')) await store.abort(ns, ref).catch(() => {});
    throw e;
  }
}

/**
 * Add labels to a blob the namespace has. containerd.io/distribution.source.<registry> values are
 * comma-separated repository lists: a blob pulled from two repositories names both (containerd's
 * appendDistributionSourceLabel), so a push to either can mount it.
 */
export function addLabels(store: ContentStore, ns: string, digest: string, labels: Labels): void {
  const current = store.info(ns, digest).labels;
  const next: Labels = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(DISTRIBUTION_SOURCE_PREFIX) && current[k]) {
      const repos = current[k].split(',');
      for (const r of v.split(',')) if (!repos.includes(r)) repos.push(r);
      next[k] = repos.join(',');
    } else next[k] = v;
  }
  if (Object.keys(next).length) store.update(ns, { digest, labels: next }, Object.keys(next).map((k) => `labels.${k}`));
}

export const DISTRIBUTION_SOURCE_PREFIX = 'containerd.io/distribution.source.';

async function download(repo: Repository, desc: Descriptor, w: ContentWriter, progress: (s: ProgressStatus, o: number) => void, opts: FetchOptions): Promise<void> {
  const ref = refKey(desc);
  const { stream, start } = await repo.open(desc, w.offset);
  if (start !== w.offset) await w.truncate(0); // the server sent the whole blob
  progress('downloading', w.offset);
  let last = 0;
  try {
    for await (const chunk of stream as IncomingMessage) {
      const c = chunk as Buffer;
      if (opts.counter) opts.counter.bytes += c.length;
      if (w.offset + c.length > desc.size) {
        stream.destroy();
        throw new ManagerError('DATA_LOSS', `${ref} from ${repo.name}: the registry sent more than the ${desc.size} bytes the descriptor says (wrong size; nothing was stored)`);
      }
      await w.write(c);
      const t = Date.now();
      if (t - last > 100) {
        last = t;
        progress('downloading', w.offset);
      }
    }
  } catch (e) {
    if (e instanceof ManagerError) throw e;
    // The connection dropped: keep what we have, the next fetch resumes from here.
    throw new ManagerError('UNAVAILABLE', `${ref} from ${repo.name}: the download was interrupted at ${w.offset} of ${desc.size} bytes (${(e as Error).message}); pull again to resume`);
  }
  const complete = (stream as IncomingMessage).complete;
  if (!complete && w.offset < desc.size) {
    throw new ManagerError('UNAVAILABLE', `${ref} from ${repo.name}: the download was interrupted at ${w.offset} of ${desc.size} bytes; pull again to resume`);
  }
}
