// containerd.services.containers.v1.Containers: container *records* (`ctr c create/ls/info/rm`).
import { fromTimestamp } from '@strata/shim/proto';
import { invalid } from '../../errors';
import { assertAllowed } from '../../lifecycle';
import type { Container } from '../../metadata/containers';
import type { Handler } from '../grpc';
import { nsOf, publish, ts, type Manager } from './context';

interface ApiContainer {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime?: { name: string; options?: any };
  spec?: any;
  snapshotter: string;
  snapshotKey: string;
  createdAt?: any;
  updatedAt?: any;
  extensions: Record<string, any>;
}

const toApi = (c: Container): ApiContainer => ({
  id: c.id,
  labels: c.labels,
  image: c.image,
  runtime: c.runtime,
  spec: c.spec,
  snapshotter: c.snapshotter,
  snapshotKey: c.snapshotKey,
  createdAt: ts(c.createdAt),
  updatedAt: ts(c.updatedAt),
  extensions: c.extensions,
});

const fromApi = (c: ApiContainer): Container => ({
  id: c.id,
  labels: c.labels ?? {},
  image: c.image ?? '',
  runtime: { name: c.runtime?.name ?? '', options: c.runtime?.options },
  spec: c.spec,
  snapshotter: c.snapshotter ?? '',
  snapshotKey: c.snapshotKey ?? '',
  extensions: c.extensions ?? {},
  createdAt: fromTimestamp(c.createdAt) ?? new Date(),
  updatedAt: fromTimestamp(c.updatedAt) ?? new Date(),
});

export function containersService(m: Manager): Record<string, Handler> {
  return {
    Get: (r: { id: string }, ctx) => ({ container: toApi(m.containers.get(nsOf(ctx), r.id)) }),
    List: (r: { filters: string[] }, ctx) => ({ containers: m.containers.list(nsOf(ctx), r.filters).map(toApi) }),
    ListStream: async (r: { filters: string[] }, ctx, send) => {
      for (const c of m.containers.list(nsOf(ctx), r.filters)) send({ container: toApi(c) });
    },
    Create: (r: { container?: ApiContainer }, ctx) => {
      const ns = nsOf(ctx);
      if (!r.container) throw invalid('container', 'required');
      const c = m.containers.create(ns, fromApi(r.container));
      publish(m, ns, '/containers/create', 'containerd.events.ContainerCreate', { id: c.id, image: c.image, runtime: { name: c.runtime.name, options: c.runtime.options } });
      return { container: toApi(c) };
    },
    Update: (r: { container?: ApiContainer; updateMask?: { paths: string[] } }, ctx) => {
      const ns = nsOf(ctx);
      if (!r.container) throw invalid('container', 'required');
      const c = m.containers.update(ns, fromApi(r.container), r.updateMask?.paths ?? []);
      publish(m, ns, '/containers/update', 'containerd.events.ContainerUpdate', { id: c.id, image: c.image, labels: c.labels, snapshotKey: c.snapshotKey });
      return { container: toApi(c) };
    },
    Delete: async (r: { id: string }, ctx) => {
      const ns = nsOf(ctx);
      // The table refuses to drop a record whose task still exists (containerd leaves that check
      // to its client library; the manager enforces it so no shim is orphaned).
      assertAllowed('deleteContainer', await m.stateOf(ns, r.id), r.id);
      m.containers.delete(ns, r.id);
      publish(m, ns, '/containers/delete', 'containerd.events.ContainerDelete', { id: r.id });
      m.gc.schedule();
      return {};
    },
  };
}
