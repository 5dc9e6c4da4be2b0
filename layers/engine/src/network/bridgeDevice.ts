// The Linux bridge behind a bridge network. dockerd creates docker0/br-<id> when the network is
// created, not when the first container joins, so the subnet's route is visible at once (other
// tools and Strata's own subnet picker then see it as taken). The CNI bridge plugin later finds
// the device and, since it already holds exactly the gateway address, leaves it alone.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { invalidParam } from '../errors';

const BRIDGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

export function validateBridgeName(name: string): void {
  if (typeof name !== 'string' || !BRIDGE_NAME.test(name)) throw invalidParam(`invalid bridge name ${JSON.stringify(name)}: at most 15 letters, digits, '_', '.', '-' (IFNAMSIZ)`);
}

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function bridgeExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}/bridge`);
}

/** Creates the bridge if needed, gives it `gateway/bits` and sets it up. */
export function ensureBridge(name: string, gateway: string, bits: number): void {
  validateBridgeName(name);
  if (!bridgeExists(name)) {
    if (existsSync(`/sys/class/net/${name}`)) throw invalidParam(`device ${name} exists and is not a bridge`);
    ip('link', 'add', 'name', name, 'type', 'bridge');
  }
  const addrs = ip('-4', '-o', 'addr', 'show', 'dev', name);
  if (!addrs.includes(` ${gateway}/${bits} `)) ip('addr', 'add', `${gateway}/${bits}`, 'dev', name);
  ip('link', 'set', name, 'up');
}

export function deleteBridge(name: string): void {
  if (!bridgeExists(name)) return;
  try {
    ip('link', 'del', name);
  } catch (e) {
    if (bridgeExists(name)) throw e;
  }
}
