// Pull an image (containerd's client.Pull / `ctr images pull` without unpack):
//
//   resolve the reference -> fetch the target (index or manifest)
//     -> index: choose the manifests for the platform (best first; all with allPlatforms)
//     -> manifest: fetch config and layers (3 at a time, like containerd's default)
//   -> create or update the image record (name -> target)
//
// Parents are committed with the GC labels naming their children (containerd.io/gc.ref.content.*)
// and every blob with containerd.io/distribution.source.<registry>=<repository>, which a later
// push uses to mount the blob instead of uploading it. Unpacking layers into a snapshotter is
// the caller's step: the result lists the chosen manifest's layers and diff_ids.
import { ManagerError, notFound } from '../errors';
import type { ContentStore } from '../content/store';
import { sha256 } from '../content/digest';
import type { Descriptor, Labels, Platform } from '../types';
import { childGCLabels, childrenOf, imageParts, parseIndex, storeProvider, type ImageParts } from '../images/manifest';
import { isIndexType, isManifestType } from '../images/mediaTypes';
import { allPlatforms, toPlatformMatcher, type PlatformMatcher } from '../images/platform';
import { parseReference } from '../images/reference';
import type { Image, ImageStore } from '../images/store';
import { DISTRIBUTION_SOURCE_PREFIX, addLabels, fetchToStore, type ProgressFn } from './fetch';

export { DISTRIBUTION_SOURCE_PREFIX };
import type { RegistryClient, Repository } from './registry';


export interface PullDeps {
  store: ContentStore;
  images: ImageStore;
  client: RegistryClient;
}

export interface PullOptions {
  /** "linux/arm64", a Platform or a matcher; default: the host's (containerd's platforms.Default()). */
  platform?: string | Platform | PlatformMatcher;
  /** Fetch every manifest of an index. */
  allPlatforms?: boolean;
  onProgress?: ProgressFn;
  /** Image record labels. */
  labels?: Labels;
  /** Parallel blob downloads (default 3). */
  concurrency?: number;
  /** Network byte counter (tests: a resumed pull moves fewer bytes). */
  counter?: { bytes: number };
}

export interface PullResult {
  image: Image;
  /**
   * What the unpacker needs for the chosen platform: layers (bottom first) and diff_ids.
   * Undefined only with allPlatforms when no manifest matches `platform` (or the host).
   */
  parts?: ImageParts;
}

/** Run `fn` over `items`, at most `limit` at once; the first failure is thrown once all stopped. */
export async function runLimited<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < items.length && failed === undefined) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

export async function pullImage(deps: PullDeps, ns: string, reference: string, opts: PullOptions = {}): Promise<PullResult> {
  const { store, images, client } = deps;
  opts.onProgress?.({ ref: reference, status: 'resolving', offset: 0, total: 0 });
  const resolved = await client.resolve(reference);
  opts.onProgress?.({ ref: resolved.name, status: 'resolved', offset: 0, total: 0, digest: resolved.desc.digest, mediaType: resolved.desc.mediaType });
  const ref = parseReference(resolved.name);
  const repo = client.repository(ref);
  const matcher = opts.allPlatforms ? allPlatforms : toPlatformMatcher(opts.platform);
  const sourceLabel = { [`${DISTRIBUTION_SOURCE_PREFIX}${ref.domain}`]: ref.path };

  await fetchTree(store, ns, repo, resolved.desc, matcher, opts, sourceLabel);

  const image = images.upsert(ns, { name: resolved.name, target: resolved.desc, labels: opts.labels });
  let parts: ImageParts | undefined;
  try {
    parts = await imageParts(storeProvider(store, ns), resolved.desc, opts.allPlatforms ? toPlatformMatcher(opts.platform) : matcher);
  } catch (e) {
    if (!opts.allPlatforms || !(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
  }
  return { image, parts };
}

/**
 * Fetch a manifest/index, then its children. A parent is fetched first but committed with its
 * children's GC labels already set, so a collection in between never orphans a child.
 */
async function fetchTree(
  store: ContentStore,
  ns: string,
  repo: Repository,
  desc: Descriptor,
  matcher: PlatformMatcher,
  opts: PullOptions,
  sourceLabel: Labels,
): Promise<void> {
  if (!isManifestType(desc.mediaType) && !isIndexType(desc.mediaType)) throw new ManagerError('UNIMPLEMENTED', `cannot pull ${desc.mediaType} as an image`);
  const bytes = await fetchDocument(store, ns, repo, desc, opts, sourceLabel);
  const kids = childrenOf(bytes, desc);

  if (isIndexType(desc.mediaType)) {
    const index = parseIndex(bytes, desc);
    let chosen = index.manifests.filter((m) => !m.platform || matcher.match(m.platform));
    if (matcher !== allPlatforms) {
      // containerd's LimitManifests(..., 1): the best match only.
      chosen.sort((a, b) => {
        if (!a.platform) return b.platform ? 1 : 0;
        if (!b.platform) return -1;
        return matcher.less(a.platform, b.platform) ? -1 : matcher.less(b.platform, a.platform) ? 1 : 0;
      });
      chosen = chosen.slice(0, 1);
    }
    if (chosen.length === 0) {
      const offered = index.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? '/' + m.platform.variant : ''}` : '?')).join(', ');
      throw notFound(`${repo.name}: no manifest for platform ${matcher.description} in index ${desc.digest} (it offers ${offered})`);
    }
    for (const m of chosen) await fetchTree(store, ns, repo, m, matcher, opts, sourceLabel);
    return;
  }
  // A manifest: config and layers, in parallel.
  await runLimited(kids, opts.concurrency ?? 3, async (child) => {
    await fetchToStore(store, ns, repo, child, { labels: sourceLabel, onProgress: opts.onProgress, counter: opts.counter });
  });
}

/** Fetch a manifest or index (small), commit it with its GC labels, return its bytes. */
async function fetchDocument(store: ContentStore, ns: string, repo: Repository, desc: Descriptor, opts: PullOptions, sourceLabel: Labels): Promise<Buffer> {
  if (store.has(ns, desc.digest)) {
    opts.onProgress?.({ ref: `${isIndexType(desc.mediaType) ? 'index' : 'manifest'}-${desc.digest}`, status: 'exists', offset: desc.size, total: desc.size, digest: desc.digest, mediaType: desc.mediaType });
    const bytes = await store.readBlob(ns, desc);
    addLabels(store, ns, desc.digest, { ...childGCLabels(childrenOf(bytes, desc)), ...sourceLabel });
    return bytes;
  }
  if (desc.size > 4 << 20) throw new ManagerError('INVALID_ARGUMENT', `${desc.digest}: a ${desc.size}-byte manifest is larger than the 4 MiB a registry accepts`);
  // Download into memory first (the GC labels need the parsed children), verify, then commit
  // through a writer so the bytes are checked once more on the way in.
  const { stream, start } = await repo.open(desc, 0);
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    n += (c as Buffer).length;
    if (opts.counter) opts.counter.bytes += (c as Buffer).length;
    if (n > desc.size) {
      stream.destroy();
      throw new ManagerError('DATA_LOSS', `${desc.digest} from ${repo.name}: the registry sent more than the ${desc.size} bytes the descriptor says`);
    }
    chunks.push(c as Buffer);
  }
  if (start !== 0) throw new ManagerError('INTERNAL', 'manifest fetched with a range');
  const bytes = Buffer.concat(chunks);
  const labels = { ...childGCLabels(childrenOf(verified(bytes, desc, repo), desc)), ...sourceLabel };
  try {
    await store.put(ns, { digest: desc.digest, size: desc.size }, bytes, labels);
  } catch (e) {
    if (e instanceof ManagerError && e.code === 'FAILED_PRECONDITION') throw new ManagerError('DATA_LOSS', `${desc.digest} from ${repo.name}: ${e.message}`);
    throw e;
  }
  opts.onProgress?.({ ref: `${isIndexType(desc.mediaType) ? 'index' : 'manifest'}-${desc.digest}`, status: 'done', offset: desc.size, total: desc.size, digest: desc.digest, mediaType: desc.mediaType });
  return bytes;
}

function verified(bytes: Buffer, desc: Descriptor, repo: Repository): Buffer {
  if (bytes.length !== desc.size) {
    throw new ManagerError('DATA_LOSS', `${desc.digest} from ${repo.name}: got ${bytes.length} bytes, the descriptor says ${desc.size}`);
  }
  const got = sha256(bytes);
  if (got !== desc.digest) throw new ManagerError('DATA_LOSS', `${desc.digest} from ${repo.name}: the manifest hashes to ${got} (corrupt or tampered; nothing was stored)`);
  return bytes;
}
