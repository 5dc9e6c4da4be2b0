// docker push (POST /images/{name}/push?tag=): the manager's push (distribution/push.ts: blobs
// first, HEAD to skip what the registry has, cross-repository mounts, the manifest last),
// reported as dockerd reports it:
//
//   {"status":"The push refers to repository [127.0.0.1:5000/busybox]"}
//   {"status":"Preparing","progressDetail":{},"id":"<layer>"}  ... "Pushing" ... "Pushed" / "Layer already exists"
//   {"status":"latest: digest: sha256:... size: 527"}
//   {"progressDetail":{},"aux":{"Tag":"latest","Digest":"sha256:...","Size":527}}
import { distribution, familiarName, formatReference, hostPlatform, isIndexType, parseReference, type Reference } from '@strata/manager';
import { invalidParam } from '../errors';
import { ApiContentStore, ApiImageStore } from './contentStores';
import { toEngineError } from './errors';
import { layerId, progressMessage, status, type MessageSink } from './progress';
import { registryClient, type RegistryAuth } from './registry';
import type { ImageService } from './service';

export async function pushImage(svc: ImageService, name: string, tag: string | undefined, o: { auth?: RegistryAuth; onProgress: MessageSink }): Promise<{ digest: string; size: number }> {
  let ref: Reference;
  try {
    ref = parseReference(tag ? `${name}:${tag}` : name);
  } catch (e) {
    throw invalidParam(`invalid reference format: ${(e as Error).message.replace(/^reference: /, '')}`);
  }
  if (ref.digest) throw invalidParam('cannot push a digest reference');
  const full = formatReference(ref);
  const img = await svc.lookup(full);
  const record = img.matched ?? img.primary;
  const send = o.onProgress;
  const c = svc.client;
  const client = registryClient(full, { insecure: svc.o.insecureRegistries, auth: o.auth });
  const layers = new Set(img.manifest.layers.map((l) => l.digest));
  const prepared = new Set<string>();
  const onProgress = (e: distribution.ProgressEvent) => {
    if (!e.digest || !layers.has(e.digest)) return;
    const id = layerId(e.digest);
    if (!prepared.has(id)) {
      prepared.add(id);
      send(status('Preparing', id));
    }
    if (e.status === 'exists') send(status('Layer already exists', id));
    else if (e.status === 'mounted') send(status('Mounted from another repository', id));
    else if (e.status === 'uploading') send(progressMessage('Pushing', id, e.offset, e.total));
    else if (e.status === 'done') send(status('Pushed', id));
  };
  send(status(`The push refers to repository [${familiarName({ domain: ref.domain, path: ref.path })}]`));
  const deps = { store: new ApiContentStore(c), images: new ApiImageStore(c), client };
  // A pulled index usually holds only this machine's manifest: push that one then, as dockerd
  // with the containerd store does for single-platform content.
  const platform = isIndexType(record.target.mediaType) && !(await hasAllManifests(svc, record.target)) ? hostPlatform() : undefined;
  let pushed;
  try {
    pushed = await distribution.pushImage(deps, c.namespace, record.name, full, { platform, onProgress });
  } catch (e) {
    throw toEngineError(e);
  }
  send(status(`${ref.tag}: digest: ${pushed.desc.digest} size: ${pushed.desc.size}`));
  send({ progressDetail: {}, aux: { Tag: ref.tag, Digest: pushed.desc.digest, Size: pushed.desc.size } });
  svc.events.emit('image', 'push', familiarName(ref), { name: familiarName(ref) });
  return { digest: pushed.desc.digest, size: pushed.desc.size };
}

async function hasAllManifests(svc: ImageService, target: { digest: string; size: number; mediaType: string }): Promise<boolean> {
  const index = JSON.parse((await svc.client.content.read(target)).toString()) as { manifests?: { digest: string }[] };
  for (const m of index.manifests ?? []) if (!(await svc.client.content.has(m.digest))) return false;
  return true;
}
