// The result cache. DEL and CHECK need the result ADD produced (as prevResult), but the runtime may
// have restarted in between, so libcni writes it to <cacheDir>/results/<network>-<containerId>-<ifName>
// as {"kind":"cniCacheV1", containerId, config, ifName, networkName, cniArgs, capabilityArgs, result}.
// Strata keeps the same layout so a host's cache reads the same whichever runtime wrote it.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkConfigList, RuntimeConf } from './types';

export interface CacheEntry {
  kind: 'cniCacheV1';
  containerId: string;
  /** The config list the result was produced with, base64 JSON (as libcni stores the raw bytes). */
  config: string;
  ifName: string;
  networkName: string;
  cniArgs?: [string, string][];
  capabilityArgs?: Record<string, unknown>;
  /** The raw last result, in the list's cniVersion. */
  result: Record<string, unknown>;
}

export class ResultCache {
  constructor(readonly dir: string) {}

  path(net: NetworkConfigList, rt: RuntimeConf): string {
    return join(this.dir, 'results', `${net.name}-${rt.containerId}-${rt.ifName}`);
  }

  read(net: NetworkConfigList, rt: RuntimeConf): CacheEntry | undefined {
    let text: string;
    try {
      text = readFileSync(this.path(net, rt), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      const entry = JSON.parse(text) as CacheEntry;
      return entry && typeof entry.result === 'object' ? entry : undefined;
    } catch {
      return undefined; // a torn write from a crash: behave as if nothing was cached (DEL still runs)
    }
  }

  write(net: NetworkConfigList, rt: RuntimeConf, result: Record<string, unknown>): void {
    const entry: CacheEntry = {
      kind: 'cniCacheV1',
      containerId: rt.containerId,
      config: Buffer.from(JSON.stringify(net)).toString('base64'),
      ifName: rt.ifName,
      networkName: net.name,
      cniArgs: rt.args,
      capabilityArgs: rt.capabilityArgs,
      result,
    };
    const file = this.path(net, rt);
    mkdirSync(join(this.dir, 'results'), { recursive: true, mode: 0o700 });
    // write-then-rename: a crash leaves the old file or the new one, never half of one
    writeFileSync(`${file}.tmp`, JSON.stringify(entry), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }

  remove(net: NetworkConfigList, rt: RuntimeConf): void {
    rmSync(this.path(net, rt), { force: true });
  }
}
