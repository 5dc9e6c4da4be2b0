// Pull from the client side, as containerd's client (and ctr) does it: resolve the reference at
// the registry, fetch the index/manifest/config/layers for the platform into the *manager's*
// content store over the API (Content.Write; the store verifies size and digest at commit),
// label parents with GC references to their children, name the image, unpack it. Everything
// runs under a lease so garbage collection cannot take half a pull. A pull that breaks resumes:
// the Write stream's STAT says how many bytes of each blob are already there, and the registry
// is asked for the rest with an HTTP Range request.
import { refKey, runLimited, type ProgressFn, type RegistryClient } from '../distribution';
import { ManagerError } from '../errors';
import { childGCLabels, childrenOf, type ImageConfig } from '../images/manifest';
import { isIndexType, isManifestType } from '../images/mediaTypes';
import { toPlatformMatcher } from '../images/platform';
import type { Descriptor } from '../types';
import type { ManagerClient } from './client';
import { resolveImage, unpackLayers } from './unpack';

/** How long a pull waits for another writer of the same blob ("ref ... locked"). */
const LOCK_WAIT_MS = 5 * 60_000;

export interface PullOptions {
  registry: RegistryClient;
  platform?: string;
  /** Unpack into this snapshotter (default overlayfs); false to only fetch. */
  unpack?: false | string;
  onProgress?: ProgressFn;
}

export interface PullResult {
  name: string;
  target: Descriptor;
  manifest: Descriptor;
  config: ImageConfig;
  chainId?: string;
  bytesFetched: number;
}

export async function pullImage(c: ManagerClient, reference: string, o: PullOptions): Promise<PullResult> {
  const progress = o.onProgress ?? (() => {});
  return c.withLease(async () => {
    progress({ ref: reference, status: 'resolving', offset: 0, total: 0 });
    const { name, desc: target } = await o.registry.resolve(reference);
    progress({ ref: reference, status: 'resolved', offset: 0, total: 0, digest: target.digest, mediaType: target.mediaType });
    const repo = o.registry.repository(name);
    let bytesFetched = 0;

    /** Fetch one blob into the manager's content store (resuming a partial ingest). */
    const fetch = async (desc: Descriptor): Promise<void> => {
      const ref = refKey(desc);
      // No "has it already?" shortcut: opening the writer of a blob that exists answers
      // ALREADY_EXISTS *and* puts the blob under this pull's lease, while a plain Info would leave
      // it to a garbage collection running meanwhile (an image just removed: its blobs go).
      let w;
      // Another pull fetching the same blob (an image sharing a layer) holds its ref: wait for
      // it (bounded), then the blob is there.
      for (const deadline = Date.now() + LOCK_WAIT_MS; !w; ) {
        try {
          w = await c.content.writer(ref, desc.size, desc.digest);
        } catch (e) {
          if (e instanceof ManagerError && e.code === 'ALREADY_EXISTS') {
            progress({ ref, status: 'exists', offset: desc.size, total: desc.size, digest: desc.digest });
            return;
          }
          if (!(e instanceof ManagerError && e.code === 'UNAVAILABLE' && /locked/.test(e.message)) || Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      try {
        if (w.offset < desc.size) {
          const { stream, start } = await repo.open(desc, w.offset);
          if (start !== w.offset) await w.truncate(); // the registry ignored Range: start over
          progress({ ref, status: 'downloading', offset: w.offset, total: desc.size, digest: desc.digest });
          let pending: Buffer[] = [];
          let pendingLen = 0;
          for await (const chunk of stream) {
            pending.push(chunk as Buffer);
            pendingLen += (chunk as Buffer).length;
            bytesFetched += (chunk as Buffer).length;
            if (pendingLen >= 1 << 20) {
              await w.write(Buffer.concat(pending));
              pending = [];
              pendingLen = 0;
              progress({ ref, status: 'downloading', offset: w.offset, total: desc.size, digest: desc.digest });
            }
          }
          if (pendingLen) await w.write(Buffer.concat(pending));
        }
        // The store checks size and digest: a tampered or truncated blob is refused here.
        await w.commit(desc.size, desc.digest);
      } catch (e) {
        if (e instanceof ManagerError && (e.code === 'DATA_LOSS' || (e.code === 'FAILED_PRECONDITION' && /unexpected commit (digest|size)/.test(e.message)))) {
          // The bytes do not hash to the digest (or have the wrong size): keeping them as a resumable ingest would make
          // every later pull fail the same way. Throw them away.
          w.close();
          await c.content.abort(ref).catch(() => {});
          throw e;
        }
        // Let the bytes already sent reach the store before we give up: the next pull resumes
        // from them (STAT reports the offset; the registry is asked for the rest with Range).
        await w.flush().catch(() => {});
        w.close();
        if (e instanceof ManagerError && e.code === 'ALREADY_EXISTS') return;
        throw e;
      }
      progress({ ref, status: 'done', offset: desc.size, total: desc.size, digest: desc.digest });
    };

    /** Fetch a manifest or index, then its children, then label it with GC refs to them. */
    const matcher = toPlatformMatcher(o.platform);
    const visit = async (desc: Descriptor, depth: number): Promise<void> => {
      if (depth > 8) throw new ManagerError('INVALID_ARGUMENT', `${name}: indexes nested too deep`);
      await fetch(desc);
      if (!isIndexType(desc.mediaType) && !isManifestType(desc.mediaType)) return;
      const bytes = await c.content.read(desc);
      let kids = childrenOf(bytes, desc);
      if (isIndexType(desc.mediaType)) kids = kids.filter((k) => !k.platform || matcher.match(k.platform));
      // Children in parallel, three at a time (containerd's default fetch concurrency).
      await runLimited(kids, 3, (k) => visit(k, depth + 1));
      const labels = childGCLabels(kids);
      if (Object.keys(labels).length) await c.content.update(desc.digest, labels, Object.keys(labels).map((k) => `labels.${k}`));
    };
    await visit(target, 0);

    const { manifest: resolved, config } = await resolveImage(c, target, o.platform);
    const configDesc = resolved.manifest.config;
    await c.images.put({ name, target, labels: {} });
    let chainId: string | undefined;
    if (o.unpack !== false) {
      const r = await unpackLayers(c, resolved.manifest.layers, config.rootfs.diff_ids, configDesc.digest, o.unpack || 'overlayfs');
      chainId = r.chainId;
    }
    return { name, target, manifest: resolved.desc, config, chainId, bytesFetched };
  });
}

