// Default images that work with no registry. Setup puts OCI layout tars in /var/lib/strata/images
// (busybox.oci.tar: the host's busybox-static as an image named strata.local/busybox:latest). At
// start the engine imports each one whose image the "moby" namespace lacks and names it the way
// `docker run busybox` looks for it: <file name>.oci.tar -> docker.io/library/<file name>:latest,
// unless that name is taken (a pulled busybox wins). So `strata run --rm busybox echo hello`
// works offline, and removing the image brings it back at the next engine start.
import fs from 'node:fs';
import path from 'node:path';
import { archive, importImageArchive, normalizeReference } from '@strata/manager';
import { ApiContentStore, ApiImageStore } from './contentStores';
import type { ImageService } from './service';

const SUFFIX = '.oci.tar';

export async function preloadDefaultImages(svc: ImageService, dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(SUFFIX)).sort();
  } catch {
    return []; // no preload directory: nothing to do
  }
  const done: string[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    try {
      const name = await preloadOne(svc, file, f.slice(0, -SUFFIX.length));
      if (name) done.push(name);
    } catch (e) {
      // A broken default image must not keep the engine from starting; say why.
      svc.log('error', 'preloading a default image failed', { file, err: (e as Error).message });
    }
  }
  return done;
}

async function preloadOne(svc: ImageService, file: string, base: string): Promise<string | undefined> {
  const targets = await indexTargets(file);
  const records = await svc.catalog.records();
  if (targets.length && targets.every((d) => records.some((r) => r.target.digest === d))) return undefined;
  const alias = normalizeReference(base);
  const c = svc.client;
  const before = new Set(records.map((r) => r.name));
  return c.withLease(async () => {
    const imported = await importImageArchive(new ApiContentStore(c), new ApiImageStore(c), c.namespace, fs.createReadStream(file), {});
    const first = imported.find((i) => i.name) ?? imported[0];
    if (!first) throw new Error(`${file}: the archive names no image`);
    const aliased = !before.has(alias);
    if (aliased) {
      await svc.setName(alias, first.target);
      // The archive's own name (strata.local/...) is an artefact of how setup built the file.
      for (const i of imported) if (i.name && i.name !== alias && !before.has(i.name)) await c.images.delete(i.name);
    }
    const img = await svc.resolve(aliased ? alias : (first.name ?? alias));
    await svc.ensureUnpacked(img);
    svc.log('info', 'preloaded a default image', { file, name: alias, id: img.id });
    return alias;
  });
}

/** The digests index.json of an OCI layout tar names (read without importing anything). */
async function indexTargets(file: string): Promise<string[]> {
  for await (const e of archive.readTar(fs.createReadStream(file) as AsyncIterable<Buffer>)) {
    const name = e.header.name.replace(/^\.\//, '');
    if (name === 'index.json') {
      const doc = JSON.parse((await archive.readAll(e.body)).toString()) as { manifests?: { digest: string }[] };
      return (doc.manifests ?? []).map((m) => m.digest);
    }
    for await (const _ of e.body) void _;
  }
  return [];
}
