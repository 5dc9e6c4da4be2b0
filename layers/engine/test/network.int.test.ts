// NetworkController against the real kernel and Debian's CNI plugins: the default bridge, a
// user-defined network, two sandboxes reaching each other, a port published on 127.0.0.1, the
// in-use refusal, a restart on the same root that keeps networks and IP reservations, and a final
// leak check (netns, bridge ports, host-local files, iptables rules, bridge devices).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inNetns, netnsExists } from '@strata/cni';
import { bridgePorts, fetchTcp, havePlugins, haveTools, iptablesLines, isRoot, linkExists, pingFrom, reservedIps, serveInNetns } from '@strata/cni/testing';
import { NetworkController } from '../src/network/index';
import { unisolateBridge } from '../src/network/isolation';
import { hostRoutes, overlaps, parseCidr } from '../src/network/subnets';

const pid = process.pid;
const DEFAULT_BRIDGE = `sbr${pid % 1000000}`;
const USER_NET = `strata-ntest-${pid}`;
const USER_SUBNET = `10.198.${pid % 250}.0/24`;
const USER_GW = `10.198.${pid % 250}.254`;
const ready = isRoot && havePlugins && haveTools;
const cid = () => randomBytes(32).toString('hex');

describe.skipIf(!ready)('NetworkController', () => {
  let root: string;
  let ctl: NetworkController;
  const ids = { a: cid(), b: cid(), c: cid() };
  const options = () => ({ root: join(root, 'network'), execRoot: join(root, 'exec'), cniBinDirs: ['/usr/lib/cni'], bridge: DEFAULT_BRIDGE, hostResolvConf: join(root, 'resolv.conf') });
  let routesBefore: ReturnType<typeof hostRoutes>;
  const devices: string[] = [DEFAULT_BRIDGE];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'strata-net-'));
    // the host's resolv.conf as the controller sees it: no nameserver, so the embedded DNS server
    // answers unknown names with NXDOMAIN itself and no query ever leaves the host
    writeFileSync(join(root, 'resolv.conf'), 'search example.test\n');
    routesBefore = hostRoutes();
    ctl = new NetworkController(options());
    await ctl.init();
  });

  afterAll(async () => {
    for (const id of Object.values(ids)) await ctl.releaseSandbox(id).catch(() => undefined);
    await ctl.remove(USER_NET).catch(() => undefined);
    ctl.close();
    for (const d of devices) if (linkExists(d)) await import('node:child_process').then((cp) => cp.spawnSync('ip', ['link', 'del', d]));
    // The default network stays (as docker0 does), rules included: the test takes them down.
    unisolateBridge(DEFAULT_BRIDGE);
    // leak check over the whole run
    for (const id of Object.values(ids)) {
      expect(existsSync(`/run/netns/strata-${id}`)).toBe(false);
      expect(iptablesLines(id)).toEqual([]);
    }
    for (const d of devices) expect(linkExists(d)).toBe(false);
    for (const d of devices) expect(iptablesLines(d)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it('init creates bridge, host and none; the default bridge gets a /16 clear of the host routes', () => {
    const names = ctl.list().map((n) => n.Name);
    expect(names).toEqual(['bridge', 'host', 'none']);
    const bridge = ctl.inspect('bridge');
    expect(bridge.Driver).toBe('bridge');
    expect(bridge.Options['com.docker.network.bridge.name']).toBe(DEFAULT_BRIDGE);
    const subnet = parseCidr(bridge.IPAM.Config[0].Subnet);
    expect(subnet.bits).toBeLessThanOrEqual(20);
    expect(routesBefore.some((r) => overlaps(r, subnet))).toBe(false);
    expect(linkExists(DEFAULT_BRIDGE)).toBe(true);
    expect(ctl.inspect('host').Driver).toBe('host');
    expect(ctl.inspect('none').Driver).toBe('null');
    expect(ctl.inspect(bridge.Id.slice(0, 12)).Name).toBe('bridge');
  });

  it('create validates like docker: 409 on a taken name, 400 on a bad subnet, 403 on overlap, 404 on unknown', async () => {
    const net = await ctl.create({ Name: USER_NET, IPAM: { Config: [{ Subnet: USER_SUBNET, Gateway: USER_GW }] }, Labels: { test: String(pid) } });
    expect(net.IPAM.Config).toEqual([{ Subnet: USER_SUBNET, Gateway: USER_GW }]);
    expect(linkExists(`br-${net.Id.slice(0, 12)}`)).toBe(true);
    devices.push(`br-${net.Id.slice(0, 12)}`);
    expect(ctl.list({ label: [`test=${pid}`] }).map((n) => n.Name)).toEqual([USER_NET]);
    await expect(ctl.create({ Name: USER_NET })).rejects.toMatchObject({ status: 409, message: `network with name ${USER_NET} already exists` });
    await expect(ctl.create({ Name: `${USER_NET}-x`, IPAM: { Config: [{ Subnet: '10.198.300.0/24' }] } })).rejects.toMatchObject({ status: 400 });
    await expect(ctl.create({ Name: `${USER_NET}-x`, IPAM: { Config: [{ Subnet: '10.197.0.0/24', Gateway: '10.196.0.1' }] } })).rejects.toMatchObject({ status: 400 });
    await expect(ctl.create({ Name: `${USER_NET}-x`, IPAM: { Config: [{ Subnet: USER_SUBNET }] } })).rejects.toMatchObject({ status: 403 });
    await expect(ctl.create({ Name: 'bad name!' })).rejects.toMatchObject({ status: 400 });
    expect(() => ctl.inspect('no-such-network')).toThrow(expect.objectContaining({ status: 404 }));
    await expect(ctl.remove('bridge')).rejects.toMatchObject({ status: 403 });
    expect(ctl.list().map((n) => n.Name)).toEqual(['bridge', 'host', 'none', USER_NET]);
  });

  it('two sandboxes on the user network reach each other; a published port answers on 127.0.0.1', async () => {
    const nsA = ctl.createSandbox(ids.a);
    const nsB = ctl.createSandbox(ids.b);
    expect(ctl.createSandbox(ids.a)).toBe(nsA); // idempotent
    expect(netnsExists(nsA)).toBe(true);
    const epA = await ctl.connect(ids.a, nsA, USER_NET, { name: '/web', aliases: ['web'] });
    const epB = await ctl.connect(ids.b, nsB, USER_NET, { name: 'client' });
    expect(epA.IPAddress).toMatch(new RegExp(`^10\\.198\\.${pid % 250}\\.`));
    expect(epA.Gateway).toBe(USER_GW);
    expect(epA.IPPrefixLen).toBe(24);
    expect(epA.MacAddress).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(pingFrom(nsA, epB.IPAddress)).toBe(true);
    expect(pingFrom(nsB, epA.IPAddress)).toBe(true);
    await expect(ctl.connect(ids.a, nsA, USER_NET)).rejects.toMatchObject({ status: 409 });

    // the default bridge as a second network (eth1), with one fixed and one random host port on 127.0.0.1
    const server = await serveInNetns(nsA, 8080, 'web\n');
    try {
      const fixed = 30000 + (pid % 20000);
      const ep = await ctl.connect(ids.a, nsA, 'bridge', { portBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: String(fixed) }, { HostIp: '127.0.0.1', HostPort: '' }] } });
      expect(parseCidr(ctl.inspect('bridge').IPAM.Config[0].Subnet)).toMatchObject({ bits: 16 });
      expect(ep.IPAddress).not.toBe('');
      const ports = ctl.publishedPorts(ids.a)['8080/tcp'];
      expect(ports[0]).toEqual({ HostIp: '127.0.0.1', HostPort: String(fixed) });
      const random = Number(ports[1].HostPort);
      expect(random).toBeGreaterThan(1024);
      expect(random).not.toBe(fixed);
      expect(await fetchTcp('127.0.0.1', fixed)).toBe('web\n');
      expect(await fetchTcp('127.0.0.1', random)).toBe('web\n');
      // the same host port again: docker's "port is already allocated"
      await expect(ctl.connect(ids.b, nsB, 'bridge', { portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(fixed) }] } })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/already allocated/) });
      expect(Object.keys(ctl.containerNetworks(ids.a)).sort()).toEqual(['bridge', USER_NET]);
    } finally {
      await server.stop();
    }
    // names: the embedded DNS server on the user network's gateway answers for names and aliases
    const etc = ctl.etcFiles(join(root, 'etc-b'), { hostname: 'client', ips: [epB.IPAddress], containerId: ids.b });
    expect(readFileSync(etc.resolvConf, 'utf8')).toBe(`nameserver ${USER_GW}\nsearch example.test\n`);
    const found = await inNetns(nsB, ['busybox', 'nslookup', 'web', USER_GW], { timeoutMs: 15_000 });
    expect(found.stdout).toContain(epA.IPAddress);
    const qualified = await inNetns(nsB, ['busybox', 'nslookup', `client.${USER_NET}`, USER_GW], { timeoutMs: 15_000 });
    expect(qualified.stdout).toContain(epB.IPAddress);
    const unknown = await inNetns(nsB, ['busybox', 'nslookup', 'no-such-container', USER_GW], { timeoutMs: 15_000 });
    expect(unknown.stdout + unknown.stderr).toMatch(/NXDOMAIN/);
    expect(unknown.code).not.toBe(0);
    // the default bridge has no embedded DNS (as in docker): resolv.conf is the host's, minus loopback
    const etcA = ctl.etcFiles(join(root, 'etc-a'), { hostname: 'web', ips: [epA.IPAddress], containerId: ids.a, dns: ['192.0.2.53'] });
    expect(readFileSync(etcA.resolvConf, 'utf8')).toBe('nameserver 192.0.2.53\nsearch example.test\n');

    const inspect = ctl.inspect(USER_NET);
    expect(Object.keys(inspect.Containers).sort()).toEqual([ids.a, ids.b].sort());
    expect(inspect.Containers[ids.a]).toMatchObject({ Name: 'web', IPv4Address: `${epA.IPAddress}/24` });
    await expect(ctl.remove(USER_NET)).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/has active endpoints/) });
  });

  it('a restarted controller on the same root knows its networks, endpoints and IP reservations', async () => {
    const before = ctl.inspect(USER_NET);
    ctl.close(); // the engine stops; its DNS port must be free for the next one
    ctl = new NetworkController(options());
    await ctl.init();
    const after = ctl.inspect(USER_NET);
    expect(after.Id).toBe(before.Id);
    expect(after.Containers).toEqual(before.Containers);
    expect(ctl.inspect('bridge').IPAM).toEqual(ctl.inspect('bridge').IPAM);
    const nsC = ctl.createSandbox(ids.c);
    const taken = Object.values(after.Containers).map((c) => c.IPv4Address.split('/')[0]);
    // --ip: an address host-local already gave to a or b is refused (the reservation survived the restart)
    await expect(ctl.connect(ids.c, nsC, USER_NET, { ipv4Address: taken[0] })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/host-local|not available|allocated/i) });
    await expect(ctl.connect(ids.c, nsC, 'bridge', { ipv4Address: taken[0] })).rejects.toMatchObject({ status: 400 });
    await expect(ctl.connect(ids.c, nsC, USER_NET, { ipv4Address: '192.0.2.9' })).rejects.toMatchObject({ status: 400 });
    const fixedIp = `10.198.${pid % 250}.100`;
    const epC = await ctl.connect(ids.c, nsC, USER_NET, { ipv4Address: fixedIp });
    expect(epC.IPAddress).toBe(fixedIp);
    expect(taken).not.toContain(epC.IPAddress);
    expect(ctl.inspect('default').Name).toBe('bridge'); // NetworkMode "default"
    expect(pingFrom(nsC, taken[0])).toBe(true);
    // the published port survived too (the rules are the kernel's; the table is ours)
    expect(ctl.publishedPorts(ids.a)['8080/tcp']).toHaveLength(2);
  });

  it('releaseSandbox disconnects everything and removes the netns, idempotently; then the network can go', async () => {
    const userNet = ctl.inspect(USER_NET);
    const userBridge = userNet.Options['com.docker.network.bridge.name'] ?? `br-${userNet.Id.slice(0, 12)}`;
    for (const id of Object.values(ids)) await ctl.releaseSandbox(id);
    for (const id of Object.values(ids)) await ctl.releaseSandbox(id); // again: nothing to do, no error
    for (const id of Object.values(ids)) {
      expect(existsSync(`/run/netns/strata-${id}`)).toBe(false);
      expect(iptablesLines(id)).toEqual([]);
    }
    expect(bridgePorts(userBridge)).toEqual([]);
    expect(bridgePorts(DEFAULT_BRIDGE)).toEqual([]);
    expect(reservedIps(join(root, 'network', 'ipam'), `strata-${userNet.Id.slice(0, 12)}`)).toEqual([]);
    expect(reservedIps(join(root, 'network', 'ipam'), `strata-${ctl.inspect('bridge').Id.slice(0, 12)}`)).toEqual([]);
    expect(ctl.inspect(USER_NET).Containers).toEqual({});
    await ctl.remove(USER_NET);
    expect(linkExists(`br-${userNet.Id.slice(0, 12)}`)).toBe(false);
    expect(() => ctl.inspect(USER_NET)).toThrow(expect.objectContaining({ status: 404 }));
  });

  it('host and none: no interfaces set up, and exclusive with other networks', async () => {
    const id = cid();
    ids.c = id; // released in afterAll
    const ns = ctl.createSandbox(id);
    const ep = await ctl.connect(id, ns, 'none');
    expect(ep.IPAddress).toBe('');
    expect(pingFrom(ns, '127.0.0.1')).toBe(true); // lo is up even on "none"
    await expect(ctl.connect(id, ns, 'bridge')).rejects.toMatchObject({ status: 409 });
    expect(Object.keys(ctl.inspect('none').Containers)).toEqual([id]);
    await ctl.releaseSandbox(id);
    expect(netnsExists(ns)).toBe(false);
  });

  it('prune removes unused user networks only, with their bridges', async () => {
    const n = await ctl.create({ Name: `${USER_NET}-p`, Labels: { prune: String(pid) } });
    devices.push(`br-${n.Id.slice(0, 12)}`);
    expect(linkExists(`br-${n.Id.slice(0, 12)}`)).toBe(true);
    expect(await ctl.prune({ label: [`prune=${pid}`] })).toEqual([`${USER_NET}-p`]);
    expect(linkExists(`br-${n.Id.slice(0, 12)}`)).toBe(false);
    expect(ctl.list().map((x) => x.Name)).toEqual(['bridge', 'host', 'none']);
  });

  it('opens FORWARD for its bridge like dockerd (a DROP policy must not cut containers off), and closes it on rm', async () => {
    const forwardRules = () => spawnSync('iptables', ['-w', '-S', 'STRATA-FORWARD'], { encoding: 'utf8' }).stdout.split('\n');
    const n = await ctl.create({ Name: `${USER_NET}-f` });
    const br = `br-${n.Id.slice(0, 12)}`;
    devices.push(br);
    const mine = () => forwardRules().filter((l) => l.includes(` ${br} `) || l.endsWith(` ${br}`));
    expect(mine()).toEqual([
      `-A STRATA-FORWARD -i ${br} -o ${br} -j ACCEPT`,
      `-A STRATA-FORWARD -i ${br} ! -o ${br} -j ACCEPT`,
      `-A STRATA-FORWARD -o ${br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ]);
    // After the isolation jump, so that crossing between networks is still dropped first.
    const fwd = spawnSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }).stdout.split('\n');
    expect(fwd.indexOf('-A FORWARD -j STRATA-ISOLATION-STAGE-1')).toBeGreaterThanOrEqual(0);
    expect(fwd.indexOf('-A FORWARD -j STRATA-FORWARD')).toBeGreaterThan(fwd.indexOf('-A FORWARD -j STRATA-ISOLATION-STAGE-1'));
    const internal = await ctl.create({ Name: `${USER_NET}-i`, Internal: true });
    const ibr = `br-${internal.Id.slice(0, 12)}`;
    devices.push(ibr);
    expect(forwardRules().filter((l) => l.includes(` ${ibr} `)).length).toBe(2); // no way out of an internal network
    await ctl.remove(n.Id);
    await ctl.remove(internal.Id);
    expect(mine()).toEqual([]);
    expect(forwardRules().filter((l) => l.includes(` ${ibr} `))).toEqual([]);
  });

  it('a create that fails half-way leaves no record, no rule and no device of its own behind', async () => {
    // The bridge name option points at a device that exists and is not a bridge (a veth made
    // here): create must refuse with 400, and must not delete a device it did not make.
    const veth = `sve${pid % 1000000}`;
    expect(spawnSync('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]).status).toBe(0);
    try {
      const before = ctl.list().length;
      const err = await ctl.create({ Name: `${USER_NET}-x`, Options: { 'com.docker.network.bridge.name': veth } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 400, message: `device ${veth} exists and is not a bridge` });
      expect(ctl.list().length).toBe(before);
      expect(ctl.list().some((n) => n.Name === `${USER_NET}-x`)).toBe(false);
      expect(linkExists(veth)).toBe(true);
      expect(iptablesLines(veth)).toEqual([]);
    } finally {
      spawnSync('ip', ['link', 'del', veth]);
    }
    expect(linkExists(veth)).toBe(false);
  });
});
