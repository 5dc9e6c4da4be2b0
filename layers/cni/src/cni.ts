// Cni: the runtime side of CNI for whole network config lists (libcni's AddNetworkList,
// DelNetworkList, CheckNetworkList), with the result cache that makes DEL work after a restart.
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { teardownBridgeMasq, usesBridgeMasq } from './bridgeMasq';
import { ResultCache } from './cache';
import { validateConfList } from './config';
import { CniError } from './errors';
import { type CniCommand, invokePlugin } from './invoke';
import { validateContainerId, validateInterfaceName } from './names';
import { parseResult } from './result';
import type { CniResult, NetworkConfigList, RuntimeConf } from './types';

export interface CniOptions {
  /** Where plugin binaries are looked up, in order (CNI_PATH). */
  binDirs: string[];
  /** Result cache root (default /var/lib/cni, like libcni). */
  cacheDir?: string;
}

export class Cni {
  readonly binDirs: string[];
  private readonly cache: ResultCache;

  constructor(o: CniOptions) {
    if (!Array.isArray(o.binDirs) || o.binDirs.length === 0) throw new CniError(0, '', 'binDirs: at least one plugin directory is needed');
    for (const d of o.binDirs) if (!isAbsolute(d) || d.includes(':')) throw new CniError(0, '', `binDirs: ${JSON.stringify(d)} must be an absolute path without ':'`);
    this.binDirs = [...o.binDirs];
    this.cache = new ResultCache(o.cacheDir ?? '/var/lib/cni');
  }

  /**
   * ADD through every plugin in order; each gets the previous plugin's result as prevResult
   * (SPEC.md "Network configuration list runtime execution"). If a plugin fails, the plugins that
   * already ran are undone with DEL (in reverse) before the error is thrown, so a failed ADD leaves
   * no veth, address reservation or iptables rule behind.
   */
  async add(net: NetworkConfigList, rt: RuntimeConf): Promise<CniResult> {
    this.validate(net, rt, 'ADD');
    let prev: Record<string, unknown> | undefined;
    for (let i = 0; i < net.plugins.length; i++) {
      try {
        prev = (await this.invoke('ADD', net, i, rt, prev)) ?? prev;
      } catch (e) {
        await this.rollback(net, rt, i, prev);
        throw e;
      }
    }
    if (!prev) throw new CniError(6, String(net.plugins.at(-1)?.type), `network ${net.name}: the plugins returned no result`);
    this.cache.write(net, rt, prev);
    return parseResult(prev, String(net.plugins.at(-1)?.type));
  }

  /**
   * DEL in reverse order, each plugin given the cached ADD result as prevResult. Idempotent: DEL of
   * a container that was never added, or whose netns is gone, succeeds (plugins must tolerate
   * that, SPEC.md "DEL"), so a runtime can always retry cleanup after a crash.
   */
  async del(net: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    this.validate(net, rt, 'DEL');
    const cached = this.cache.read(net, rt);
    // After a restart the caller may not remember the port mappings: portmap needs them to find
    // its rules, so fall back to the capability args cached at ADD time.
    const conf: RuntimeConf = { ...rt, capabilityArgs: rt.capabilityArgs ?? (cached?.capabilityArgs as RuntimeConf['capabilityArgs']) };
    const netnsGone = !netnsPresent(rt.netns);
    if (netnsGone) conf.netns = ''; // the spec allows an empty CNI_NETNS for DEL
    for (let i = net.plugins.length - 1; i >= 0; i--) await this.invoke('DEL', net, i, conf, cached?.result);
    if (netnsGone && usesBridgeMasq(net)) teardownBridgeMasq(net.name, rt.containerId, cached ? parseResult(cached.result) : undefined);
    this.cache.remove(net, rt);
  }

  /** CHECK (CNI >= 0.4.0): every plugin verifies that what ADD set up is still in place. */
  async check(net: NetworkConfigList, rt: RuntimeConf): Promise<void> {
    this.validate(net, rt, 'CHECK');
    if (net.disableCheck) return;
    if (net.cniVersion.startsWith('0.3')) throw new CniError(1, '', `network ${net.name}: CHECK needs cniVersion 0.4.0 or later (config has ${net.cniVersion})`);
    const cached = this.cache.read(net, rt);
    if (!cached) throw new CniError(3, '', `network ${net.name}: no cached result for container ${rt.containerId} ${rt.ifName} (was ADD run?)`);
    for (let i = 0; i < net.plugins.length; i++) await this.invoke('CHECK', net, i, rt, cached.result);
  }

  cachedResult(net: NetworkConfigList, rt: RuntimeConf): CniResult | undefined {
    const cached = this.cache.read(net, rt);
    return cached ? parseResult(cached.result) : undefined;
  }

  /** Undo plugins [0, failedAt) after plugin failedAt failed its ADD; failedAt itself may have half-done work, so it gets a DEL too. */
  private async rollback(net: NetworkConfigList, rt: RuntimeConf, failedAt: number, prev: Record<string, unknown> | undefined): Promise<void> {
    for (let i = failedAt; i >= 0; i--) {
      try {
        await this.invoke('DEL', net, i, rt, prev);
      } catch {
        // best effort: the ADD error is the one the caller needs to see
      }
    }
    this.cache.remove(net, rt);
  }

  private validate(net: NetworkConfigList, rt: RuntimeConf, cmd: CniCommand): void {
    validateConfList(net);
    validateContainerId(rt.containerId);
    validateInterfaceName(rt.ifName);
    if (cmd !== 'DEL' || rt.netns) {
      if (typeof rt.netns !== 'string' || !isAbsolute(rt.netns)) throw new CniError(4, '', `netns ${JSON.stringify(rt.netns)}: must be an absolute path`);
    }
    if (cmd !== 'DEL' && !existsSync(rt.netns)) throw new CniError(3, '', `netns ${rt.netns}: does not exist`);
    for (const [k, v] of rt.args ?? []) {
      if (!/^[A-Za-z0-9_]+$/.test(k) || /[;=]/.test(v)) throw new CniError(4, '', `args: ${JSON.stringify(k)}=${JSON.stringify(v)} is not a valid CNI_ARGS pair`);
    }
  }

  private invoke(cmd: CniCommand, net: NetworkConfigList, index: number, rt: RuntimeConf, prevResult?: Record<string, unknown>) {
    return invokePlugin(this.binDirs, {
      command: cmd,
      containerId: rt.containerId,
      netns: rt.netns,
      ifName: rt.ifName,
      args: rt.args,
      config: pluginConfig(net, index, rt, prevResult),
    });
  }
}

/**
 * The stdin of one plugin (libcni buildOneConfig + injectRuntimeConfig): its own config plus the
 * list's name and cniVersion, the previous result, and `runtimeConfig` holding the capability args
 * the plugin asked for in `capabilities` (CONVENTIONS.md) and nothing else.
 */
export function pluginConfig(net: NetworkConfigList, index: number, rt: RuntimeConf, prevResult?: Record<string, unknown>): Record<string, unknown> {
  const plugin = net.plugins[index];
  const conf: Record<string, unknown> = { ...plugin, name: net.name, cniVersion: net.cniVersion };
  if (prevResult) conf.prevResult = prevResult;
  const caps = (plugin.capabilities ?? {}) as Record<string, unknown>;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, wanted] of Object.entries(caps)) {
    const value = rt.capabilityArgs?.[cap];
    if (wanted === true && value !== undefined) runtimeConfig[cap] = value;
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  return conf;
}

function netnsPresent(path: string): boolean {
  return !!path && existsSync(path);
}
