// Network configuration files (SPEC.md section 1). A runtime reads every *.conflist, *.conf and
// *.json in its conf dir, in file-name order (libcni ConfFiles + sort); a bare .conf/.json holding
// one plugin config becomes a list of one plugin, as libcni's ConfListFromConf does.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CniError } from './errors';
import { validateNetworkName, validatePluginType } from './names';
import type { NetworkConfigList } from './types';

/** Versions whose configs and results Strata understands; Debian's plugins speak all of them. */
export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0'];

export function validateConfList(list: NetworkConfigList): NetworkConfigList {
  if (!list || typeof list !== 'object') throw new CniError(7, '', 'network config: must be a JSON object');
  validateNetworkName(list.name);
  if (typeof list.cniVersion !== 'string' || !SUPPORTED_VERSIONS.includes(list.cniVersion)) {
    throw new CniError(1, '', `network config /cniVersion: ${JSON.stringify(list.cniVersion)} is not supported (want one of ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  if (!Array.isArray(list.plugins) || list.plugins.length === 0) throw new CniError(7, '', `network config /plugins of ${list.name}: must be a non-empty array`);
  list.plugins.forEach((p, i) => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new CniError(7, '', `network config /plugins/${i}: must be an object`);
    validatePluginType(p.type, i);
    if (p.capabilities !== undefined && (typeof p.capabilities !== 'object' || Array.isArray(p.capabilities))) {
      throw new CniError(7, String(p.type), `network config /plugins/${i}/capabilities: must be an object of booleans`);
    }
  });
  if (list.disableCheck !== undefined && typeof list.disableCheck !== 'boolean') throw new CniError(7, '', 'network config /disableCheck: must be a boolean');
  return list;
}

/** Parses the text of one file; `source` names it in errors. */
export function parseConfList(text: string, source = 'network config'): NetworkConfigList {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CniError(6, '', `${source}: invalid JSON: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CniError(7, '', `${source}: must be a JSON object`);
  try {
    if (Array.isArray(raw.plugins)) return validateConfList(raw as unknown as NetworkConfigList);
    // A single plugin config: name and cniVersion move up to the list (libcni ConfListFromConf).
    if (typeof raw.type !== 'string') throw new CniError(7, '', `/type: a single-plugin config needs a "type"`);
    return validateConfList({ cniVersion: raw.cniVersion as string, name: raw.name as string, plugins: [raw] });
  } catch (e) {
    if (e instanceof CniError) throw new CniError(e.code, e.plugin, `${source}: ${e.message}`, e.details);
    throw e;
  }
}

/** All network configs of a conf dir, sorted by file name; a missing dir gives []. */
export function loadConfLists(confDir: string): NetworkConfigList[] {
  let names: string[];
  try {
    names = readdirSync(confDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .filter((n) => n.endsWith('.conflist') || n.endsWith('.conf') || n.endsWith('.json'))
    .sort()
    .map((n) => parseConfList(readFileSync(join(confDir, n), 'utf8'), join(confDir, n)));
}

/** The loopback network every pod/container gets first (the `lo` interface up). */
export const LOOPBACK: NetworkConfigList = Object.freeze({
  cniVersion: '1.0.0',
  name: 'cni-loopback',
  plugins: [{ type: 'loopback' }],
}) as NetworkConfigList;

export interface BridgeOptions {
  name: string;
  /** Linux bridge device, at most 15 characters. */
  bridge: string;
  /** IPv4 subnet in CIDR notation. */
  subnet: string;
  gateway?: string;
  /** Allocate only from this sub-range (docker's --ip-range). */
  ipRange?: string;
  /** Add the portmap plugin so capabilityArgs.portMappings publish ports (default true). */
  portMap?: boolean;
  /** Masquerade traffic leaving the subnet (default true). */
  ipMasq?: boolean;
  /** host-local's state dir (default /var/lib/cni/networks). */
  dataDir?: string;
  /** Give the container a default route via the gateway (default true). */
  isDefaultGateway?: boolean;
  /** Let a container reach itself through a published port (default true). */
  hairpin?: boolean;
  mtu?: number;
  /** Add the firewall plugin: ACCEPT rules in FORWARD for the container (useful when FORWARD's policy is DROP). */
  firewall?: boolean;
}

/**
 * A bridge network as containerd's default config and docker's bridge driver build it: a veth per
 * container on a Linux bridge that holds the gateway address, host-local IPAM, optional portmap.
 */
export function bridgeConfList(o: BridgeOptions): NetworkConfigList {
  const range: Record<string, string> = { subnet: o.subnet };
  if (o.gateway) range.gateway = o.gateway;
  if (o.ipRange) {
    // host-local allocates within [rangeStart, rangeEnd]; derive them from the sub-range.
    Object.assign(range, rangeBounds(o.ipRange));
  }
  const ipam: Record<string, unknown> = { type: 'host-local', ranges: [[range]], routes: o.isDefaultGateway === false ? [] : [{ dst: '0.0.0.0/0' }] };
  if (o.dataDir) ipam.dataDir = o.dataDir;
  const bridge: Record<string, unknown> = {
    type: 'bridge',
    // the bridge plugin hands its whole config to the IPAM plugin, so a requested address
    // (runtimeConfig.ips, CONVENTIONS.md) reaches host-local through it
    capabilities: { ips: true },
    bridge: o.bridge,
    isGateway: true,
    ipMasq: o.ipMasq ?? true,
    hairpinMode: o.hairpin ?? true,
    ipam,
  };
  if (o.mtu) bridge.mtu = o.mtu;
  const plugins: Record<string, unknown>[] = [bridge];
  if (o.portMap ?? true) plugins.push({ type: 'portmap', capabilities: { portMappings: true } });
  if (o.firewall) plugins.push({ type: 'firewall', backend: 'iptables' });
  return validateConfList({ cniVersion: '1.0.0', name: o.name, plugins });
}

/** First usable and last usable address of an IPv4 CIDR (host-local's rangeStart/rangeEnd). */
function rangeBounds(cidr: string): { rangeStart: string; rangeEnd: string } {
  const [addr, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const base = ipToInt(addr) & (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);
  const size = 2 ** (32 - bits);
  return { rangeStart: intToIp(base + (size > 2 ? 1 : 0)), rangeEnd: intToIp(base + size - (size > 2 ? 2 : 1)) };
}

const ipToInt = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
