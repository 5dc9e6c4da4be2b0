// containerd.services.leases.v1.Leases: `ctr leases ls/create/rm`; clients hold a lease while
// they pull or create, so garbage collection leaves their half-made work alone.
import crypto from 'node:crypto';
import { invalid } from '../../errors';
import type { Handler } from '../grpc';
import { nsOf, ts, type Manager } from './context';

export function leasesService(m: Manager): Record<string, Handler> {
  const toApi = (l: { id: string; createdAt: Date; labels: Record<string, string> }) => ({ id: l.id, createdAt: ts(l.createdAt), labels: l.labels });
  return {
    Create: (r: { id: string; labels: Record<string, string> }, ctx) => {
      const id = r.id || `strata-${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
      return { lease: toApi(m.leases.create(nsOf(ctx), id, r.labels)) };
    },
    Delete: async (r: { id: string; sync: boolean }, ctx) => {
      m.leases.delete(nsOf(ctx), r.id);
      if (r.sync) await m.gc.collect();
      else m.gc.schedule();
      return {};
    },
    List: (r: { filters: string[] }, ctx) => ({ leases: m.leases.list(nsOf(ctx), r.filters).map(toApi) }),
    AddResource: (r: { id: string; resource?: { id: string; type: string } }, ctx) => {
      if (!r.resource) throw invalid('resource', 'required');
      m.leases.addResource(nsOf(ctx), r.id, r.resource);
      return {};
    },
    DeleteResource: (r: { id: string; resource?: { id: string; type: string } }, ctx) => {
      if (!r.resource) throw invalid('resource', 'required');
      m.leases.deleteResource(nsOf(ctx), r.id, r.resource);
      m.gc.schedule();
      return {};
    },
    ListResources: (r: { id: string }, ctx) => ({ resources: m.leases.listResources(nsOf(ctx), r.id) }),
  };
}
