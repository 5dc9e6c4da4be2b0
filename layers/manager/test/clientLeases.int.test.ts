// ManagerClient.withLease carries its lease with the async operation (as containerd's client
// carries it in a context), not on the shared client: two operations running at once on one
// client each get their own lease, and one finishing (its lease deleted, a GC run) cannot take
// what the other created. Before, the second operation silently used the first one's lease and
// lost its snapshot when that lease went ("snapshot not found" with 20 pods started at once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagerClient, currentLease } from '../src';
import { isRoot } from '@strata/shim/testing';
import { ManagerDaemon } from './harness';

describe.skipIf(!isRoot)('ManagerClient.withLease under concurrency', () => {
  const m = new ManagerDaemon();
  let c: ManagerClient;
  beforeAll(() => {
    m.start();
    c = new ManagerClient(m.sock, m.ns);
  });
  afterAll(() => {
    c?.close();
    m.stop();
  });

  it('gives concurrent operations their own leases, and one ending does not collect the other’s snapshot', async () => {
    let aStarted!: () => void;
    const aIn = new Promise<void>((r) => (aStarted = r));
    let aDone!: () => void;
    const aOut = new Promise<void>((r) => (aDone = r));
    const seen: Record<string, string | undefined> = {};
    const a = c.withLease(async () => {
      seen.a = currentLease();
      aStarted();
      await new Promise((r) => setTimeout(r, 100));
    }).then(() => aDone());
    const b = (async () => {
      await aIn; // b starts while a holds its lease
      return c.withLease(async () => {
        seen.b = currentLease();
        await c.snapshots('native').prepare('lease-race-b', '');
        await aOut; // a has ended: its lease is deleted
        // a synchronous GC: whatever no lease or record holds goes now
        await c.leases.create('gc-trigger');
        await c.leases.delete('gc-trigger', true);
        return c.snapshots('native').exists('lease-race-b');
      });
    })();
    const [, survived] = await Promise.all([a, b]);
    expect(survived).toBe(true);
    expect(seen.a).toBeTruthy();
    expect(seen.b).toBeTruthy();
    expect(seen.b).not.toBe(seen.a);
    expect(currentLease()).toBeUndefined(); // nothing leaks out of withLease
    await c.snapshots('native').remove('lease-race-b');
    expect((await c.leases.list()).map((l) => l.id)).toEqual([]);
  });
});
