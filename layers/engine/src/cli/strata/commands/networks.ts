// docker network ls/create/rm/inspect/connect/disconnect/prune.
import type { Command } from '../command';
import { FILTER_FLAG, FORMAT_FLAG, QUIET_FLAG, filtersJson, shortId } from '../command';
import { CliError } from '../errors';
import { bool, list, str } from '../flags';
import { printList } from '../format/list';
import { goTime } from '../format/units';
import { enc, forEach } from './each';
import { typedInspect } from './inspect';

const kvFlags = (values: string[]) => Object.fromEntries(values.map((v) => (v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, ''])));

export const networkLs: Command = {
  name: 'network ls',
  aliases: ['network list'],
  usage: '[OPTIONS]',
  desc: 'List networks',
  flags: [FILTER_FLAG, FORMAT_FLAG, { name: 'no-trunc', kind: 'bool', desc: 'Do not truncate the output' }, QUIET_FLAG('network IDs')],
  args: { max: 0 },
  async run(ctx, f) {
    const nets = await ctx.client.json<any[]>('GET', '/networks', { query: { filters: filtersJson(list(f, 'filter')) } });
    const trunc = !bool(f, 'no-trunc');
    printList(ctx, {
      format: str(f, 'format'),
      defaultTable: '{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}',
      headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' },
      items: [...nets]
        .sort((a, b) => a.Name.localeCompare(b.Name))
        .map((n) => ({
          CreatedAt: goTime(n.Created),
          Driver: n.Driver,
          ID: trunc ? shortId(n.Id) : n.Id,
          IPv6: String(!!n.EnableIPv6),
          Internal: String(!!n.Internal),
          Labels: Object.entries(n.Labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
          Name: n.Name,
          Scope: n.Scope,
          Label(k: string) {
            return n.Labels?.[k] ?? '';
          },
        })),
      quiet: bool(f, 'quiet') ? (n) => n.ID : undefined,
    });
  },
};

export const networkCreate: Command = {
  name: 'network create',
  usage: '[OPTIONS] NETWORK',
  desc: 'Create a network',
  flags: [
    { name: 'attachable', kind: 'bool', desc: 'Enable manual container attachment' },
    { name: 'driver', short: 'd', kind: 'string', desc: 'Driver to manage the Network', def: 'bridge', valueName: 'string' },
    { name: 'gateway', kind: 'list', desc: 'IPv4 or IPv6 Gateway for the master subnet', valueName: 'strings' },
    { name: 'internal', kind: 'bool', desc: 'Restrict external access to the network' },
    { name: 'ip-range', kind: 'list', desc: 'Allocate container ip from a sub-range', valueName: 'strings' },
    { name: 'label', kind: 'list', desc: 'Set metadata on a network', valueName: 'list' },
    { name: 'opt', short: 'o', kind: 'list', desc: 'Set driver specific options', valueName: 'map' },
    { name: 'subnet', kind: 'list', desc: 'Subnet in CIDR format that represents a network segment', valueName: 'strings' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f, [name]) {
    const subnets = list(f, 'subnet');
    const gateways = list(f, 'gateway');
    const ranges = list(f, 'ip-range');
    if (gateways.length > subnets.length || ranges.length > subnets.length) throw new CliError('no matching subnet for gateway or ip-range');
    const config = subnets.map((s, i) => ({ Subnet: s, Gateway: gateways[i], IPRange: ranges[i] }));
    const r = await ctx.client.json('POST', '/networks/create', {
      body: { Name: name, Driver: str(f, 'driver') ?? 'bridge', Internal: bool(f, 'internal'), Attachable: bool(f, 'attachable'), Options: kvFlags(list(f, 'opt')), Labels: kvFlags(list(f, 'label')), IPAM: { Driver: 'default', Config: config }, CheckDuplicate: true },
    });
    ctx.out(`${r.Id}\n`);
  },
};

export const networkRm: Command = {
  name: 'network rm',
  aliases: ['network remove'],
  usage: 'NETWORK [NETWORK...]',
  desc: 'Remove one or more networks',
  flags: [{ name: 'force', short: 'f', kind: 'bool', desc: 'Do not error if the network does not exist' }],
  args: { min: 1 },
  run: (ctx, _f, args) => forEach(ctx, args, (n) => ctx.client.request('DELETE', `/networks/${enc(n)}`).then((r) => void r.resume())),
};

export const networkInspect = typedInspect('network', 'network inspect', '[OPTIONS] NETWORK [NETWORK...]', 'Display detailed information on one or more networks');

export const networkConnect: Command = {
  name: 'network connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  desc: 'Connect a container to a network',
  flags: [
    { name: 'alias', kind: 'list', desc: 'Add network-scoped alias for the container', valueName: 'strings' },
    { name: 'ip', kind: 'string', desc: 'IPv4 address (e.g., "172.30.100.104")', valueName: 'string' },
  ],
  args: { min: 2, max: 2 },
  async run(ctx, f, [net, container]) {
    const ip = str(f, 'ip');
    const aliases = list(f, 'alias');
    (
      await ctx.client.request('POST', `/networks/${enc(net)}/connect`, {
        body: { Container: container, EndpointConfig: { Aliases: aliases.length ? aliases : undefined, IPAMConfig: ip ? { IPv4Address: ip } : undefined } },
      })
    ).resume();
  },
};

export const networkDisconnect: Command = {
  name: 'network disconnect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  desc: 'Disconnect a container from a network',
  flags: [{ name: 'force', short: 'f', kind: 'bool', desc: 'Force the container to disconnect from a network' }],
  args: { min: 2, max: 2 },
  async run(ctx, f, [net, container]) {
    (await ctx.client.request('POST', `/networks/${enc(net)}/disconnect`, { body: { Container: container, Force: bool(f, 'force') } })).resume();
  },
};

export const networkPrune: Command = {
  name: 'network prune',
  usage: '[OPTIONS]',
  desc: 'Remove all unused networks',
  flags: [
    { name: 'filter', kind: 'list', desc: 'Provide filter values (e.g. "until=<timestamp>")', valueName: 'filter' },
    { name: 'force', short: 'f', kind: 'bool', desc: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    if (!bool(f, 'force')) throw new CliError('Error: strata network prune needs --force (no interactive confirmation)');
    const r = await ctx.client.json('POST', '/networks/prune', { query: { filters: filtersJson(list(f, 'filter')) } });
    if (r.NetworksDeleted?.length) ctx.out(`Deleted Networks:\n${r.NetworksDeleted.join('\n')}\n`);
  },
};
