// containerd.services.content.v1.Content: the blob store over the API. Clients (ctr pull,
// ctr images import, strata-ctr) fetch from registries themselves and *write* here through the
// Write stream: STAT (how far is this ref already?), WRITE at offsets, COMMIT with the expected
// size and digest, which the store verifies before the blob becomes visible.
import { invalid } from '../../errors';
import type { ContentWriter } from '../../content';
import type { Handler } from '../grpc';
import { WriteAction } from '../protos';
import { leaseOf, nsOf, publish, ts, type Manager } from './context';

const CHUNK = 1 << 20;

export function contentService(m: Manager): Record<string, Handler> {
  const toApi = (i: { digest: string; size: number; createdAt: Date; updatedAt: Date; labels: Record<string, string> }) => ({
    digest: i.digest,
    size: i.size,
    createdAt: ts(i.createdAt),
    updatedAt: ts(i.updatedAt),
    labels: i.labels,
  });
  const statusToApi = (s: { ref: string; offset: number; total: number; expected: string; startedAt: Date; updatedAt: Date }) => ({
    startedAt: ts(s.startedAt),
    updatedAt: ts(s.updatedAt),
    ref: s.ref,
    offset: s.offset,
    total: s.total,
    expected: s.expected,
  });

  return {
    Info: (r: { digest: string }, ctx) => ({ info: toApi(m.content.info(nsOf(ctx), r.digest)) }),
    Update: (r: { info?: { digest: string; labels: Record<string, string> }; updateMask?: { paths: string[] } }, ctx) => {
      if (!r.info) throw invalid('info', 'required');
      return { info: toApi(m.content.update(nsOf(ctx), r.info, r.updateMask?.paths ?? [])) };
    },
    List: async (r: { filters: string[] }, ctx, send) => {
      const all = m.content.walk(nsOf(ctx), r.filters).map(toApi);
      for (let i = 0; i < all.length; i += 100) send({ info: all.slice(i, i + 100) });
    },
    Delete: (r: { digest: string }, ctx) => {
      const ns = nsOf(ctx);
      m.content.delete(ns, r.digest);
      publish(m, ns, '/content/delete', 'containerd.events.ContentDelete', { digest: r.digest });
      m.gc.schedule();
      return {};
    },
    Read: async (r: { digest: string; offset: number; size: number }, ctx, send) => {
      const ns = nsOf(ctx);
      if (r.offset < 0) throw invalid('offset', 'must be >= 0');
      const stream = m.content.reader(ns, r.digest, { offset: r.offset, length: r.size > 0 ? r.size : undefined });
      let offset = r.offset;
      let pending: Buffer = Buffer.alloc(0);
      for await (const chunk of stream) {
        if (ctx.signal.aborted) {
          stream.destroy();
          return;
        }
        pending = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
        while (pending.length >= CHUNK) {
          send({ offset, data: pending.subarray(0, CHUNK) });
          offset += CHUNK;
          pending = pending.subarray(CHUNK);
        }
      }
      if (pending.length) send({ offset, data: pending });
    },
    Status: (r: { ref: string }, ctx) => ({ status: statusToApi(m.content.status(nsOf(ctx), r.ref)) }),
    ListStatuses: (r: { filters: string[] }, ctx) => ({ statuses: m.content.listStatuses(nsOf(ctx), r.filters).map(statusToApi) }),
    Abort: async (r: { ref: string }, ctx) => {
      await m.content.abort(nsOf(ctx), r.ref);
      return {};
    },
    Write: async (incoming: AsyncIterable<any>, ctx, send) => {
      const ns = nsOf(ctx);
      const lease = leaseOf(ctx);
      let w: ContentWriter | undefined;
      try {
        for await (const req of incoming) {
          if (!w) {
            if (!req.ref) throw invalid('ref', 'the first message of a write must name a ref');
            try {
              w = await m.content.writer(ns, { ref: req.ref, total: req.total || undefined, expected: req.expected || undefined });
            } catch (e) {
              // The blob is already here: the client skips the write, so the lease it runs under
              // must hold the existing blob (else a GC scheduled by an earlier delete could take it).
              if (lease && req.expected && (e as { code?: string }).code === 'ALREADY_EXISTS') m.leases.addResource(ns, lease, { type: 'content', id: req.expected });
              throw e;
            }
            if (lease) m.leases.addResource(ns, lease, { type: 'ingests', id: req.ref });
          } else if (req.ref && req.ref !== w.ref) throw invalid('ref', `changed from ${w.ref} to ${req.ref} within one write`);
          if (req.action === WriteAction.STAT) {
            const s = w.status();
            send({ action: WriteAction.STAT, startedAt: ts(s.startedAt), updatedAt: ts(s.updatedAt), offset: s.offset, total: s.total, digest: s.expected });
            continue;
          }
          if (req.action !== WriteAction.WRITE && req.action !== WriteAction.COMMIT) throw invalid('action', `unknown write action ${req.action}`);
          // containerd allows one rewind only: back to 0 (start over).
          if (req.offset < w.offset && req.data?.length) {
            if (req.offset !== 0) throw invalid('offset', `cannot write at ${req.offset}: the ingest is at ${w.offset} (only a restart from 0 is allowed)`);
            await w.truncate(0);
          } else if (req.offset > w.offset) throw invalid('offset', `cannot write at ${req.offset}: the ingest is only at ${w.offset}`);
          if (req.data?.length) await w.write(Buffer.from(req.data));
          if (req.action === WriteAction.WRITE) {
            const s = w.status();
            send({ action: WriteAction.WRITE, startedAt: ts(s.startedAt), updatedAt: ts(s.updatedAt), offset: s.offset, total: s.total, digest: w.digest() });
            continue;
          }
          let res;
          // The lease holds the blob before it exists (a GC between the commit and a later
          // addResource would find it unreferenced and delete it).
          if (lease) m.leases.addResource(ns, lease, { type: 'content', id: req.expected || w.digest() });
          try {
            res = await w.commit(req.total, req.expected, req.labels);
          } catch (e) {
            if (lease && (e as { code?: string }).code === 'ALREADY_EXISTS') m.leases.addResource(ns, lease, { type: 'content', id: w.digest() });
            throw e;
          }
          if (lease) m.leases.addResource(ns, lease, { type: 'content', id: res.digest });
          send({ action: WriteAction.COMMIT, offset: res.size, total: res.size, digest: res.digest });
        }
      } finally {
        await w?.close();
      }
    },
  };
}
