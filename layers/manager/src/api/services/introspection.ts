// containerd.services.introspection.v1.Introspection: `ctr plugins ls` and the server's UUID.
import type { Handler } from '../grpc';
import { parseFilters, recordAdaptor } from '../../filters';
import type { Manager } from './context';

/** What strata-manager is made of, named like containerd's plugins so `ctr plugins ls` reads familiarly. */
export function plugins(m: Manager): { type: string; id: string; requires: string[]; exports?: Record<string, string> }[] {
  return [
    { type: 'io.containerd.content.v1', id: 'content', requires: [] },
    // Snapshotters export their root directory, as containerd's do: a CRI's ImageFsInfo reports
    // the file system it lives on.
    ...Object.keys(m.snapshotters).map((id) => ({ type: 'io.containerd.snapshotter.v1', id, requires: [], exports: { root: m.paths.snapshots(id) } })),
    { type: 'io.containerd.metadata.v1', id: 'sqlite', requires: ['io.containerd.content.v1', 'io.containerd.snapshotter.v1'] },
    { type: 'io.containerd.differ.v1', id: 'walking', requires: ['io.containerd.metadata.v1'] },
    { type: 'io.containerd.gc.v1', id: 'scheduler', requires: ['io.containerd.metadata.v1'] },
    { type: 'io.containerd.lease.v1', id: 'manager', requires: ['io.containerd.metadata.v1'] },
    { type: 'io.containerd.runtime.v2', id: 'task', requires: ['io.containerd.event.v1'] },
    { type: 'io.containerd.event.v1', id: 'exchange', requires: [] },
    ...['containers', 'content', 'diff', 'events', 'images', 'introspection', 'leases', 'namespaces', 'snapshots', 'tasks', 'version'].map((id) => ({ type: 'io.containerd.grpc.v1', id, requires: ['io.containerd.service.v1'] })),
  ];
}

export function introspectionService(m: Manager): Record<string, Handler> {
  return {
    Plugins: (r: { filters: string[] }) => {
      const f = parseFilters(r.filters);
      return {
        plugins: plugins(m)
          .filter((p) => f(recordAdaptor({ type: p.type, id: p.id })))
          .map((p) => ({ ...p, platforms: [{ os: 'linux', architecture: process.arch === 'x64' ? 'amd64' : process.arch }], exports: p.exports ?? {}, capabilities: [] })),
      };
    },
    Server: () => ({ uuid: m.uuid }),
  };
}
