// @strata/cni against Debian's real plugins and the real kernel: two namespaces on a test bridge
// ping each other, portmap publishes a port on 127.0.0.1 and on all addresses, and every test
// ends with a leak check (bridge ports, host-local reservations, iptables rules, cache files).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cni, CniError, LOOPBACK, bridgeConfList, createNetns, netnsExists, removeNetns, type NetworkConfigList, type RuntimeConf } from '../src/index';
import { CNI_BIN, bridgePorts, fetchTcp, fetchTcpFromNetns, havePlugins, haveTools, iptablesLines, isRoot, leftoverChains, linkExists, pingFrom, reservedIps, serveInNetns } from './testing';

const pid = process.pid;
const BRIDGE = `scni${pid % 100000}`;
const NET = `strata-cnitest-${pid}`;
// 10.199.X.0/24 with X from the pid: away from containerd's 10.88/16, docker's 172.17/16 and the host's routes
const SUBNET = `10.199.${pid % 250}.0/24`;
const GATEWAY = `10.199.${pid % 250}.1`;
const ready = isRoot && havePlugins && haveTools;

describe.skipIf(!ready)('Cni with real plugins', () => {
  let dir: string;
  let cni: Cni;
  let conf: NetworkConfigList;
  const namespaces: string[] = [];
  const ns = (tag: string) => {
    const path = createNetns(`strata-cnitest-${pid}-${tag}`);
    namespaces.push(path);
    return path;
  };
  const rt = (netns: string, id: string, extra: Partial<RuntimeConf> = {}): RuntimeConf => {
    const r = { containerId: `${id}-${pid}`, netns, ifName: 'eth0', ...extra };
    touched.push(r);
    return r;
  };
  /** Every runtime conf a test used: a failed test is cleaned up with DEL so the next starts clean. */
  const touched: RuntimeConf[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'strata-cni-'));
    mkdirSync(join(dir, 'cache'));
    cni = new Cni({ binDirs: [CNI_BIN], cacheDir: join(dir, 'cache') });
    conf = bridgeConfList({ name: NET, bridge: BRIDGE, subnet: SUBNET, gateway: GATEWAY, dataDir: join(dir, 'ipam') });
  });

  afterEach(async () => {
    // Leak check: nothing attached, nothing reserved, no rule mentions our containers, no cache entry.
    const leaks = {
      bridgePorts: bridgePorts(BRIDGE),
      reserved: reservedIps(join(dir, 'ipam'), NET),
      rules: iptablesLines(`-${pid}\\"`),
      cache: readdirSync(join(dir, 'cache'), { recursive: true }).map(String).filter((f) => f.startsWith('results/')),
      chains: touched.flatMap((r) => leftoverChains(NET, r.containerId)),
    };
    // clean up whatever a failed test left, so one failure does not cascade into the next tests
    for (const r of touched.splice(0)) await cni.del(conf, r).catch(() => undefined);
    for (const p of namespaces.splice(0)) removeNetns(p);
    expect(leaks).toEqual({ bridgePorts: [], reserved: [], rules: [], cache: [], chains: [] });
  });

  afterAll(() => {
    for (const p of namespaces) removeNetns(p);
    if (linkExists(BRIDGE)) spawnSync('ip', ['link', 'del', BRIDGE]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ADD gives each namespace an address on the bridge, they ping each other, DEL undoes it all', async () => {
    const a = ns('a');
    const b = ns('b');
    await cni.add(LOOPBACK, rt(a, 'lo-a', { ifName: 'lo' }));
    const ra = await cni.add(conf, rt(a, 'ctr-a'));
    const rb = await cni.add(conf, rt(b, 'ctr-b'));
    expect(ra.cniVersion).toBe('1.0.0');
    const ipA = ra.ips[0].address.split('/')[0];
    const ipB = rb.ips[0].address.split('/')[0];
    expect(ra.ips[0].gateway).toBe(GATEWAY);
    expect(ipA).toMatch(new RegExp(`^10\\.199\\.${pid % 250}\\.`));
    expect(ipA).not.toBe(ipB);
    expect(ra.interfaces.find((i) => i.sandbox === a)?.name).toBe('eth0');
    expect(bridgePorts(BRIDGE)).toHaveLength(2);
    expect(reservedIps(join(dir, 'ipam'), NET).sort()).toEqual([ipA, ipB].sort());
    expect(cni.cachedResult(conf, rt(a, 'ctr-a'))?.ips[0].address).toBe(ra.ips[0].address);
    // masquerade: the bridge plugin's per-container chain exists while attached
    expect(iptablesLines(`ctr-a-${pid}\\"`).length).toBeGreaterThan(0);

    expect(pingFrom(a, ipB)).toBe(true);
    expect(pingFrom(b, ipA)).toBe(true);
    expect(pingFrom(a, '127.0.0.1')).toBe(true); // loopback plugin brought lo up

    await cni.check(conf, rt(a, 'ctr-a'));
    await cni.del(conf, rt(a, 'ctr-a'));
    await cni.del(conf, rt(b, 'ctr-b'));
    await cni.del(LOOPBACK, rt(a, 'lo-a', { ifName: 'lo' }));
    expect(pingFrom(a, ipB)).toBe(false);
    expect(cni.cachedResult(conf, rt(a, 'ctr-a'))).toBeUndefined();
  });

  it('portmap publishes on 127.0.0.1 (reachable from the host) and on all addresses (reachable from another netns)', async () => {
    const a = ns('pa');
    const b = ns('pb');
    const local = 20000 + (pid % 20000);
    const any = local + 1;
    const server = await serveInNetns(a, 8080, 'hello from a\n');
    try {
      const portMappings = [
        { hostPort: local, containerPort: 8080, protocol: 'tcp' as const, hostIP: '127.0.0.1' },
        { hostPort: any, containerPort: 8080, protocol: 'tcp' as const },
      ];
      await cni.add(conf, rt(a, 'pm-a', { capabilityArgs: { portMappings } }));
      await cni.add(conf, rt(b, 'pm-b'));
      expect(iptablesLines(`pm-a-${pid}\\"`).some((l) => l.includes(String(local)))).toBe(true);
      expect(await fetchTcp('127.0.0.1', local)).toBe('hello from a\n');
      // from a neighbour container: the host's bridge address, DNATed by PREROUTING
      expect(await fetchTcpFromNetns(b, GATEWAY, any)).toBe('hello from a\n');
      // hairpin: the container reaches its own published port through the host
      expect(await fetchTcpFromNetns(a, GATEWAY, any)).toBe('hello from a\n');
      // the 127.0.0.1 binding must not answer on the bridge address
      await expect(fetchTcpFromNetns(b, GATEWAY, local)).rejects.toThrow();
      // DEL without capabilityArgs (a restarted runtime): the cached ones find portmap's rules
      await cni.del(conf, rt(a, 'pm-a'));
      await cni.del(conf, rt(b, 'pm-b'));
      await expect(fetchTcp('127.0.0.1', local, 1500)).rejects.toThrow();
    } finally {
      await server.stop();
    }
  });

  it('a failing plugin in the middle of the list rolls back the ones before it', async () => {
    const a = ns('f');
    const bad: NetworkConfigList = { ...conf, plugins: [conf.plugins[0], { type: 'portmap', capabilities: { portMappings: true }, snat: 'yes please' }] };
    const err = await cni.add(bad, rt(a, 'fail-a', { capabilityArgs: { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }] } })).catch((e) => e);
    expect(err).toBeInstanceOf(CniError);
    expect(err.plugin).toBe('portmap');
    expect(err.message).toMatch(/plugin type="portmap" failed \(add\)/);
    // afterEach proves the bridge's veth, host-local's reservation and masquerade chain are gone
  });

  it('bad config: a clear error naming the plugin or field, nothing created', async () => {
    const a = ns('bad');
    const badSubnet = bridgeConfList({ name: NET, bridge: BRIDGE, subnet: '10.199.300.0/24', dataDir: join(dir, 'ipam') });
    const e1 = await cni.add(badSubnet, rt(a, 'bad-a')).catch((e) => e);
    expect(e1).toBeInstanceOf(CniError);
    expect(e1.plugin).toBe('bridge');
    expect(e1.message).toMatch(/10\.199\.300\.0/);

    const missing: NetworkConfigList = { ...conf, plugins: [{ type: 'no-such-plugin' }] };
    const e2 = await cni.add(missing, rt(a, 'bad-b')).catch((e) => e);
    expect(e2).toBeInstanceOf(CniError);
    expect(e2.message).toMatch(/failed to find plugin "no-such-plugin" in path \[\/usr\/lib\/cni\]/);

    const escape: NetworkConfigList = { ...conf, plugins: [{ type: '../../bin/sh' }] };
    await expect(cni.add(escape, rt(a, 'bad-c'))).rejects.toThrow(/\/plugins\/0\/type/);
    await expect(cni.add(conf, rt(a, 'bad id with spaces'))).rejects.toThrow(/containerId/);
    await expect(cni.add(conf, rt(a, 'bad-d', { ifName: 'a-very-long-interface-name' }))).rejects.toThrow(/ifName/);
    await expect(cni.add(conf, rt('/run/netns/strata-does-not-exist', 'bad-e'))).rejects.toThrow(/does not exist/);
  });

  it('DEL is idempotent: twice, never added, and after the netns is gone', async () => {
    const a = ns('del');
    await cni.add(conf, rt(a, 'del-a'));
    await cni.del(conf, rt(a, 'del-a'));
    await cni.del(conf, rt(a, 'del-a'));
    await cni.del(conf, rt(a, 'never-added'));
    const b = ns('del2');
    await cni.add(conf, rt(b, 'del-b'));
    removeNetns(b); // the veth dies with the namespace; host-local's reservation must still go
    expect(netnsExists(b)).toBe(false);
    await cni.del(conf, rt(b, 'del-b'));
  });
});

describe.skipIf(!ready)('named network namespaces', () => {
  it('createNetns binds a new netns at /run/netns/<name>; removeNetns is idempotent; names are validated', () => {
    const name = `strata-cnitest-${pid}-ns`;
    const path = createNetns(name);
    try {
      expect(path).toBe(`/run/netns/${name}`);
      expect(netnsExists(path)).toBe(true);
      expect(() => createNetns(name)).toThrow(/already exists/);
    } finally {
      removeNetns(path);
    }
    expect(netnsExists(path)).toBe(false);
    removeNetns(path);
    removeNetns(name);
    expect(() => createNetns('../etc')).toThrow(/netns name/);
    expect(() => createNetns('a/b')).toThrow(/netns name/);
    expect(() => removeNetns('/etc/passwd')).toThrow(/only namespaces under \/run\/netns/);
  });
});
