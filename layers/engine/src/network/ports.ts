// Port publishing: docker's HostConfig.PortBindings ({"80/tcp": [{HostIp, HostPort}]}) turned into
// CNI portMappings for the portmap plugin, which writes DNAT rules (CNI-HOSTPORT-DNAT) instead of
// running docker-proxy. An empty HostPort means "any free port", as `docker run -p 80` does.
import { createServer } from 'node:net';
import type { PortMapping } from '@strata/cni';
import { conflict, invalidParam } from '../errors';
import { isIPv4 } from './subnets';
import type { PortBindings } from './types';

export interface PublishedPort extends PortMapping {
  /** docker's key, e.g. "80/tcp". */
  key: string;
}

/** Parses the request shape; HostPort '' stays 0 (to be allocated). Errors name the key. */
export function portMappings(bindings: PortBindings | undefined): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const m = /^([0-9]{1,5})(?:\/(tcp|udp|sctp))?$/.exec(key);
    const containerPort = Number(m?.[1]);
    if (!m || containerPort < 1 || containerPort > 65535) throw invalidParam(`invalid port specification: ${JSON.stringify(key)} (want PORT[/tcp|udp|sctp])`);
    const protocol = (m[2] ?? 'tcp') as PortMapping['protocol'];
    for (const b of list ?? []) {
      const hostIP = b.HostIp ?? '';
      if (hostIP === '::' || hostIP.includes(':')) continue; // IPv6 publishing: Strata's networks are IPv4-only
      if (hostIP !== '' && !isIPv4(hostIP)) throw invalidParam(`invalid IP address in PortBindings[${key}]: ${JSON.stringify(hostIP)}`);
      const hostPortText = b.HostPort ?? '';
      if (hostPortText !== '' && !/^[0-9]{1,5}$/.test(hostPortText)) throw invalidParam(`invalid host port in PortBindings[${key}]: ${JSON.stringify(hostPortText)}`);
      const hostPort = hostPortText === '' ? 0 : Number(hostPortText);
      if (hostPort > 65535) throw invalidParam(`invalid host port in PortBindings[${key}]: ${hostPort} is above 65535`);
      out.push({ key: `${containerPort}/${protocol}`, containerPort, protocol, hostPort, hostIP: hostIP === '0.0.0.0' ? '' : hostIP });
    }
  }
  return out;
}

const sameBinding = (a: PortMapping, b: PortMapping) => a.hostPort === b.hostPort && a.protocol === b.protocol && (!a.hostIP || !b.hostIP || a.hostIP === b.hostIP);

/**
 * Gives every mapping a host port and checks it is free: not published by another container
 * (`inUse`, the controller's own table, since DNAT rules are invisible to bind()) and, for TCP,
 * not listened on by a host process (the DNAT rule would silently steal its traffic).
 */
export async function allocateHostPorts(wanted: PublishedPort[], inUse: PortMapping[]): Promise<PublishedPort[]> {
  const taken = [...inUse];
  const out: PublishedPort[] = [];
  for (const p of wanted) {
    let chosen = { ...p };
    if (p.hostPort === 0) {
      let found = false;
      // The kernel hands out an unused ephemeral port; retry if it is one we already DNAT.
      for (let attempt = 0; attempt < 50 && !found; attempt++) {
        chosen = { ...p, hostPort: await ephemeralPort(p.hostIP || '0.0.0.0') };
        found = !taken.some((t) => sameBinding(t, chosen));
      }
      if (!found) throw conflict(`could not find a free host port for ${p.key}`);
    } else {
      const where = `${p.hostIP || '0.0.0.0'}:${p.hostPort}`;
      if (taken.some((t) => sameBinding(t, chosen))) throw conflict(`Bind for ${where} failed: port is already allocated`);
      if (p.protocol === 'tcp' && !(await canListen(p.hostIP || '0.0.0.0', p.hostPort))) throw conflict(`Bind for ${where} failed: port is already in use by a host process`);
    }
    taken.push(chosen);
    out.push(chosen);
  }
  return out;
}

function ephemeralPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}
