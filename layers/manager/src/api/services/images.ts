// containerd.services.images.v1.Images: names -> target descriptors (`ctr i ls/rm/tag`).
// Deleting an image name only drops the name; its blobs and snapshots go at the next garbage
// collection (synchronously with sync = true, as `ctr i rm --sync` asks).
import { invalid } from '../../errors';
import type { Image } from '../../images/store';
import type { Handler } from '../grpc';
import { nsOf, publish, ts, type Manager } from './context';

interface ApiImage {
  name: string;
  labels: Record<string, string>;
  target?: { mediaType: string; digest: string; size: number; annotations: Record<string, string> };
  createdAt?: any;
  updatedAt?: any;
}

const toApi = (i: Image): ApiImage => ({
  name: i.name,
  labels: i.labels,
  target: { mediaType: i.target.mediaType, digest: i.target.digest, size: i.target.size, annotations: i.target.annotations ?? {} },
  createdAt: ts(i.createdAt),
  updatedAt: ts(i.updatedAt),
});

function fromApi(i: ApiImage | undefined) {
  if (!i) throw invalid('image', 'required');
  const t = i.target;
  return {
    name: i.name,
    labels: i.labels ?? {},
    target: t ? { mediaType: t.mediaType, digest: t.digest, size: t.size, ...(t.annotations && Object.keys(t.annotations).length ? { annotations: t.annotations } : {}) } : (undefined as any),
  };
}

export function imagesService(m: Manager): Record<string, Handler> {
  return {
    Get: (r: { name: string }, ctx) => ({ image: toApi(m.images.get(nsOf(ctx), r.name)) }),
    List: (r: { filters: string[] }, ctx) => ({ images: m.images.list(nsOf(ctx), r.filters).map(toApi) }),
    Create: (r: { image?: ApiImage }, ctx) => {
      const ns = nsOf(ctx);
      const img = m.images.create(ns, fromApi(r.image));
      publish(m, ns, '/images/create', 'containerd.services.images.v1.ImageCreate', { name: img.name, labels: img.labels });
      return { image: toApi(img) };
    },
    Update: (r: { image?: ApiImage; updateMask?: { paths: string[] } }, ctx) => {
      const ns = nsOf(ctx);
      const img = m.images.update(ns, fromApi(r.image), r.updateMask?.paths ?? []);
      publish(m, ns, '/images/update', 'containerd.services.images.v1.ImageUpdate', { name: img.name, labels: img.labels });
      return { image: toApi(img) };
    },
    Delete: async (r: { name: string; sync: boolean }, ctx) => {
      const ns = nsOf(ctx);
      m.images.delete(ns, r.name);
      publish(m, ns, '/images/delete', 'containerd.services.images.v1.ImageDelete', { name: r.name });
      if (r.sync) await m.gc.collect();
      else m.gc.schedule();
      return {};
    },
  };
}
