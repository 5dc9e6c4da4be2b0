// Pod networking through the real CNI plugins: two pods on the test's bridge reach each other,
// a pod's published port answers on 127.0.0.1, DNS config and hostname land in the pod,
// sysctls apply to the pod's namespace, and a host-network pod sees the host's interfaces.
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RuntimeHarness, ready, sh } from './runtimeHarness';

describe.skipIf(!ready)('CRI runtime service: networking', () => {
  const h = new RuntimeHarness();
  const pods: string[] = [];
  beforeAll(async () => {
    h.start();
    await h.service();
  }, 60_000);
  afterAll(async () => {
    await h.stop();
  });

  const pod = async (name: string, extra: Record<string, unknown> = {}, args = ['sleep', '300']) => {
    const cfg = h.podConfig(name, extra);
    const { podSandboxId } = await h.svc.RunPodSandbox({ config: cfg });
    pods.push(podSandboxId);
    const { containerId } = await h.svc.CreateContainer({ podSandboxId, config: h.containerConfig(`${name}-c`, args), sandboxConfig: cfg });
    await h.svc.StartContainer({ containerId });
    const ip = (await h.svc.PodSandboxStatus({ podSandboxId })).status.network!.ip;
    return { podSandboxId, containerId, ip };
  };

  it('two pods talk over the bridge; a published port is reached on 127.0.0.1; DNS, hostname and sysctls apply', async () => {
    const port = 20000 + (process.pid % 20000);
    const a = await pod('net-a', { dnsConfig: { servers: ['10.0.0.53'], searches: ['svc.example'], options: ['ndots:2'] }, linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' } } });
    const b = await pod('net-b', { portMappings: [{ protocol: 0, containerPort: 8080, hostPort: port, hostIp: '127.0.0.1' }] }, ['sh', '-c', 'while true; do echo pong-from-b | nc -l -p 8080; done']);
    expect(a.ip).not.toBe(b.ip);
    // a -> b over the bridge (ping and a TCP connection)
    expect((await sh(h.svc, a.containerId, `ping -c 1 -W 2 ${b.ip}`)).code).toBe(0);
    expect((await sh(h.svc, a.containerId, `nc ${b.ip} 8080 </dev/null`)).out).toBe('pong-from-b');
    // the pod's own files and sysctl
    const resolv = (await sh(h.svc, a.containerId, 'cat /etc/resolv.conf')).out;
    expect(resolv).toContain('nameserver 10.0.0.53');
    expect(resolv).toContain('search svc.example');
    expect(resolv).toContain('options ndots:2');
    expect((await sh(h.svc, a.containerId, 'hostname; cat /etc/hostname')).out).toBe('net-a\nnet-a');
    expect((await sh(h.svc, a.containerId, 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start')).out).toBe('80');
    // one /dev/shm per pod: a second container of pod a sees what the first wrote; pod b does not
    const { containerId: a2 } = await h.svc.CreateContainer({ podSandboxId: a.podSandboxId, config: h.containerConfig('net-a-2', ['sleep', '300']), sandboxConfig: h.podConfig('net-a') });
    await h.svc.StartContainer({ containerId: a2 });
    await sh(h.svc, a.containerId, 'echo shared > /dev/shm/pod-a');
    expect((await sh(h.svc, a2, 'cat /dev/shm/pod-a')).out).toBe('shared');
    expect((await sh(h.svc, b.containerId, 'ls /dev/shm')).out).toBe('');
    expect(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim()).not.toBe('80'); // not the host's
    // the published port, from the host, on loopback
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      let buf = '';
      s.on('data', (d) => (buf += d));
      s.on('end', () => resolve(buf.trim()));
      s.on('error', reject);
      s.end();
      setTimeout(() => reject(new Error('no answer on the published port')), 5_000).unref();
    });
    expect(got).toBe('pong-from-b');
    // a host-network pod sees the host's interfaces (our test bridge among them)
    const hn = await pod('net-host', { linux: { securityContext: { namespaceOptions: { network: 2 } } } });
    expect(hn.ip).toBe('');
    expect((await sh(h.svc, hn.containerId, 'cat /proc/net/dev')).out).toContain(`scri`);
    for (const id of [...pods]) await h.svc.RemovePodSandbox({ podSandboxId: id });
    expect(h.leaks(pods)).toEqual({ netns: [], veths: [], ips: [], portmapRules: [], managerContainers: '' });
  }, 90_000);

  it('refuses bad network requests without leaving anything behind', async () => {
    await expect(h.svc.RunPodSandbox({ config: h.podConfig('bad-port', { portMappings: [{ containerPort: 0, hostPort: 1 }] }) })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('port_mappings[0].container_port') });
    await expect(h.svc.RunPodSandbox({ config: h.podConfig('bad-sysctl', { linux: { sysctls: { 'kernel.hostname': 'x' } } }) })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('kernel.hostname') });
    await expect(h.svc.RunPodSandbox({ config: h.podConfig('host-net-sysctl', { linux: { sysctls: { 'net.ipv4.ip_forward': '1' }, securityContext: { namespaceOptions: { network: 2 } } } }) })).rejects.toMatchObject({ grpcCode: 3 });
    await expect(h.svc.RunPodSandbox({ config: h.podConfig('bad-handler'), runtimeHandler: 'nope' })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('runtime_handler') });
    await expect(h.svc.RunPodSandbox({ config: { metadata: { namespace: 'x' } } })).rejects.toMatchObject({ grpcCode: 3, message: expect.stringContaining('config.metadata.name') });
    expect((await h.svc.ListPodSandbox({})).items).toEqual([]);
    const all = fs.readdirSync('/run/netns').filter((x) => x.startsWith('cni-strata-'));
    expect(h.leaks(pods).ips).toEqual([]);
    expect(h.leaks(pods).managerContainers).toBe('');
    void all;
  }, 60_000);
});
