// containerd.services.snapshots.v1.Snapshots: file-system layers by key (`ctr snapshots ls`,
// and the Prepare/Commit calls of every unpack and every `ctr run`).
import { ManagerError } from '../../errors';
import { parseFilters, recordAdaptor } from '../../filters';
import { KIND_NUMBER, type SnapshotInfo } from '../../snapshots';
import type { Handler } from '../grpc';
import { leaseOf, nsOf, publish, ts, type Manager } from './context';

const toApi = (i: SnapshotInfo) => ({ name: i.name, parent: i.parent, kind: KIND_NUMBER[i.kind], createdAt: ts(i.created), updatedAt: ts(i.updated), labels: i.labels });

export function snapshotsService(m: Manager): Record<string, Handler> {
  const sn = (name: string) => {
    const s = m.snapshotters[name || m.config.snapshotter];
    if (!s) throw new ManagerError('INVALID_ARGUMENT', `snapshotter ${JSON.stringify(name)} not loaded (strata-manager has: ${Object.keys(m.snapshotters).join(', ')})`);
    return s;
  };
  /** A snapshot created under a lease belongs to it until something references it. */
  const lease = (ctx: Parameters<Handler>[1], snapshotter: string, key: string) => {
    const l = leaseOf(ctx);
    if (l && key) m.leases.addResource(nsOf(ctx), l, { type: `snapshots/${snapshotter || m.config.snapshotter}`, id: key });
  };
  return {
    Prepare: async (r: { snapshotter: string; key: string; parent: string; labels: Record<string, string> }, ctx) => {
      const ns = nsOf(ctx);
      // Leased before it exists (as containerd does in one transaction): a GC running between
      // the creation and the lease would otherwise see an unreferenced snapshot and remove it.
      lease(ctx, r.snapshotter, r.key);
      const mounts = await sn(r.snapshotter).prepare(ns, r.key, r.parent, r.labels);
      publish(m, ns, '/snapshot/prepare', 'containerd.events.SnapshotPrepare', { key: r.key, parent: r.parent, snapshotter: r.snapshotter });
      return { mounts };
    },
    View: async (r: { snapshotter: string; key: string; parent: string; labels: Record<string, string> }, ctx) => {
      const ns = nsOf(ctx);
      // Leased before it exists (as containerd does in one transaction): a GC running between
      // the creation and the lease would otherwise see an unreferenced snapshot and remove it.
      lease(ctx, r.snapshotter, r.key);
      const mounts = await sn(r.snapshotter).view(ns, r.key, r.parent, r.labels);
      return { mounts };
    },
    Mounts: async (r: { snapshotter: string; key: string }, ctx) => ({ mounts: await sn(r.snapshotter).mounts(nsOf(ctx), r.key) }),
    Commit: async (r: { snapshotter: string; name: string; key: string; labels: Record<string, string> }, ctx) => {
      const ns = nsOf(ctx);
      lease(ctx, r.snapshotter, r.name); // before it exists: see Prepare
      await sn(r.snapshotter).commit(ns, r.name, r.key, r.labels);
      publish(m, ns, '/snapshot/commit', 'containerd.events.SnapshotCommit', { key: r.key, name: r.name, snapshotter: r.snapshotter });
      return {};
    },
    Remove: async (r: { snapshotter: string; key: string }, ctx) => {
      const ns = nsOf(ctx);
      await sn(r.snapshotter).remove(ns, r.key);
      publish(m, ns, '/snapshot/remove', 'containerd.events.SnapshotRemove', { key: r.key, snapshotter: r.snapshotter });
      m.gc.schedule();
      return {};
    },
    Stat: async (r: { snapshotter: string; key: string }, ctx) => ({ info: toApi(await sn(r.snapshotter).stat(nsOf(ctx), r.key)) }),
    Update: async (r: { snapshotter: string; info?: { name: string; labels: Record<string, string> }; updateMask?: { paths: string[] } }, ctx) => {
      if (!r.info) throw new ManagerError('INVALID_ARGUMENT', 'info: required');
      return { info: toApi(await sn(r.snapshotter).update(nsOf(ctx), r.info, r.updateMask?.paths ?? [])) };
    },
    List: async (r: { snapshotter: string; filters: string[] }, ctx, send) => {
      const f = parseFilters(r.filters);
      const all = await sn(r.snapshotter).walk(nsOf(ctx), (i) => f(recordAdaptor({ name: i.name, parent: i.parent, kind: i.kind }, i.labels)));
      for (let i = 0; i < all.length; i += 100) send({ info: all.slice(i, i + 100).map(toApi) });
    },
    Usage: async (r: { snapshotter: string; key: string }, ctx) => {
      const u = await sn(r.snapshotter).usage(nsOf(ctx), r.key);
      return { size: u.size, inodes: u.inodes };
    },
    Cleanup: async (r: { snapshotter: string }) => {
      await sn(r.snapshotter).cleanup();
      return {};
    },
  };
}
