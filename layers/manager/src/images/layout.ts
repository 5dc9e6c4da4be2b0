// Image archives in and out of the store (containerd's archive/ importer and exporter, `ctr
// images import/export`, `docker save/load`):
//
// - OCI image layout (image-spec image-layout.md) as a tar: `oci-layout`, `index.json` (one entry
//   per image, named by the annotations io.containerd.image.name and
//   org.opencontainers.image.ref.name), and every blob under `blobs/sha256/<hex>`. By default a
//   `manifest.json` is added, as containerd does, so `docker load` reads the same tar.
// - `docker save` tarballs: `manifest.json` ([{Config, RepoTags, Layers}]) naming a config file
//   and one tar per layer. Importing one builds a Docker schema 2 manifest around the files and
//   checks each layer against the config's rootfs.diff_ids. Exporting one writes the layer blobs
//   as they are stored (`docker load` accepts gzip layers), so export -> import keeps digests.
//
// Blobs read from an archive are verified like blobs from a registry: an OCI blob must hash to
// the name it has under blobs/, or nothing is recorded for it.
//
// The stores come in as interfaces (content/access.ts, images/access.ts): strata-manager passes
// its local stores, strata-ctr passes RemoteContentStore/RemoteImageStore (client/remoteStores.ts)
// and so imports into, and exports from, strata-manager or real containerd over the API.
import { Readable, type Writable } from 'node:stream';
import zlib from 'node:zlib';
import { ManagerError, invalid, isManagerError, notFound } from '../errors';
import type { ContentAccess, ContentProvider } from '../content/access';
import { Digester, parseDigest } from '../content/digest';
import type { Descriptor, Labels } from '../types';
import { MediaType, isIndexType, isManifestType, layerCompression } from './mediaTypes';
import { childGCLabels, childrenOf, parseConfig, parseIndex, parseManifest, resolveManifest, storeProvider, type ImageManifest } from './manifest';
import { allPlatforms, toPlatformMatcher, type PlatformMatcher } from './platform';
import { familiarName, normalizeReference, parseReference } from './reference';
import type { ImageAccess } from './access';
import type { Image } from './store';
import { readAll, readTar } from '../archive/tarReader';
import { TarWriter } from '../archive/tarWriter';
import type { Platform } from '../types';

export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
const OCI_LAYOUT_VERSION = '1.0.0';

/** Serialize a manifest/index/config the one way this project does (compact JSON). */
export const canonicalJson = (doc: unknown): Buffer => Buffer.from(JSON.stringify(doc));

/** A Docker schema 2 or OCI manifest around a config and layers. */
export function buildManifest(family: 'oci' | 'docker', config: Descriptor, layers: Descriptor[], annotations?: Record<string, string>): ImageManifest {
  const m: ImageManifest = {
    schemaVersion: 2,
    mediaType: family === 'oci' ? MediaType.ociManifest : MediaType.dockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, ...(l.annotations ? { annotations: l.annotations } : {}) })),
  };
  if (annotations) m.annotations = annotations;
  return m;
}

/** Labels that make the garbage collector keep a parent's children (see manifest.ts). */
async function labelTree(store: ContentAccess, ns: string, target: Descriptor): Promise<void> {
  const seen = new Set<string>();
  const visit = async (desc: Descriptor) => {
    if (seen.has(desc.digest) || !(isManifestType(desc.mediaType) || isIndexType(desc.mediaType))) return;
    seen.add(desc.digest);
    if (!(await store.has(ns, desc.digest))) return;
    const kids = childrenOf(await store.readBlob(ns, desc), desc);
    const labels = childGCLabels(kids);
    if (Object.keys(labels).length) await store.update(ns, { digest: desc.digest, labels }, Object.keys(labels).map((k) => `labels.${k}`));
    for (const k of kids) await visit(k);
  };
  await visit(target);
}

// ---- import ----------------------------------------------------------------------------------

export interface ImportOptions {
  /** For entries that carry only a tag (org.opencontainers.image.ref.name "1.0"): name = baseName:tag. */
  baseName?: string;
  /** Also name unnamed manifests "import@<digest>" (ctr import --digests does similar). */
  digests?: boolean;
  /** Labels for every image created. */
  labels?: Labels;
}

export interface ImportedImage {
  name?: string;
  target: Descriptor;
}

interface StoredFile {
  digest: string;
  size: number;
  gzip: boolean;
}

/** Read an OCI layout tar or a `docker save` tar into the store; create or update the images. */
export async function importImageArchive(
  store: ContentAccess,
  images: ImageAccess,
  ns: string,
  source: Readable | AsyncIterable<Buffer>,
  opts: ImportOptions = {},
): Promise<ImportedImage[]> {
  const small = new Map<string, Buffer>(); // JSON files (index.json, manifest.json, configs)
  const stored = new Map<string, StoredFile>(); // archive path -> blob in the store
  const links = new Map<string, string>(); // symlink/hardlink path -> target path

  for await (const { header, body } of readTar(maybeGunzip(source))) {
    const name = cleanPath(header.name);
    if (header.type === 'symlink') {
      links.set(name, header.linkname.startsWith('/') ? cleanPath(header.linkname) : cleanPath(posixJoin(posixDir(name), header.linkname)));
      continue;
    }
    if (header.type === 'hardlink') {
      links.set(name, cleanPath(header.linkname));
      continue;
    }
    if (header.type !== 'file') continue;
    const m = /^blobs\/([a-z0-9]+)\/([a-f0-9]+)$/.exec(name);
    if (m) {
      const digest = `${m[1]}:${m[2]}`;
      parseDigest(digest, `archive entry ${name}`);
      const r = await putVerified(store, ns, name, digest, header.size, body);
      stored.set(name, r);
      if (header.size < 1 << 20) small.set(name, await store.readBlob(ns, digest)); // configs/manifests (Docker 25+ layout)
    } else if (name.endsWith('.json') || name === 'repositories' || name === 'oci-layout') {
      small.set(name, await readAll(body));
    } else {
      stored.set(name, await putVerified(store, ns, name, undefined, header.size, body));
    }
  }
  const resolve = (p: string): string => {
    let cur = cleanPath(p);
    for (let i = 0; i < 16 && links.has(cur); i++) cur = links.get(cur)!;
    return cur;
  };

  const result: ImportedImage[] = [];
  if (small.has('index.json')) {
    const layout = small.get('oci-layout');
    if (layout) {
      const v = (JSON.parse(layout.toString()) as { imageLayoutVersion?: string }).imageLayoutVersion;
      if (v !== OCI_LAYOUT_VERSION) throw invalid('oci-layout', `unsupported imageLayoutVersion ${JSON.stringify(v)} (want ${OCI_LAYOUT_VERSION})`);
    }
    const indexDesc: Descriptor = { mediaType: MediaType.ociIndex, digest: '', size: 0 };
    const index = parseIndex(small.get('index.json')!, indexDesc);
    for (const desc of index.manifests) {
      if (!(await store.has(ns, desc.digest))) throw notFound(`archive index.json names ${desc.digest}, but the archive has no blobs/${desc.digest.replace(':', '/')}`);
      const target: Descriptor = { mediaType: desc.mediaType, digest: desc.digest, size: desc.size };
      await labelTree(store, ns, target);
      const name = imageNameFromAnnotations(desc.annotations ?? {}, opts.baseName) ?? (opts.digests ? `import@${desc.digest}` : undefined);
      if (name) await images.upsert(ns, { name, target, labels: opts.labels });
      result.push({ name, target });
    }
    return result;
  }

  if (small.has('manifest.json')) {
    const entries = JSON.parse(small.get('manifest.json')!.toString()) as { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
    if (!Array.isArray(entries)) throw invalid('manifest.json', 'must be a JSON array of {Config, RepoTags, Layers}');
    for (const [i, e] of entries.entries()) {
      const configPath = resolve(e.Config);
      const configBytes = small.get(configPath);
      if (!configBytes) throw notFound(`manifest.json[${i}].Config ${e.Config} in the archive`);
      const config = await store.put(ns, {}, configBytes);
      const configDesc: Descriptor = { mediaType: MediaType.dockerConfig, digest: config.digest, size: config.size };
      const cfg = parseConfig(configBytes, configDesc);
      if (cfg.rootfs.diff_ids.length !== e.Layers.length) {
        throw invalid(`manifest.json[${i}].Layers`, `${e.Layers.length} layers, but the config lists ${cfg.rootfs.diff_ids.length} diff_ids`);
      }
      const layers: Descriptor[] = [];
      for (const [j, lp] of e.Layers.entries()) {
        const f = stored.get(resolve(lp));
        if (!f) throw notFound(`manifest.json[${i}].Layers[${j}] ${lp} in the archive`);
        const diffId = f.gzip ? await uncompressedDigest(store, ns, f.digest) : f.digest;
        if (diffId !== cfg.rootfs.diff_ids[j]) {
          throw new ManagerError('DATA_LOSS', `layer ${lp}: its uncompressed digest is ${diffId}, the config's rootfs.diff_ids[${j}] says ${cfg.rootfs.diff_ids[j]}`);
        }
        layers.push({ mediaType: f.gzip ? MediaType.dockerLayerGzip : MediaType.dockerLayer, digest: f.digest, size: f.size });
      }
      const manifestBytes = canonicalJson(buildManifest('docker', configDesc, layers));
      const labels = childGCLabels([configDesc, ...layers]);
      const put = await store.put(ns, {}, manifestBytes, labels);
      const target: Descriptor = { mediaType: MediaType.dockerManifest, digest: put.digest, size: put.size };
      const tags = (e.RepoTags ?? []).map((t) => normalizeReference(t));
      if (tags.length === 0 && opts.digests) tags.push(`import@${target.digest}`);
      for (const name of tags) await images.upsert(ns, { name, target, labels: opts.labels });
      if (tags.length === 0) result.push({ target });
      for (const name of tags) result.push({ name, target });
    }
    return result;
  }
  throw invalid('archive', 'neither an OCI image layout (index.json) nor a docker save tarball (manifest.json)');
}

/** `ctr images import` also takes a gzip-compressed archive (docker save | gzip): detect it by its magic. */
async function* maybeGunzip(source: Readable | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = Buffer.from(first.value);
  const rest = (async function* () {
    yield head;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.from(r.value);
  })();
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = zlib.createGunzip();
    const feed = Readable.from(rest);
    feed.on('error', (e) => gunzip.destroy(e));
    feed.pipe(gunzip);
    for await (const c of gunzip) yield c as Buffer;
  } else yield* rest;
}

function imageNameFromAnnotations(a: Record<string, string>, baseName: string | undefined): string | undefined {
  if (a[ANNOTATION_IMAGE_NAME]) return a[ANNOTATION_IMAGE_NAME];
  const ref = a[ANNOTATION_REF_NAME];
  if (!ref) return undefined;
  // A bare tag ("1.0") needs a base name; a full reference stands alone.
  if (/^[\w][\w.-]{0,127}$/.test(ref)) return baseName ? normalizeReference(`${baseName}:${ref}`) : undefined;
  try {
    return normalizeReference(ref);
  } catch {
    return undefined;
  }
}

/** Store an archive entry, verifying it against the digest in its name when it has one. */
async function putVerified(store: ContentAccess, ns: string, name: string, digest: string | undefined, size: number, body: AsyncIterable<Buffer>): Promise<StoredFile> {
  let first: Buffer | undefined;
  const sniff = (async function* () {
    for await (const c of body) {
      if (!first) first = c;
      yield c;
    }
  })();
  try {
    const r = await store.put(ns, { digest, size }, sniff);
    if (r.existed && first === undefined) {
      // Not streamed (already in the store): sniff the stored bytes.
      const head = await store.read(ns, r.digest, 0, 2);
      first = head;
    }
    return { digest: r.digest, size: r.size, gzip: !!first && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b };
  } catch (e) {
    if (isManagerError(e, 'FAILED_PRECONDITION')) throw new ManagerError('DATA_LOSS', `archive entry ${name}: ${e.message}`);
    throw e;
  }
}

/** sha256 of a gzip blob's uncompressed bytes (a layer's diff_id). */
export async function uncompressedDigest(store: ContentProvider, ns: string, digest: string): Promise<string> {
  const d = new Digester();
  const gunzip = zlib.createGunzip();
  const src = store.reader(ns, digest);
  src.on('error', (e) => gunzip.destroy(e));
  src.pipe(gunzip);
  for await (const c of gunzip) d.update(c as Buffer);
  return d.digest();
}

// ---- export ----------------------------------------------------------------------------------

export interface ExportOptions {
  /** 'oci' (default): an OCI image layout, plus manifest.json for docker load. 'docker': a classic docker save tarball. */
  format?: 'oci' | 'docker';
  /** Which manifests of an index to include (default: every manifest the store has). 'docker' format needs one: default the host's. */
  platform?: string | Platform | PlatformMatcher;
  /** OCI format: leave out the docker-compatible manifest.json. */
  skipDockerManifest?: boolean;
}

/** Write the named images (names as stored, e.g. "docker.io/library/busybox:latest") as a tar. */
export async function exportImageArchive(
  store: ContentProvider,
  images: ImageAccess,
  ns: string,
  names: string[],
  out: Writable,
  opts: ExportOptions = {},
): Promise<void> {
  if (names.length === 0) throw invalid('names', 'export needs at least one image name');
  const list: Image[] = [];
  for (const n of names) list.push(await images.get(ns, n));
  const tar = new TarWriter(out);
  const provider = storeProvider(store, ns);
  if ((opts.format ?? 'oci') === 'docker') {
    await exportDocker(store, ns, list, tar, toPlatformMatcher(opts.platform));
    await endStream(out);
    return;
  }
  const matcher = opts.platform === undefined ? allPlatforms : toPlatformMatcher(opts.platform);
  const written = new Set<string>();
  const writeBlob = async (d: Descriptor) => {
    if (written.has(d.digest)) return;
    written.add(d.digest);
    const { hex } = parseDigest(d.digest);
    const info = await store.info(ns, d.digest);
    await tar.add({ name: `blobs/sha256/${hex}`, type: 'file', size: info.size, mode: 0o444 }, store.reader(ns, d.digest));
  };
  await tar.add({ name: 'oci-layout', type: 'file', mode: 0o444 }, canonicalJson({ imageLayoutVersion: OCI_LAYOUT_VERSION }));
  await tar.add({ name: 'blobs/', type: 'dir', mode: 0o755 });
  await tar.add({ name: 'blobs/sha256/', type: 'dir', mode: 0o755 });

  const indexEntries: Descriptor[] = [];
  const dockerEntries: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  for (const img of list) {
    // Walk the tree: index -> the manifests the store has (and the platform selects) -> config + layers.
    const visit = async (desc: Descriptor, depth: number): Promise<void> => {
      if (isIndexType(desc.mediaType)) {
        const idx = parseIndex(await provider(desc), desc);
        for (const m of idx.manifests) {
          if (!(await store.has(ns, m.digest))) continue; // a platform that was never pulled
          if (m.platform && !matcher.match(m.platform)) continue;
          await visit(m, depth + 1);
        }
      } else if (isManifestType(desc.mediaType)) {
        const m = parseManifest(await provider(desc), desc);
        for (const c of [m.config, ...m.layers]) {
          if (!(await store.has(ns, c.digest))) {
            if (c.urls?.length) continue; // foreign layer: fetched from its urls, not exported
            throw notFound(`image ${img.name}: blob ${c.digest} (${c.mediaType}) is not in the store; pull the image again`);
          }
          await writeBlob(c);
        }
      }
      await writeBlob(desc);
    };
    await visit(img.target, 0);
    const annotations: Record<string, string> = { [ANNOTATION_IMAGE_NAME]: img.name };
    const ref = tryParse(img.name);
    if (ref?.tag) annotations[ANNOTATION_REF_NAME] = ref.tag;
    indexEntries.push({ mediaType: img.target.mediaType, digest: img.target.digest, size: img.target.size, annotations });

    if (!opts.skipDockerManifest) {
      try {
        const r = await resolveManifest(provider, img.target, toPlatformMatcher(opts.platform));
        if (await hasAll(store, ns, [r.manifest.config, ...r.manifest.layers])) {
          const blobPath = (d: Descriptor) => `blobs/sha256/${parseDigest(d.digest).hex}`;
          const existing = dockerEntries.find((e) => e.Config === blobPath(r.manifest.config));
          const tags = ref?.tag ? [familiarName(ref)] : [];
          if (existing) existing.RepoTags.push(...tags);
          else dockerEntries.push({ Config: blobPath(r.manifest.config), RepoTags: tags, Layers: r.manifest.layers.map(blobPath) });
        }
      } catch (e) {
        if (!isManagerError(e, 'NOT_FOUND')) throw e; // no manifest for the host platform: no docker entry
      }
    }
  }
  await tar.add({ name: 'index.json', type: 'file', mode: 0o444 }, canonicalJson({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: indexEntries }));
  if (!opts.skipDockerManifest && dockerEntries.length) await tar.add({ name: 'manifest.json', type: 'file', mode: 0o444 }, canonicalJson(dockerEntries));
  await tar.finish();
  await endStream(out);
}

async function hasAll(store: ContentProvider, ns: string, descs: Descriptor[]): Promise<boolean> {
  for (const d of descs) if (!(await store.has(ns, d.digest))) return false;
  return true;
}

/** End the destination and wait until it has flushed (the tar writer leaves it open). */
function endStream(out: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => {
      out.off('error', reject);
      resolve();
    });
  });
}

async function exportDocker(store: ContentProvider, ns: string, list: Image[], tar: TarWriter, matcher: PlatformMatcher): Promise<void> {
  const provider = storeProvider(store, ns);
  const entries: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const written = new Set<string>();
  for (const img of list) {
    const r = await resolveManifest(provider, img.target, matcher);
    const configHex = parseDigest(r.manifest.config.digest).hex;
    const configName = `${configHex}.json`;
    const layerNames: string[] = [];
    if (!written.has(configName)) {
      written.add(configName);
      await tar.add({ name: configName, type: 'file', mode: 0o444 }, await provider(r.manifest.config));
    }
    for (const l of r.manifest.layers) {
      layerCompression(l.mediaType); // refuses encrypted layers by name
      const hex = parseDigest(l.digest).hex;
      const name = `${hex}/layer.tar`;
      layerNames.push(name);
      if (written.has(name)) continue;
      written.add(name);
      if (!(await store.has(ns, l.digest))) throw notFound(`image ${img.name}: layer ${l.digest} is not in the store; pull the image again`);
      await tar.add({ name: `${hex}/`, type: 'dir', mode: 0o755 });
      await tar.add({ name: `${hex}/VERSION`, type: 'file', mode: 0o444 }, Buffer.from('1.0'));
      await tar.add({ name, type: 'file', size: (await store.info(ns, l.digest)).size, mode: 0o444 }, store.reader(ns, l.digest));
    }
    const ref = tryParse(img.name);
    const tags = ref?.tag ? [familiarName(ref)] : [];
    const existing = entries.find((e) => e.Config === configName);
    if (existing) existing.RepoTags.push(...tags);
    else entries.push({ Config: configName, RepoTags: tags, Layers: layerNames });
  }
  await tar.add({ name: 'manifest.json', type: 'file', mode: 0o444 }, canonicalJson(entries));
  await tar.finish();
}

function tryParse(name: string) {
  try {
    return parseReference(name, { defaultTag: false });
  } catch {
    return undefined;
  }
}

// ---- paths inside archives -------------------------------------------------------------------

function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out.join('/');
}
const posixDir = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const posixJoin = (a: string, b: string): string => (a ? `${a}/${b}` : b);
