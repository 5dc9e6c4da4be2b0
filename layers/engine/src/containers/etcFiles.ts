// /etc/hosts, /etc/resolv.conf and /etc/hostname for a container when the engine runs without
// its network controller (host and none networking only), written as docker writes them: hosts
// with the loopback names and the container's own addresses, resolv.conf from the host's (or
// --dns), hostname with the container's name.
import fs from 'node:fs';
import path from 'node:path';

export function writeOwnEtcFiles(dir: string, o: { hostname: string; ips: string[]; extraHosts?: string[]; dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[]; hostNetwork?: boolean }): { hosts: string; resolvConf: string; hostname: string } {
  const hosts = path.join(dir, 'hosts');
  const resolvConf = path.join(dir, 'resolv.conf');
  const hostname = path.join(dir, 'hostname');
  const hostHosts = o.hostNetwork ? safeRead('/etc/hosts') : '';
  const lines = hostHosts
    ? [hostHosts.trimEnd()]
    : ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::\tip6-localnet', 'ff00::\tip6-mcastprefix', 'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters'];
  for (const h of o.extraHosts ?? []) {
    const i = h.indexOf(':');
    lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  for (const ip of o.ips) lines.push(`${ip}\t${o.hostname}`);
  fs.writeFileSync(hosts, `${lines.join('\n')}\n`, { mode: 0o644 });
  let resolv = safeRead('/etc/resolv.conf');
  if (o.dns?.length || o.dnsSearch?.length || o.dnsOptions?.length) {
    resolv = [...(o.dns ?? []).map((s) => `nameserver ${s}`), ...(o.dnsSearch?.length ? [`search ${o.dnsSearch.join(' ')}`] : []), ...(o.dnsOptions?.length ? [`options ${o.dnsOptions.join(' ')}`] : [])].join('\n');
  }
  fs.writeFileSync(resolvConf, `${resolv.trimEnd()}\n`, { mode: 0o644 });
  fs.writeFileSync(hostname, `${o.hostname}\n`, { mode: 0o644 });
  return { hosts, resolvConf, hostname };
}

function safeRead(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
