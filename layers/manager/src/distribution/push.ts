// Push an image (containerd's client.Push / `ctr images push`): children before parents, so the
// registry can check that everything a manifest names is there when the manifest arrives.
//
//   for each blob (layers, config):  HEAD -> exists? skip
//                                    else mount from a repository it came from (same registry)
//                                    else upload (POST, then PUT or PATCH...PUT)
//   for each manifest of an index:   PUT /v2/<name>/manifests/<digest>
//   the target:                      PUT /v2/<name>/manifests/<tag>
//
// A push only reads: it takes any ContentProvider and ImageAccess (the local stores inside
// strata-manager, or the remote ones of client/remoteStores.ts in strata-ctr).
import { ManagerError, notFound } from '../errors';
import type { ContentProvider } from '../content/access';
import type { Descriptor, Platform } from '../types';
import { parseIndex, parseManifest, resolveManifest, storeProvider } from '../images/manifest';
import { isIndexType, isManifestType, isNonDistributable } from '../images/mediaTypes';
import { toPlatformMatcher, type PlatformMatcher } from '../images/platform';
import { formatReference, parseReference, referenceObject } from '../images/reference';
import type { ImageAccess } from '../images/access';
import { refKey, type ProgressFn } from './fetch';
import { DISTRIBUTION_SOURCE_PREFIX } from './fetch';
import type { RegistryClient, Repository } from './registry';

export interface PushDeps {
  store: ContentProvider;
  images: ImageAccess;
  client: RegistryClient;
}

export interface PushOptions {
  /** Push only this platform's manifest (as the tag's target) instead of the whole index. */
  platform?: string | Platform | PlatformMatcher;
  onProgress?: ProgressFn;
  /** Upload in PATCH chunks of this many bytes (default: one monolithic PUT). */
  chunkSize?: number;
  /** Try cross-repository mounts for blobs pulled from another repository of the same registry (default true). */
  mount?: boolean;
}

/** Push local image `imageName` to `reference` (default: the image's own name). Returns the pushed target. */
export async function pushImage(deps: PushDeps, ns: string, imageName: string, reference?: string, opts: PushOptions = {}): Promise<{ name: string; desc: Descriptor }> {
  const { store, images, client } = deps;
  const image = await images.get(ns, imageName);
  const ref = parseReference(reference ?? imageName);
  const repo = client.repository(ref);
  let target = image.target;
  if (opts.platform !== undefined && isIndexType(target.mediaType)) {
    target = (await resolveManifest(storeProvider(store, ns), target, toPlatformMatcher(opts.platform))).desc;
  }
  const done = new Set<string>();
  await pushTree(store, ns, repo, target, opts, done, true);
  const object = referenceObject(ref);
  const body = await store.readBlob(ns, target);
  if (ref.digest && ref.digest !== target.digest) {
    throw new ManagerError('INVALID_ARGUMENT', `push ${imageName} to ${formatReference(ref)}: the reference is pinned to ${ref.digest}, the image is ${target.digest}`);
  }
  await repo.putManifest(object, target, body);
  opts.onProgress?.({ ref: refKey(target), status: 'done', offset: target.size, total: target.size, digest: target.digest, mediaType: target.mediaType });
  return { name: formatReference(ref), desc: target };
}

async function pushTree(store: ContentProvider, ns: string, repo: Repository, desc: Descriptor, opts: PushOptions, done: Set<string>, isTop: boolean): Promise<void> {
  if (done.has(desc.digest)) return;
  done.add(desc.digest);
  if (isIndexType(desc.mediaType)) {
    const index = parseIndex(await store.readBlob(ns, desc), desc);
    for (const m of index.manifests) {
      if (!(await store.has(ns, m.digest))) {
        throw notFound(
          `push ${repo.name}: the index ${desc.digest} names manifest ${m.digest}${m.platform ? ` (${m.platform.os}/${m.platform.architecture})` : ''}, which is not in the store; pull with all platforms, or push one platform`,
        );
      }
      await pushTree(store, ns, repo, m, opts, done, false);
    }
  } else if (isManifestType(desc.mediaType)) {
    const m = parseManifest(await store.readBlob(ns, desc), desc);
    for (const child of [m.config, ...m.layers]) await pushBlob(store, ns, repo, child, opts, done);
  }
  if (!isTop) {
    // A manifest inside an index: by digest. The top-level one goes under the tag, by the caller.
    if (await repo.manifestExists(desc)) {
      opts.onProgress?.({ ref: refKey(desc), status: 'exists', offset: desc.size, total: desc.size, digest: desc.digest, mediaType: desc.mediaType });
      return;
    }
    await repo.putManifest(desc.digest, desc, await store.readBlob(ns, desc));
    opts.onProgress?.({ ref: refKey(desc), status: 'done', offset: desc.size, total: desc.size, digest: desc.digest, mediaType: desc.mediaType });
  }
}

async function pushBlob(store: ContentProvider, ns: string, repo: Repository, desc: Descriptor, opts: PushOptions, done: Set<string>): Promise<void> {
  if (done.has(desc.digest)) return;
  done.add(desc.digest);
  const key = refKey(desc);
  const report = (status: 'exists' | 'mounted' | 'uploading' | 'done', offset: number) =>
    opts.onProgress?.({ ref: key, status, offset, total: desc.size, digest: desc.digest, mediaType: desc.mediaType });
  if (isNonDistributable(desc.mediaType) && desc.urls?.length) return; // foreign layers stay where their urls say
  if (!(await store.has(ns, desc.digest))) throw notFound(`push ${repo.name}: blob ${desc.digest} (${desc.mediaType}) is not in the store`);
  if (await repo.blobExists(desc)) {
    report('exists', desc.size);
    return;
  }
  if (opts.mount !== false) {
    const source = (await store.info(ns, desc.digest)).labels[`${DISTRIBUTION_SOURCE_PREFIX}${repo.domain}`];
    for (const from of (source ?? '').split(',').filter((p) => p && p !== repo.path)) {
      if (await repo.mountBlob(desc, from).catch(() => false)) {
        report('mounted', desc.size);
        return;
      }
    }
  }
  report('uploading', 0);
  await repo.uploadBlob(
    desc,
    // The whole blob is read verified; a chunk (PATCH) is a byte range of the stored file.
    (start, end) => (start === 0 && end === undefined ? store.reader(ns, desc) : store.reader(ns, desc.digest, { offset: start, length: end === undefined ? undefined : end - start + 1 })),
    { chunkSize: opts.chunkSize, onProgress: (n) => report('uploading', n) },
  );
  report('done', desc.size);
}
