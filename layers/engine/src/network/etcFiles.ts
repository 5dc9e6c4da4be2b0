// The three files docker bind-mounts into every container (moby libnetwork/etchosts and
// resolvconf): /etc/hosts naming the container, /etc/resolv.conf derived from the host's, and
// /etc/hostname. They live outside the image so each container gets its own and `docker cp`/
// image commits never capture them.
import { hostname as osHostname } from 'node:os';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { invalidParam } from '../errors';
import { isIPv4 } from './subnets';
import type { EtcFilesOptions } from './types';

const HOSTS_HEADER = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/** docker's fallback when the host has only local resolvers (a 127.0.0.53 stub is unreachable from a netns). */
const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

const HOSTNAME_PATTERN = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)*$/;

function hostsFile(o: EtcFilesOptions, hostHosts: string): string {
  if (o.hostNetwork) return hostHosts.endsWith('\n') || hostHosts === '' ? hostHosts + extraLines(o) : `${hostHosts}\n${extraLines(o)}`;
  const names = o.domainname ? `${o.hostname}.${o.domainname}\t${o.hostname}` : o.hostname;
  return [...HOSTS_HEADER, ...o.ips.map((ip) => `${ip}\t${names}`)].join('\n') + '\n' + extraLines(o);
}

function extraLines(o: EtcFilesOptions): string {
  return (o.extraHosts ?? [])
    .map((entry) => {
      // docker run --add-host NAME:IP (the IP may itself contain ':' for IPv6, so split at the first one)
      const at = entry.indexOf(':');
      const name = entry.slice(0, at);
      const ip = entry.slice(at + 1);
      if (at <= 0 || ip === '' || !HOSTNAME_PATTERN.test(name)) throw invalidParam(`invalid extra host ${JSON.stringify(entry)}: want NAME:IP`);
      return `${ip}\t${name}\n`;
    })
    .join('');
}

/**
 * The container's resolv.conf: --dns/--dns-search/--dns-option win; otherwise the host's file
 * minus loopback nameservers (they would point into the container's own netns), falling back to
 * Google's resolvers when nothing is left, as dockerd does. Host-network containers share the
 * host's netns, so they get the host's file unchanged.
 */
export function resolvConfFor(host: string, o: Pick<EtcFilesOptions, 'dns' | 'dnsSearch' | 'dnsOptions' | 'hostNetwork'>): string {
  for (const s of o.dns ?? []) if (!isIPv4(s) && !/^[0-9a-fA-F:]+$/.test(s)) throw invalidParam(`invalid DNS server ${JSON.stringify(s)}: want an IP address`);
  if (o.hostNetwork && !o.dns?.length && !o.dnsSearch?.length && !o.dnsOptions?.length) return host;
  const lines = host.split('\n');
  const keep = (kw: string) => lines.filter((l) => l.trim().split(/\s+/)[0] === kw).map((l) => l.trim());
  let nameservers = keep('nameserver')
    .map((l) => l.split(/\s+/)[1])
    .filter((ip) => ip && !(o.hostNetwork ? false : ip.startsWith('127.') || ip === '::1'));
  if (o.dns?.length) nameservers = o.dns;
  if (nameservers.length === 0) nameservers = DEFAULT_DNS;
  const search = o.dnsSearch?.length ? [`search ${o.dnsSearch.join(' ')}`] : keep('search').concat(keep('domain')).slice(0, 1);
  const options = o.dnsOptions?.length ? [`options ${o.dnsOptions.join(' ')}`] : keep('options');
  return [...nameservers.map((ip) => `nameserver ${ip}`), ...search, ...options].join('\n') + '\n';
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** Writes hosts, resolv.conf and hostname into `dir` (created 0755) and returns their paths. */
export function writeEtcFiles(dir: string, o: EtcFilesOptions, hostFiles = { resolvConf: '/etc/resolv.conf', hosts: '/etc/hosts' }): { hosts: string; resolvConf: string; hostname: string } {
  const name = o.hostNetwork && !o.hostname ? osHostname() : o.hostname;
  if (!name || name.length > 253 || !HOSTNAME_PATTERN.test(name)) throw invalidParam(`invalid hostname ${JSON.stringify(name)}: want letters, digits, '-' and '.'`);
  if (o.domainname && !HOSTNAME_PATTERN.test(o.domainname)) throw invalidParam(`invalid domainname ${JSON.stringify(o.domainname)}`);
  for (const ip of o.ips) if (!isIPv4(ip)) throw invalidParam(`invalid container IP ${JSON.stringify(ip)}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const paths = { hosts: join(dir, 'hosts'), resolvConf: join(dir, 'resolv.conf'), hostname: join(dir, 'hostname') };
  writeAtomic(paths.hosts, hostsFile({ ...o, hostname: name }, readOr(hostFiles.hosts, '')));
  writeAtomic(paths.resolvConf, resolvConfFor(readOr(hostFiles.resolvConf, ''), o));
  writeAtomic(paths.hostname, `${name}\n`);
  return paths;
}
