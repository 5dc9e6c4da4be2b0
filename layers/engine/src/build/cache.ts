// The build cache, as the classic builder's: a step is skipped when a previous build ran the
// same instruction on the same parent image — for COPY/ADD, with the same source contents
// (their checksum is part of the instruction's text, "COPY file:<sha256> in /dst"). The key
// is sha256(parent image ID + the step's description); the value is the image ID the step
// produced. The index is a small JSON file under the builder's work dir; an entry whose image
// (config blob) or snapshot has gone since is a miss.
//
// What keeps the cached step images (and, through their labels, their layers and snapshots)
// from the garbage collector is one long-lived lease, CACHE_LEASE: like BuildKit's cache
// records, they stay until the cache is pruned (`docker builder prune`), even when no image
// name uses them any more.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ManagerError, managerApi, type ManagerClient } from '@strata/manager';

export const CACHE_LEASE = 'strata-build-cache';

export class BuildCache {
  private readonly file: string;
  private entries: Record<string, string> = {};

  constructor(dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.file = path.join(dir, 'cache.json');
    try {
      this.entries = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      this.entries = {}; // missing or unreadable: an empty cache is always correct
    }
  }

  static key(parent: string, step: string): string {
    return crypto.createHash('sha256').update(`${parent}\n${step}`).digest('hex');
  }

  get(key: string): string | undefined {
    return this.entries[key];
  }

  set(key: string, imageId: string): void {
    this.entries[key] = imageId;
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.entries), { mode: 0o600 });
    fs.renameSync(tmp, this.file);
  }

  /** Keep a step image (config blob) alive under the cache's lease. */
  async hold(c: ManagerClient, digest: string): Promise<void> {
    try {
      await c.leases.create(CACHE_LEASE, { 'org.strata.build': 'cache' });
    } catch (e) {
      if (!(e instanceof ManagerError && e.code === 'ALREADY_EXISTS')) throw e;
    }
    await c.grpc.call(managerApi.LEASES_SERVICE, 'AddResource', { id: CACHE_LEASE, resource: { id: digest, type: 'content' } });
  }

  /** Forget everything: the index, and the lease (the collector then takes what nothing else uses). */
  async prune(c: ManagerClient): Promise<number> {
    const n = Object.keys(this.entries).length;
    this.entries = {};
    fs.rmSync(this.file, { force: true });
    await c.leases.delete(CACHE_LEASE).catch((e) => {
      if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
    });
    return n;
  }
}
