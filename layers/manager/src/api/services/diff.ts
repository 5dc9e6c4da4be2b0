// containerd.services.diff.v1.Diff: layers <-> file trees.
//   Apply: unpack a layer blob from the content store into a snapshot's mounts (returns the
//          diff_id, which the client compares with the image config);
//   Diff:  the changes between two mounts, written to the content store as a new layer blob
//          (how `commit`/`build` turn a container's writes into an image layer).
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { apply, compare, LABEL_UNCOMPRESSED } from '../../diff';
import { invalid } from '../../errors';
import type { Handler } from '../grpc';
import { leaseOf, nsOf, type Manager } from './context';

export function diffService(m: Manager): Record<string, Handler> {
  return {
    Apply: async (r: { diff?: { mediaType: string; digest: string; size: number }; mounts: any[] }, ctx) => {
      const ns = nsOf(ctx);
      if (!r.diff?.digest) throw invalid('diff', 'a layer descriptor is required');
      // apply() checks the blob's digest and size as it reads (tampered bytes fail with
      // DATA_LOSS), so the store's own verifying reader would hash the same bytes twice: ask it
      // for the plain byte range instead.
      const info = m.content.info(ns, r.diff.digest);
      const layer = m.content.reader(ns, r.diff.digest, { offset: 0, length: info.size });
      const applied = await apply(r.diff, r.mounts ?? [], layer);
      return { applied: { annotations: {}, ...applied } };
    },
    Diff: async (r: { left: any[]; right: any[]; mediaType: string; ref: string; labels: Record<string, string> }, ctx) => {
      const ns = nsOf(ctx);
      const ref = r.ref || `diff-${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
      const w = await m.content.writer(ns, { ref });
      const lease = leaseOf(ctx);
      try {
        const out = new Writable({
          write(chunk: Buffer, _enc, cb) {
            w.write(chunk).then(() => cb(), cb);
          },
        });
        const res = await compare(r.left ?? [], r.right ?? [], { mediaType: r.mediaType || undefined, out });
        const labels = { ...(r.labels ?? {}), [LABEL_UNCOMPRESSED]: res.diffId };
        if (lease) m.leases.addResource(ns, lease, { type: 'content', id: res.desc.digest }); // before it exists: see Content.Write
        try {
          await w.commit(res.desc.size, res.desc.digest, labels);
        } catch (e) {
          if ((e as { code?: string }).code !== 'ALREADY_EXISTS') throw e;
        }
        return { diff: { annotations: {}, ...res.desc } };
      } finally {
        await w.close();
      }
    },
  };
}
