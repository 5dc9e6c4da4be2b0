// A workaround for a known bug of the bridge plugin (containernetworking/plugins issue #810, still
// present in Debian's 1.1.1 and later releases): with ipMasq on, DEL finds the container's
// addresses by looking inside the netns, so when the netns is already gone (a crash, a reboot, a
// caller that removed it first) DEL succeeds but leaves the per-container masquerade chain behind:
//   -A POSTROUTING -s <ip>/32 -m comment --comment "name: \"<net>\" id: \"<cid>\"" -j CNI-<hash>
//   -A CNI-<hash> -d <subnet> ... -j ACCEPT ;  -A CNI-<hash> ! -d 224.0.0.0/4 ... -j MASQUERADE
// The chain name is "CNI-" + the first 24 hex digits of sha512(<net> + <cid>) (the plugins'
// utils.FormatChainName), and the IPs are in the cached ADD result, so the runtime can finish the
// job the plugin skipped. Each step tolerates "not there", so running it twice is harmless.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { CniResult, NetworkConfigList } from './types';

export function masqueradeChain(network: string, containerId: string): string {
  return `CNI-${createHash('sha512').update(network + containerId).digest('hex').slice(0, 24)}`;
}

/** True when the list has a bridge plugin that set up masquerading. */
export function usesBridgeMasq(net: NetworkConfigList): boolean {
  return net.plugins.some((p) => p.type === 'bridge' && p.ipMasq === true);
}

export function teardownBridgeMasq(network: string, containerId: string, result: CniResult | undefined): void {
  const chain = masqueradeChain(network, containerId);
  const comment = `name: "${network}" id: "${containerId}"`;
  const iptables = (...args: string[]) => spawnSync('iptables', ['-w', '-t', 'nat', ...args], { stdio: 'ignore', timeout: 30_000 });
  for (const ip of result?.ips ?? []) {
    const addr = ip.address.split('/')[0];
    if (addr.includes(':')) continue; // IPv6 rules live in ip6tables; Strata's networks are IPv4
    iptables('-D', 'POSTROUTING', '-s', addr, '-j', chain, '-m', 'comment', '--comment', comment);
  }
  if (iptables('-S', chain).status === 0) {
    iptables('-F', chain);
    iptables('-X', chain);
  }
}
