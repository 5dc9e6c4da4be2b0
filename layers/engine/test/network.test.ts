// Pure logic of the engine's networking: subnets, port bindings, the /etc files.
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { portMappings, resolvConfFor, writeEtcFiles } from '../src/network/index';
import { EmbeddedDns, buildAnswer, parseQuery } from '../src/network/dns';
import { filterNetworks } from '../src/network/filters';
import type { NetworkRecord } from '../src/network/types';
import { allocateHostPorts } from '../src/network/ports';
import { firstFreeSubnet, formatCidr, overlaps, parseCidr } from '../src/network/subnets';

describe('subnets', () => {
  it('parses and normalises CIDRs; rejects garbage with status 400 naming the field', () => {
    expect(formatCidr(parseCidr('172.20.3.4/16'))).toBe('172.20.0.0/16');
    expect(() => parseCidr('172.20.0.0', 'IPAM.Config[0].Subnet')).toThrow(expect.objectContaining({ status: 400, message: expect.stringMatching(/IPAM.Config\[0\].Subnet/) }));
    for (const bad of ['300.1.1.1/8', '1.2.3/8', '1.2.3.4/33', '1.2.3.4/x', '01.2.3.4/8']) expect(() => parseCidr(bad)).toThrow(/invalid Subnet/);
  });
  it('overlap works both ways', () => {
    expect(overlaps(parseCidr('10.0.0.0/8'), parseCidr('10.1.2.0/24'))).toBe(true);
    expect(overlaps(parseCidr('10.1.2.0/24'), parseCidr('10.0.0.0/8'))).toBe(true);
    expect(overlaps(parseCidr('10.1.2.0/24'), parseCidr('10.1.3.0/24'))).toBe(false);
  });
  it('the first free pool skips taken ranges, starting at 172.18.0.0/16', () => {
    expect(formatCidr(firstFreeSubnet([])!)).toBe('172.18.0.0/16');
    expect(formatCidr(firstFreeSubnet([parseCidr('172.18.5.0/24'), parseCidr('172.19.0.0/16')])!)).toBe('172.20.0.0/16');
    expect(formatCidr(firstFreeSubnet([parseCidr('172.16.0.0/12')])!)).toBe('192.168.0.0/20');
    expect(firstFreeSubnet([parseCidr('0.0.0.0/0')])).toBeUndefined();
  });
});

describe('port bindings', () => {
  it('turns docker PortBindings into CNI portMappings', () => {
    expect(
      portMappings({
        '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '' }],
        '53/udp': [{ HostIp: '0.0.0.0', HostPort: '5353' }],
        '9000': [{ HostPort: '9000' }, { HostIp: '::', HostPort: '9000' }],
        '22/tcp': null,
      }),
    ).toEqual([
      { key: '9000/tcp', containerPort: 9000, protocol: 'tcp', hostPort: 9000, hostIP: '' }, // integer-like keys iterate first in JS
      { key: '80/tcp', containerPort: 80, protocol: 'tcp', hostPort: 8080, hostIP: '' },
      { key: '80/tcp', containerPort: 80, protocol: 'tcp', hostPort: 0, hostIP: '127.0.0.1' },
      { key: '53/udp', containerPort: 53, protocol: 'udp', hostPort: 5353, hostIP: '' },
    ]);
  });
  it('rejects bad keys, ports and addresses with 400', () => {
    expect(() => portMappings({ '80/icmp': [] })).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => portMappings({ '0/tcp': [] })).toThrow(/invalid port specification/);
    expect(() => portMappings({ '80/tcp': [{ HostPort: '70000' }] })).toThrow(/above 65535/);
    expect(() => portMappings({ '80/tcp': [{ HostPort: 'abc' }] })).toThrow(/invalid host port/);
    expect(() => portMappings({ '80/tcp': [{ HostIp: 'localhost', HostPort: '1' }] })).toThrow(/invalid IP address/);
  });
  it('allocates a free random port and refuses one already published (409)', async () => {
    const [p] = await allocateHostPorts(portMappings({ '80/tcp': [{ HostIp: '127.0.0.1' }] }), []);
    expect(p.hostPort).toBeGreaterThan(1024);
    const taken = { hostPort: 40001, containerPort: 80, protocol: 'tcp' as const, hostIP: '' };
    await expect(allocateHostPorts(portMappings({ '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '40001' }] }), [taken])).rejects.toMatchObject({ status: 409, message: 'Bind for 127.0.0.1:40001 failed: port is already allocated' });
    // same port, other protocol: fine
    await expect(allocateHostPorts(portMappings({ '81/udp': [{ HostPort: '40001' }] }), [taken])).resolves.toHaveLength(1);
  });
});

describe('/etc files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-etc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolv.conf drops loopback nameservers and falls back to 8.8.8.8/8.8.4.4 like docker', () => {
    expect(resolvConfFor('nameserver 127.0.0.53\noptions edns0\nsearch corp.example\n', {})).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch corp.example\noptions edns0\n');
    expect(resolvConfFor('nameserver 10.0.0.2\nnameserver 127.0.0.1\n', {})).toBe('nameserver 10.0.0.2\n');
    expect(resolvConfFor('nameserver 10.0.0.2\n', { dns: ['1.1.1.1'], dnsSearch: ['a.example'], dnsOptions: ['ndots:2'] })).toBe('nameserver 1.1.1.1\nsearch a.example\noptions ndots:2\n');
    expect(resolvConfFor('nameserver 127.0.0.53\n', { hostNetwork: true })).toBe('nameserver 127.0.0.53\n');
    expect(() => resolvConfFor('', { dns: ['not-an-ip'] })).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('writes hosts, resolv.conf and hostname', () => {
    const host = join(dir, 'host-resolv.conf');
    writeFileSync(host, 'nameserver 192.0.2.53\n');
    const p = writeEtcFiles(join(dir, 'c1'), { hostname: 'web', domainname: 'example.org', ips: ['172.18.0.2'], extraHosts: ['db:10.0.0.5'] }, { resolvConf: host, hosts: '/nonexistent' });
    const hosts = readFileSync(p.hosts, 'utf8');
    expect(hosts).toMatch(/^127\.0\.0\.1\tlocalhost\n/);
    expect(hosts).toContain('172.18.0.2\tweb.example.org\tweb\n');
    expect(hosts).toContain('10.0.0.5\tdb\n');
    expect(readFileSync(p.resolvConf, 'utf8')).toBe('nameserver 192.0.2.53\n');
    expect(readFileSync(p.hostname, 'utf8')).toBe('web\n');
  });

  it('rejects bad hostnames and extra hosts with 400', () => {
    expect(() => writeEtcFiles(join(dir, 'c2'), { hostname: 'bad name', ips: [] })).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => writeEtcFiles(join(dir, 'c2'), { hostname: 'ok', ips: [], extraHosts: ['nocolon'] })).toThrow(/invalid extra host/);
  });
});

describe('embedded DNS', () => {
  // a query for `name` type A, id 0x1234, RD set
  const query = (name: string, type = 1) => {
    const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
    const tail = Buffer.alloc(4);
    tail.writeUInt16BE(type, 0);
    tail.writeUInt16BE(1, 2);
    return Buffer.concat([Buffer.from('123401000001000000000000', 'hex'), ...labels, Buffer.from([0]), tail]);
  };
  const ask = (port: number, msg: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const s = createSocket('udp4');
      const t = setTimeout(() => (s.close(), reject(new Error('no DNS reply'))), 5000);
      s.on('message', (m) => (clearTimeout(t), s.close(), resolve(m)));
      s.send(msg, port, '127.0.0.1');
    });
  const freeUdpPort = () =>
    new Promise<number>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });

  it('parses a question and builds an A answer pointing back at it', () => {
    const q = parseQuery(query('Web.MyNet'))!;
    expect(q).toMatchObject({ id: 0x1234, rd: true, name: 'web.mynet', type: 1, cls: 1 });
    const a = buildAnswer(q, ['10.0.0.5']);
    expect(a.readUInt16BE(2) & 0x800f).toBe(0x8000); // a response, rcode 0
    expect(a.readUInt16BE(6)).toBe(1);
    expect([...a.subarray(a.length - 4)]).toEqual([10, 0, 0, 5]);
    expect(parseQuery(Buffer.from('1234', 'hex'))).toBeUndefined();
    expect(parseQuery(a)).toBeUndefined(); // a response is not a query
  });

  it('answers its names, relays the rest to the upstream, NXDOMAIN without one', async () => {
    // a fake upstream on loopback that answers everything with a fixed address
    const upstream = createSocket('udp4');
    await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', () => r()));
    upstream.on('message', (m, rinfo) => upstream.send(buildAnswer(parseQuery(m)!, ['192.0.2.7']), rinfo.port, rinfo.address));
    let upstreams = [`127.0.0.1:${upstream.address().port}`];
    const dns = new EmbeddedDns({ lookup: (id, name) => (id === 'n1' && name === 'db' ? ['10.1.0.3'] : undefined), upstreams: () => upstreams });
    const port = await freeUdpPort();
    try {
      expect(await dns.listen('n1', '127.0.0.1', port)).toBe(true);
      expect(await dns.listen('n2', '127.0.0.1', port)).toBe(false); // port taken: logged, not thrown
      const own = await ask(port, query('db'));
      expect([...own.subarray(own.length - 4)]).toEqual([10, 1, 0, 3]);
      expect(own.readUInt16BE(6)).toBe(1);
      const aaaa = await ask(port, query('db', 28));
      expect(aaaa.readUInt16BE(6)).toBe(0); // our name, no IPv6: empty NOERROR
      expect(aaaa.readUInt16BE(2) & 0xf).toBe(0);
      const relayed = await ask(port, query('example.org'));
      expect([...relayed.subarray(relayed.length - 4)]).toEqual([192, 0, 2, 7]);
      upstreams = [];
      const none = await ask(port, query('example.org'));
      expect(none.readUInt16BE(2) & 0xf).toBe(3);
    } finally {
      dns.close();
      upstream.close();
    }
  });
});

describe('network filters', () => {
  const rec = (Name: string, Id: string, Driver: NetworkRecord['Driver'], Labels: Record<string, string> = {}): NetworkRecord => ({
    Name, Id, Driver, Labels, Scope: 'local', Created: '', Internal: false, Attachable: false, EnableIPv6: false, Options: {}, IPAM: { Driver: 'default', Options: null, Config: [] },
  });
  const all = [rec('none', 'c3', 'null'), rec('bridge', 'a1', 'bridge'), rec('mynet', 'b2', 'bridge', { env: 'dev', team: 'x' }), rec('host', 'd4', 'host')];
  const names = (f: Record<string, string[]>) => filterNetworks([...all], f, ['bridge', 'host', 'none']).map((n) => n.Name);
  it('sorts by name and ANDs keys, ORs values (moby filters)', () => {
    expect(names({})).toEqual(['bridge', 'host', 'mynet', 'none']);
    expect(names({ driver: ['bridge'] })).toEqual(['bridge', 'mynet']);
    expect(names({ type: ['custom'] })).toEqual(['mynet']);
    expect(names({ type: ['builtin'], driver: ['bridge', 'host'] })).toEqual(['bridge', 'host']);
    expect(names({ name: ['net'] })).toEqual(['mynet']);
    expect(names({ id: ['c'] })).toEqual(['none']);
    expect(names({ label: ['env=dev'] })).toEqual(['mynet']);
    expect(names({ label: ['env=prod'] })).toEqual([]);
    expect(names({ label: ['team'] })).toEqual(['mynet']);
  });
});
