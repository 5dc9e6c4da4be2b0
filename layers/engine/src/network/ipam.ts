// IPAM for a new bridge network (docker network create --subnet/--gateway/--ip-range): validate
// the request and fill in what was left out, as libnetwork's default IPAM driver does. Addresses
// inside the pool are then handed out by the host-local CNI plugin, not here.
import { EngineError, invalidParam } from '../errors';
import { type Cidr, contains, firstFreeSubnet, formatCidr, hostRoutes, intToIp, ipToInt, isIPv4, overlaps, parseCidr, size } from './subnets';
import type { IPAMConfig, NetworkRecord } from './types';

const forbidden = (msg: string) => new EngineError('forbidden', msg);

/** First pool that collides neither with a host route nor with any network Strata knows. */
export function freeSubnet(networks: NetworkRecord[]): Cidr {
  const taken = [...hostRoutes(), ...networks.flatMap((n) => n.IPAM.Config.map((c) => parseCidr(c.Subnet)))];
  const free = firstFreeSubnet(taken);
  if (!free) throw forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
  return free;
}

/** Validates one IPAM.Config entry, filling in the subnet (first free pool) and gateway (first address). */
export function ipamConfig(c: { Subnet?: string; Gateway?: string; IPRange?: string }, networks: NetworkRecord[]): IPAMConfig {
  let subnet: Cidr;
  if (c.Subnet) {
    subnet = parseCidr(c.Subnet, 'IPAM.Config[0].Subnet');
    if (subnet.bits > 30) throw invalidParam(`invalid IPAM.Config[0].Subnet ${c.Subnet}: a /${subnet.bits} leaves no room for a gateway and containers`);
    for (const n of networks) {
      for (const p of n.IPAM.Config) {
        if (overlaps(parseCidr(p.Subnet), subnet)) throw forbidden(`invalid pool request: Pool overlaps with other one on this address space (${p.Subnet} of network ${n.Name})`);
      }
    }
  } else {
    if (c.Gateway || c.IPRange) throw invalidParam('IPAM.Config[0]: Gateway and IPRange need a Subnet');
    subnet = freeSubnet(networks);
  }
  const out: IPAMConfig = { Subnet: formatCidr(subnet), Gateway: intToIp(subnet.base + 1) };
  if (c.Gateway) {
    if (!isIPv4(c.Gateway)) throw invalidParam(`invalid IPAM.Config[0].Gateway ${JSON.stringify(c.Gateway)}: want an IPv4 address`);
    const gw = ipToInt(c.Gateway);
    if (!contains(subnet, gw) || gw === subnet.base || gw === subnet.base + size(subnet) - 1) {
      throw invalidParam(`invalid IPAM.Config[0].Gateway ${c.Gateway}: not a host address of subnet ${out.Subnet}`);
    }
    out.Gateway = c.Gateway;
  }
  if (c.IPRange) {
    const range = parseCidr(c.IPRange, 'IPAM.Config[0].IPRange');
    if (!contains(subnet, range.base) || range.bits < subnet.bits) throw invalidParam(`invalid IPAM.Config[0].IPRange ${c.IPRange}: not inside subnet ${out.Subnet}`);
    out.IPRange = formatCidr(range);
  }
  return out;
}
