// What the network controller persists under <data-root>/network, so a restarted engine knows its
// networks and which container holds which endpoint (the IP reservations themselves are kept by
// host-local in ipam/, and the CNI results in cni-cache/, both also on disk):
//   networks/<id>.json      NetworkRecord (docker's shape)
//   sandboxes/<cid>.json    SandboxRecord: the netns path and one Attachment per connected network
//   ipam/<cni-name>/        host-local's dataDir (one file per reserved IP)
//   cni-cache/results/      @strata/cni's result cache (what DEL needs)
// Every write is write-to-temp + rename, so a crash leaves either the old or the new file.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkConfigList } from '@strata/cni';
import type { PublishedPort } from './ports';
import type { Endpoint, NetworkRecord } from './types';

export interface Attachment {
  networkId: string;
  ifName: string;
  endpoint: Endpoint;
  ports: PublishedPort[];
  /** The CNI config ADD ran with: DEL must use the same one even if the network changed since. */
  cniConf?: NetworkConfigList;
}

export interface SandboxRecord {
  containerId: string;
  name?: string;
  netns: string;
  attachments: Attachment[];
}

export class NetworkStore {
  constructor(readonly root: string) {
    for (const d of ['networks', 'sandboxes', 'ipam', 'cni-cache']) mkdirSync(join(root, d), { recursive: true, mode: 0o700 });
  }

  get ipamDir(): string {
    return join(this.root, 'ipam');
  }

  get cacheDir(): string {
    return join(this.root, 'cni-cache');
  }

  loadNetworks(): NetworkRecord[] {
    return this.readAll<NetworkRecord>('networks');
  }

  saveNetwork(n: NetworkRecord): void {
    this.write(join('networks', `${n.Id}.json`), n);
  }

  deleteNetwork(id: string): void {
    rmSync(join(this.root, 'networks', `${id}.json`), { force: true });
    rmSync(join(this.root, 'ipam', cniName(id)), { recursive: true, force: true });
  }

  loadSandboxes(): SandboxRecord[] {
    return this.readAll<SandboxRecord>('sandboxes');
  }

  saveSandbox(s: SandboxRecord): void {
    this.write(join('sandboxes', `${s.containerId}.json`), s);
  }

  deleteSandbox(containerId: string): void {
    rmSync(join(this.root, 'sandboxes', `${containerId}.json`), { force: true });
  }

  private readAll<T>(dir: string): T[] {
    const out: T[] = [];
    for (const f of readdirSync(join(this.root, dir))) {
      if (!f.endsWith('.json')) continue; // *.tmp from an interrupted write
      try {
        out.push(JSON.parse(readFileSync(join(this.root, dir, f), 'utf8')) as T);
      } catch {
        // unreadable record: skip it rather than refuse to start (the file stays for inspection)
      }
    }
    return out;
  }

  private write(rel: string, value: unknown): void {
    const file = join(this.root, rel);
    writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
  }
}

/** The CNI network name of a docker network: its id, which never gets reused (names can be). */
export const cniName = (networkId: string) => `strata-${networkId.slice(0, 12)}`;
