// The /networks endpoints of the Engine API (moby's api/server/router/network) over the network
// controller (src/network): list, inspect, create, remove, prune, and connecting a running
// container to one more network (or disconnecting it).
import type { NetworkController } from '../network';
import type { ContainerService } from '../containers/service';
import { EngineError, invalidParam } from '../errors';
import { parseFilters } from '../containers/views';
import type { Route } from './types';

export function networkRoutes(net: NetworkController, svc: ContainerService): Route[] {
  return [
    { method: 'GET', pattern: '/networks', handler: (req, res) => res.json(200, net.list(parseFilters(req.query.get('filters')))) },
    { method: 'GET', pattern: '/networks/{id}', handler: (req, res) => res.json(200, net.inspect(req.params.id)) },
    {
      method: 'POST',
      pattern: '/networks/create',
      handler: async (req, res) => {
        const body = await req.json();
        if (!body || typeof body !== 'object') throw invalidParam('network create: the body must be a JSON object');
        if (!body.Name || typeof body.Name !== 'string') throw invalidParam('network create: Name is required');
        const n = await net.create(body);
        svc.o.events?.publish({ Type: 'network', Action: 'create', Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver } } });
        res.json(201, { Id: n.Id, Warning: '' });
      },
    },
    {
      method: 'DELETE',
      pattern: '/networks/{id}',
      handler: async (req, res) => {
        const n = net.inspect(req.params.id);
        await net.remove(req.params.id);
        svc.o.events?.publish({ Type: 'network', Action: 'destroy', Actor: { ID: n.Id, Attributes: { name: n.Name, type: n.Driver } } });
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/networks/prune',
      handler: async (req, res) => {
        const gone = await net.prune(parseFilters(req.query.get('filters')));
        res.json(200, { NetworksDeleted: gone.length ? gone : null });
      },
    },
    {
      method: 'POST',
      pattern: '/networks/{id}/connect',
      handler: async (req, res) => {
        const body = (await req.json()) ?? {};
        if (!body.Container) throw invalidParam('network connect: Container is required');
        const c = svc.get(body.Container);
        const n = net.inspect(req.params.id);
        if (!c.State.Running || !c.NetworkSettings.SandboxKey) throw new EngineError('conflict', `container ${c.Id} is not running: connect it to ${n.Name} when it runs, or start it with --network ${n.Name}`);
        if (c.NetworkSettings.Networks[n.Name]) throw new EngineError('conflict', `endpoint with name ${c.Name.slice(1)} already exists in network ${n.Name}`);
        const ep = await net.connect(c.Id, c.NetworkSettings.SandboxKey, n.Name, { aliases: [...(body.EndpointConfig?.Aliases ?? []), c.Name.slice(1)] });
        c.NetworkSettings.Networks[n.Name] = { NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen, MacAddress: ep.MacAddress, Aliases: ep.Aliases ?? null };
        svc.store.save(c);
        svc.o.events?.publish({ Type: 'network', Action: 'connect', Actor: { ID: n.Id, Attributes: { container: c.Id, name: n.Name, type: n.Driver } } });
        res.json(200, {});
      },
    },
    {
      method: 'POST',
      pattern: '/networks/{id}/disconnect',
      handler: async (req, res) => {
        const body = (await req.json()) ?? {};
        if (!body.Container) throw invalidParam('network disconnect: Container is required');
        const c = svc.get(body.Container);
        const n = net.inspect(req.params.id);
        if (!c.NetworkSettings.Networks[n.Name]) throw new EngineError('conflict', `container ${c.Id} is not connected to network ${n.Name}`);
        if (c.NetworkSettings.SandboxKey) await net.disconnect(c.Id, c.NetworkSettings.SandboxKey, n.Name);
        delete c.NetworkSettings.Networks[n.Name];
        svc.store.save(c);
        svc.o.events?.publish({ Type: 'network', Action: 'disconnect', Actor: { ID: n.Id, Attributes: { container: c.Id, name: n.Name, type: n.Driver } } });
        res.json(200, {});
      },
    },
  ];
}
