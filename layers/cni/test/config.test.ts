// Pure logic of @strata/cni: config loading and validation, the per-plugin stdin, result parsing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pluginConfig } from '../src/cni';
import { masqueradeChain } from '../src/bridgeMasq';
import { CniError, bridgeConfList, loadConfLists, parseConfList, parseResult, validateConfList } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'strata-cni-conf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadConfLists', () => {
  it('reads .conflist, .conf and .json in file-name order and wraps a single plugin into a list', () => {
    const d = join(dir, 'order');
    mkdirSync(d);
    writeFileSync(join(d, '20-b.conflist'), JSON.stringify({ cniVersion: '1.0.0', name: 'b', plugins: [{ type: 'bridge' }, { type: 'portmap', capabilities: { portMappings: true } }] }));
    writeFileSync(join(d, '10-a.conf'), JSON.stringify({ cniVersion: '0.4.0', name: 'a', type: 'bridge', bridge: 'cni0' }));
    writeFileSync(join(d, '30-c.json'), JSON.stringify({ cniVersion: '0.3.1', name: 'c', type: 'ptp' }));
    writeFileSync(join(d, 'README.md'), 'not a config');
    const lists = loadConfLists(d);
    expect(lists.map((l) => l.name)).toEqual(['a', 'b', 'c']);
    expect(lists[0]).toEqual({ cniVersion: '0.4.0', name: 'a', plugins: [{ cniVersion: '0.4.0', name: 'a', type: 'bridge', bridge: 'cni0' }] });
    expect(lists[1].plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
  });

  it('a missing dir is an empty list; a broken file names itself', () => {
    expect(loadConfLists(join(dir, 'nope'))).toEqual([]);
    const d = join(dir, 'broken');
    mkdirSync(d);
    writeFileSync(join(d, '10-x.conflist'), '{"name": ');
    expect(() => loadConfLists(d)).toThrow(new RegExp(`${d}/10-x.conflist: invalid JSON`));
  });
});

describe('validateConfList', () => {
  const ok = { cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'bridge' }] };
  const err = (v: unknown) => {
    try {
      validateConfList(v as never);
    } catch (e) {
      expect(e).toBeInstanceOf(CniError);
      return (e as Error).message;
    }
    throw new Error('expected a CniError');
  };
  it('accepts a good list', () => expect(validateConfList(ok)).toBe(ok));
  it('names the field that is wrong', () => {
    expect(err({ ...ok, name: '' })).toMatch(/\/name: must not be empty/);
    expect(err({ ...ok, name: 'a b' })).toMatch(/\/name "a b"/);
    expect(err({ ...ok, name: '../x' })).toMatch(/\/name/);
    expect(err({ ...ok, cniVersion: '9.9.9' })).toMatch(/\/cniVersion: "9.9.9" is not supported/);
    expect(err({ ...ok, plugins: [] })).toMatch(/\/plugins of net: must be a non-empty array/);
    expect(err({ ...ok, plugins: [{}] })).toMatch(/\/plugins\/0\/type: must be a non-empty string/);
    expect(err({ ...ok, plugins: [{ type: 'bridge' }, { type: '/bin/sh' }] })).toMatch(/\/plugins\/1\/type "\/bin\/sh": must be a plain file name/);
    expect(err({ ...ok, plugins: [{ type: 'portmap', capabilities: [] }] })).toMatch(/\/plugins\/0\/capabilities/);
    expect(err({ ...ok, disableCheck: 'yes' })).toMatch(/\/disableCheck/);
  });
  it('parseConfList reports a single-plugin config without type', () => {
    expect(() => parseConfList('{"cniVersion":"1.0.0","name":"x"}', 'f.conf')).toThrow(/f.conf: \/type/);
    expect(() => parseConfList('[1]', 'f.conf')).toThrow(/f.conf: must be a JSON object/);
  });
});

describe('pluginConfig (the stdin of one plugin)', () => {
  const net = { cniVersion: '1.0.0', name: 'net', plugins: [{ type: 'bridge', bridge: 'br0' }, { type: 'portmap', capabilities: { portMappings: true, bandwidth: false } }] };
  const rt = { containerId: 'c1', netns: '/run/netns/x', ifName: 'eth0', capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }], bandwidth: { ingressRate: 1 }, dns: { servers: ['1.1.1.1'] } } };
  it('injects name, cniVersion and prevResult; runtimeConfig only for capabilities the plugin asked for', () => {
    const first = pluginConfig(net, 0, rt);
    expect(first).toEqual({ type: 'bridge', bridge: 'br0', name: 'net', cniVersion: '1.0.0' });
    const prev = { cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }] };
    const second = pluginConfig(net, 1, rt, prev);
    expect(second.prevResult).toBe(prev);
    expect(second.runtimeConfig).toEqual({ portMappings: rt.capabilityArgs.portMappings });
  });
  it('no runtimeConfig key when nothing applies', () => {
    expect(pluginConfig(net, 1, { ...rt, capabilityArgs: {} })).not.toHaveProperty('runtimeConfig');
  });
});

describe('parseResult', () => {
  it('1.0.0 results pass through', () => {
    const r = parseResult({ cniVersion: '1.0.0', interfaces: [{ name: 'eth0', mac: 'aa:bb:cc:dd:ee:ff', sandbox: '/run/netns/x' }], ips: [{ address: '10.1.0.2/16', gateway: '10.1.0.1', interface: 0 }], routes: [{ dst: '0.0.0.0/0' }], dns: {} });
    expect(r.ips).toEqual([{ address: '10.1.0.2/16', gateway: '10.1.0.1', interface: 0 }]);
    expect(r.interfaces[0].sandbox).toBe('/run/netns/x');
  });
  it('0.4.0 results lose ips[].version', () => {
    const r = parseResult({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.1.0.2/16', gateway: '10.1.0.1', interface: 1 }] });
    expect(r).toEqual({ cniVersion: '0.4.0', interfaces: [], ips: [{ address: '10.1.0.2/16', gateway: '10.1.0.1', interface: 1 }], routes: [], dns: {} });
  });
  it('0.2.0 ip4/ip6 objects become ips and routes', () => {
    const r = parseResult({ cniVersion: '0.2.0', ip4: { ip: '10.1.0.2/16', gateway: '10.1.0.1', routes: [{ dst: '0.0.0.0/0' }] }, dns: { nameservers: ['10.1.0.1'] } });
    expect(r.ips).toEqual([{ address: '10.1.0.2/16', gateway: '10.1.0.1' }]);
    expect(r.routes).toEqual([{ dst: '0.0.0.0/0' }]);
    expect(r.dns.nameservers).toEqual(['10.1.0.1']);
  });
  it('rejects garbage naming the plugin', () => {
    expect(() => parseResult('x', 'bridge')).toThrow(/plugin bridge result/);
    expect(() => parseResult({ cniVersion: '1.0.0', ips: [{}] }, 'bridge')).toThrow(/\/ips\/0\/address/);
  });
});

describe('bridgeConfList', () => {
  it('builds bridge + host-local + portmap like containerd\'s default network', () => {
    const l = bridgeConfList({ name: 'n1', bridge: 'strata0', subnet: '10.5.0.0/16', gateway: '10.5.0.1', dataDir: '/x' });
    expect(l.plugins.map((p) => p.type)).toEqual(['bridge', 'portmap']);
    expect(l.plugins[0]).toMatchObject({ capabilities: { ips: true }, bridge: 'strata0', isGateway: true, ipMasq: true, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.5.0.0/16', gateway: '10.5.0.1' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: '/x' } });
    expect(l.plugins[1]).toEqual({ type: 'portmap', capabilities: { portMappings: true } });
  });
  it('an ipRange becomes host-local rangeStart/rangeEnd; options switch plugins off', () => {
    const l = bridgeConfList({ name: 'n1', bridge: 'b', subnet: '10.5.0.0/16', ipRange: '10.5.1.0/24', portMap: false, ipMasq: false, isDefaultGateway: false, firewall: true });
    expect((l.plugins[0].ipam as { ranges: unknown[][] }).ranges[0][0]).toEqual({ subnet: '10.5.0.0/16', rangeStart: '10.5.1.1', rangeEnd: '10.5.1.254' });
    expect(l.plugins[0].ipMasq).toBe(false);
    expect((l.plugins[0].ipam as { routes: unknown[] }).routes).toEqual([]);
    expect(l.plugins.map((p) => p.type)).toEqual(['bridge', 'firewall']);
  });
});

it('masqueradeChain matches the bridge plugin\'s chain naming (CNI- + 24 hex of sha512(net+id))', () => {
  expect(masqueradeChain('net', 'id')).toMatch(/^CNI-[0-9a-f]{24}$/);
  expect(masqueradeChain('net', 'id')).not.toBe(masqueradeChain('net', 'id2'));
});
