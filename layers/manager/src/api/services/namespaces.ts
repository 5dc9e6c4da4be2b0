// containerd.services.namespaces.v1.Namespaces: `ctr ns ls/create/rm/label`.
import { invalid } from '../../errors';
import type { Handler } from '../grpc';
import { publish, type Manager } from './context';

export function namespacesService(m: Manager): Record<string, Handler> {
  return {
    Get: (r: { name: string }) => ({ namespace: m.namespaces.get(r.name) }),
    List: () => ({ namespaces: m.namespaces.list() }),
    Create: (r: { namespace?: { name: string; labels: Record<string, string> } }) => {
      if (!r.namespace) throw invalid('namespace', 'required');
      const ns = m.namespaces.create(r.namespace);
      publish(m, ns.name, '/namespaces/create', 'containerd.events.NamespaceCreate', ns);
      return { namespace: ns };
    },
    Update: (r: { namespace?: { name: string; labels: Record<string, string> }; updateMask?: { paths: string[] } }) => {
      if (!r.namespace) throw invalid('namespace', 'required');
      const ns = m.namespaces.update(r.namespace, r.updateMask?.paths ?? []);
      publish(m, ns.name, '/namespaces/update', 'containerd.events.NamespaceUpdate', ns);
      return { namespace: ns };
    },
    Delete: (r: { name: string }) => {
      m.namespaces.delete(r.name);
      publish(m, r.name, '/namespaces/delete', 'containerd.events.NamespaceDelete', { name: r.name });
      return {};
    },
  };
}
