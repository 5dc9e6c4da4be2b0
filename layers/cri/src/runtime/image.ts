// The image a container is made from: found by name (or image id), its config, its unpacked
// snapshot, and its /etc/passwd and /etc/group (for run_as_username and primary/supplementary
// groups). The two files are read from the layer tars through the content API (last layer wins,
// whiteouts remove), so nothing is mounted and a symlinked /etc/passwd cannot point us at the
// host's.
import { archive, chainIds, getImage, resolveImage, unpackLayers, type ManagerClient, type Descriptor } from '@strata/manager';
import { CriError, invalidField } from './errors';
import { parseGroup, parsePasswd, type ImageUserFiles } from './securityContext';

export interface ResolvedImage {
  name: string;
  /** sha256:<config digest>: the image id the CRI reports. */
  id: string;
  config: { User?: string; Env?: string[]; Entrypoint?: string[] | null; Cmd?: string[] | null; WorkingDir?: string; StopSignal?: string };
  topSnapshot: string;
  layers: Descriptor[];
}

export async function findImage(c: ManagerClient, ref: string, snapshotter: string, field = 'config.image.image'): Promise<ResolvedImage> {
  if (!ref) throw invalidField(field, 'must name an image');
  let image: { name: string; target?: unknown } | undefined;
  try {
    image = await getImage(c, ref);
  } catch {
    // an image id (sha256:<config digest>, or its hex): search the images by config digest
    const want = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
    if (/^sha256:[0-9a-f]{64}$/.test(want)) {
      for (const im of await c.images.list()) {
        try {
          const r = await resolveImage(c, im.target as Descriptor);
          if (r.manifest.manifest.config.digest === want) {
            image = im;
            break;
          }
        } catch {
          // not an image for this platform
        }
      }
    }
  }
  if (!image) throw new CriError('NOT_FOUND', `${field}: image ${JSON.stringify(ref)} not found (pull it first)`);
  const { manifest, config } = await resolveImage(c, image.target as Descriptor);
  const chain = chainIds(config.rootfs.diff_ids);
  const top = chain[chain.length - 1] ?? '';
  if (top && !(await c.snapshots(snapshotter).exists(top))) await c.withLease(() => unpackLayers(c, manifest.manifest.layers, config.rootfs.diff_ids, manifest.manifest.config.digest, snapshotter));
  return { name: image.name, id: manifest.manifest.config.digest, config: (config.config ?? {}) as ResolvedImage['config'], topSnapshot: top, layers: manifest.manifest.layers };
}

async function* blobChunks(c: ManagerClient, digest: string): AsyncGenerator<Buffer> {
  for await (const r of c.content.readStream(digest)) yield Buffer.from(r.data);
}

const cache = new Map<string, ImageUserFiles>();

export async function imageUserFiles(c: ManagerClient, img: ResolvedImage): Promise<ImageUserFiles> {
  const hit = cache.get(img.id);
  if (hit) return hit;
  const files: Record<'etc/passwd' | 'etc/group', string | undefined> = { 'etc/passwd': undefined, 'etc/group': undefined };
  for (const layer of img.layers) {
    const stream = await archive.openLayerStream(blobChunks(c, layer.digest), layer.digest);
    try {
      for await (const e of archive.readTar(stream.tar)) {
        const name = e.header.name.replace(/^\.?\//, '').replace(/\/$/, '');
        if (name === 'etc/.wh..wh..opq' || name === 'etc/.wh.passwd' || name === 'etc/.wh.group') {
          if (name !== 'etc/.wh.group') files['etc/passwd'] = undefined;
          if (name !== 'etc/.wh.passwd') files['etc/group'] = undefined;
        }
        if ((name === 'etc/passwd' || name === 'etc/group') && e.header.type === 'file' && e.header.size <= 1 << 20) {
          files[name] = (await archive.readAll(e.body)).toString('utf8');
        }
      }
    } finally {
      stream.destroy();
    }
  }
  const out = { passwd: parsePasswd(files['etc/passwd'] ?? ''), group: parseGroup(files['etc/group'] ?? '') };
  if (cache.size > 64) cache.clear();
  cache.set(img.id, out);
  return out;
}
