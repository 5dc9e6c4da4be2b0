// The engine's networking after things went wrong, and the masquerading between networks:
//   - a controller that "crashed" (dropped without cleanup) is replaced by a new one on the same
//     root, which releases the sandboxes it finds: nothing may stay behind, even when the netns
//     itself was already deleted (the bridge plugin alone would leak its masquerade chain then);
//   - traffic leaving a network is masqueraded (ipMasq) to the host's address, bridge networks
//     are isolated from each other, and an Internal network has no way out.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, netnsExists, removeNetns } from '@strata/cni';
import { fetchTcp, fetchTcpFromNetns, havePlugins, haveTools, iptablesLines, isRoot, leftoverChains, linkExists, pingFrom, reservedIps, serveInNetns } from '@strata/cni/testing';
import { NetworkController } from '../src/network/index';

const pid = process.pid;
const ready = isRoot && havePlugins && haveTools;
const cid = () => randomBytes(32).toString('hex');
const third = pid % 250;

describe.skipIf(!ready)('NetworkController recovery, masquerade and isolation', () => {
  let root: string;
  let ctl: NetworkController;
  const used: string[] = [];
  const options = () => ({ root, execRoot: join(root, 'exec'), cniBinDirs: ['/usr/lib/cni'], bridge: 'none' });
  const devices: string[] = [];
  const nets: { id: string; name: string; cni: string }[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'strata-netrec-'));
    ctl = new NetworkController(options());
    await ctl.init();
    for (const [i, internal] of [[1, false], [2, false], [3, true]] as const) {
      const n = await ctl.create({ Name: `strata-nrec-${pid}-${i}`, Internal: internal, IPAM: { Config: [{ Subnet: `10.${190 + i}.${third}.0/24` }] } });
      nets.push({ id: n.Id, name: n.Name, cni: `strata-${n.Id.slice(0, 12)}` });
      devices.push(`br-${n.Id.slice(0, 12)}`);
    }
    expect(ctl.list().map((n) => n.Name)).not.toContain('bridge'); // --bridge=none
  });

  afterEach(async () => {
    for (const id of used.splice(0)) {
      await ctl.releaseSandbox(id);
      expect(iptablesLines(id)).toEqual([]);
      for (const n of nets) expect(leftoverChains(n.cni, id)).toEqual([]);
      expect(netnsExists(`/run/netns/strata-${id}`)).toBe(false);
    }
    for (const n of nets) expect(reservedIps(join(root, 'ipam'), n.cni)).toEqual([]);
  });

  afterAll(async () => {
    for (const n of nets) await ctl.remove(n.id).catch(() => undefined);
    ctl.close();
    for (const d of devices) expect(linkExists(d)).toBe(false);
    for (const d of devices) expect(iptablesLines(d)).toEqual([]); // isolation rules went with the networks
    rmSync(root, { recursive: true, force: true });
  });

  it('a new controller releases what a crashed one left: netns still there, and netns already gone', async () => {
    const [keep, gone] = [cid(), cid()];
    used.push(keep, gone);
    const port = 31000 + (pid % 20000);
    for (const id of [keep, gone]) {
      const ns = ctl.createSandbox(id);
      await ctl.connect(id, ns, nets[0].name, { portBindings: id === keep ? { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } : {} });
    }
    expect(iptablesLines(keep).length).toBeGreaterThan(0);
    expect(iptablesLines(gone).length).toBeGreaterThan(0);
    // crash: the old controller is dropped without any cleanup (close() only frees its DNS sockets,
    // which a dying process would free too); someone also deletes one netns behind our back
    ctl.close();
    execFileSync('ip', ['netns', 'delete', `strata-${gone}`]);
    ctl = new NetworkController(options());
    await ctl.init();
    expect(ctl.publishedPorts(keep)).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    // releaseSandbox runs in afterEach and checks iptables, chains, reservations and netns
  });

  it('a sandbox record without its netns (crash between record and `ip netns add`) is released cleanly', async () => {
    const id = cid();
    used.push(id);
    const ns = ctl.createSandbox(id);
    execFileSync('ip', ['netns', 'delete', `strata-${id}`]);
    expect(netnsExists(ns)).toBe(false);
    expect(ctl.createSandbox(id)).toBe(ns); // recreated on demand
    expect(netnsExists(ns)).toBe(true);
  });

  it('traffic leaving a network is masqueraded; other networks are isolated; an Internal network has no way out', async () => {
    // "the outside world": a namespace the test creates, reached from the host over a veth pair
    const outside = `strata-nrec-${pid}-out`;
    const hostIf = `sout${pid % 1000000}`;
    const outNs = createNetns(outside);
    try {
      execFileSync('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside]);
      execFileSync('ip', ['addr', 'add', `10.189.${third}.1/24`, 'dev', hostIf]);
      execFileSync('ip', ['link', 'set', hostIf, 'up']);
      execFileSync('ip', ['-n', outside, 'addr', 'add', `10.189.${third}.2/24`, 'dev', 'eth0']);
      execFileSync('ip', ['-n', outside, 'link', 'set', 'eth0', 'up']);
      const [x, y, z] = [cid(), cid(), cid()];
      used.push(x, y, z);
      const nsX = ctl.createSandbox(x);
      const nsY = ctl.createSandbox(y);
      const nsZ = ctl.createSandbox(z);
      await ctl.connect(x, nsX, nets[0].name);
      const epY = await ctl.connect(y, nsY, nets[1].name);
      const epZ = await ctl.connect(z, nsZ, nets[2].name);
      const server = await serveInNetns(outNs, 7000, null);
      try {
        // the outside sees the host's address on its link, never the container's
        expect(await fetchTcpFromNetns(nsX, `10.189.${third}.2`, 7000)).toBe(`10.189.${third}.1`);
        expect(await fetchTcpFromNetns(nsY, `10.189.${third}.2`, 7000)).toBe(`10.189.${third}.1`);
        // network 3 is Internal: no default route, no masquerade chain, no way out
        expect(execFileSync('ip', ['-n', `strata-${z}`, 'route'], { encoding: 'utf8' })).not.toMatch(/default/);
        expect(iptablesLines(z)).toEqual([]);
        await expect(fetchTcpFromNetns(nsZ, `10.189.${third}.2`, 7000)).rejects.toThrow();
      } finally {
        await server.stop();
      }
      // isolation: network 1 cannot reach network 2 (docker's DOCKER-ISOLATION), the host can
      expect(pingFrom(nsX, epY.IPAddress)).toBe(false);
      expect(pingFrom(nsY, epZ.IPAddress)).toBe(false);
      expect(await fetchTcp(epY.IPAddress, 7000).catch((e: Error) => e.message)).toMatch(/ECONNREFUSED/); // routed, refused: nothing listens
    } finally {
      spawnSync('ip', ['link', 'del', hostIf]);
      removeNetns(outNs);
    }
  });

  it('with iptables disabled (dockerd --iptables=false): no masquerade, no isolation rules, no port publishing', async () => {
    const plain = new NetworkController({ root: join(root, 'plain'), execRoot: join(root, 'plain-exec'), cniBinDirs: ['/usr/lib/cni'], bridge: 'none', iptables: false, embeddedDns: false });
    await plain.init();
    const n = await plain.create({ Name: `strata-nrec-${pid}-plain`, IPAM: { Config: [{ Subnet: `10.194.${third}.0/24` }] } });
    const device = `br-${n.Id.slice(0, 12)}`;
    try {
      expect(iptablesLines(device)).toEqual([]);
      const id = cid();
      const ns = plain.createSandbox(id);
      try {
        await expect(plain.connect(id, ns, n.Name, { portBindings: { '80/tcp': [{ HostPort: '' }] } })).rejects.toMatchObject({ status: 400 });
        const ep = await plain.connect(id, ns, n.Name);
        expect(ep.IPAddress).toMatch(new RegExp(`^10\\.194\\.${third}\\.`));
        expect(iptablesLines(id)).toEqual([]);
      } finally {
        await plain.releaseSandbox(id);
      }
      expect(netnsExists(ns)).toBe(false);
      expect(reservedIps(join(root, 'plain', 'ipam'), `strata-${n.Id.slice(0, 12)}`)).toEqual([]);
    } finally {
      await plain.remove(n.Id);
      plain.close();
    }
    expect(linkExists(device)).toBe(false);
  });
});
