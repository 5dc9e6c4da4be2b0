// docker save / docker load over the manager's archive code (images/layout.ts in @strata/manager).
//
// save: an OCI image layout tar (oci-layout, index.json, blobs/sha256/...) with docker's
//   manifest.json beside it, as docker 25+ writes it: both real dockerd and containerd load it.
// load: a docker-save tar (manifest.json + <id>.json + <layer>/layer.tar) or an OCI layout
//   tar (ctr images export, skopeo copy oci-archive:), gzip or not. Each named image is unpacked
//   so it can run at once; names that pointed elsewhere leave their old image dangling.
import type { Readable, Writable } from 'node:stream';
import { exportImageArchive, importImageArchive, isManagerError } from '@strata/manager';
import { invalidParam } from '../errors';
import { ApiContentStore, ApiImageStore } from './contentStores';
import { toEngineError } from './errors';
import { danglingName, familiar, isDangling } from './names';
import type { ImageService } from './service';

/** The stored record names to export for docker save's arguments (names or ids). */
export async function saveNames(svc: ImageService, inputs: string[]): Promise<{ names: string[]; ids: string[] }> {
  if (inputs.length === 0) throw invalidParam('no images specified');
  const names: string[] = [];
  const ids: string[] = [];
  for (const input of inputs) {
    const g = await svc.lookup(input);
    ids.push(g.id);
    // By name: that name. By id: every name of the image (docker saves the id with its tags).
    const recs = g.matched ? [g.matched] : g.records.filter((r) => !isDangling(r.name));
    names.push(...(recs.length ? recs : [g.primary]).map((r) => r.name));
  }
  return { names: [...new Set(names)], ids };
}

export async function saveImages(svc: ImageService, names: string[], out: Writable): Promise<void> {
  const c = svc.client;
  await exportImageArchive(new ApiContentStore(c), new ApiImageStore(c), c.namespace, names, out, { format: 'oci' });
}

/** Load an archive; returns docker's "Loaded image: X" / "Loaded image ID: sha256:..." lines. */
export async function loadImages(svc: ImageService, source: Readable | AsyncIterable<Buffer>): Promise<string[]> {
  const c = svc.client;
  const before = new Map((await svc.catalog.records()).map((r) => [r.name, r.target]));
  const lines: string[] = [];
  try {
    await c.withLease(async () => {
      const imported = await importImageArchive(new ApiContentStore(c), new ApiImageStore(c), c.namespace, source, {});
      const unpacked = new Set<string>();
      for (const img of imported) {
        if (!img.name) {
          // a docker-save entry without RepoTags: an image known by id only
          await c.images.put({ name: danglingName(img.target.digest), target: img.target, labels: {} });
        }
        const info = await svc.catalog.tryDescribe(img.target);
        if (!info) {
          lines.push(`Loaded image: ${img.name ?? img.target.digest} (no ${svc.platform} manifest; not unpacked)`);
          continue;
        }
        if (!unpacked.has(info.id)) {
          unpacked.add(info.id);
          await svc.ensureUnpacked({ id: info.id, target: img.target, config: info.config, repoTags: [], repoDigests: [], layers: info.manifest.layers, configDescriptor: info.configDesc, size: info.size });
        }
        if (img.name && !isDangling(img.name)) {
          lines.push(`Loaded image: ${familiar(img.name)}`);
          svc.events.emit('image', 'load', info.id, { name: familiar(img.name), ...(info.config.config?.Labels ?? {}) });
        } else {
          lines.push(`Loaded image ID: ${info.id}`);
          svc.events.emit('image', 'load', info.id, { name: info.id });
        }
      }
      // names the archive moved: their old images are kept as dangling if nameless now
      for (const [name, old] of before) {
        const now = imported.find((i) => i.name === name);
        if (now && now.target.digest !== old.digest) await svc.keepIfNameless(old);
      }
      for (const img of imported) await svc.dropDangling(img.target);
    });
  } catch (e) {
    if (isManagerError(e)) throw toEngineError(e, 'load: ');
    throw e;
  }
  return lines;
}
