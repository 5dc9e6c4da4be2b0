// Pod networking through CNI, in containerd's order (internal/cri/server/sandbox_run.go +
// go-cni): a new network namespace per pod, the loopback plugin ("lo") first, then the first
// network config list found in the conf dir (file name order, as libcni loads it) on "eth0".
// The kubelet's identity of the pod goes in CNI_ARGS, its port mappings and DNS in the runtime
// config's capability args (portmap reads portMappings). Teardown runs DEL in the reverse order
// with the very same list (kept in the sandbox record), then removes the namespace.
import fs from 'node:fs';
import { Cni, LOOPBACK, createNetns, loadConfLists, removeNetns, type CniResult, type NetworkConfigList, type PortMapping, type RuntimeConf } from '@strata/cni';
import { CriError, invalidField } from './errors';
import { Protocol, type PodSandboxConfig } from './types';

export interface PodNetwork {
  netns: string;
  network: NetworkConfigList;
  ip?: string;
  additionalIps: string[];
}

const PROTOCOLS: Record<number, PortMapping['protocol']> = { [Protocol.TCP]: 'tcp', [Protocol.UDP]: 'udp', [Protocol.SCTP]: 'sctp' };

export function portMappings(c: PodSandboxConfig): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [i, pm] of (c.portMappings ?? []).entries()) {
    const f = `config.port_mappings[${i}]`;
    const proto = PROTOCOLS[pm.protocol ?? 0];
    if (!proto) throw invalidField(`${f}.protocol`, `unknown value ${pm.protocol}`);
    if (!pm.containerPort || pm.containerPort < 1 || pm.containerPort > 65535) throw invalidField(`${f}.container_port`, `must be 1-65535 (got ${pm.containerPort ?? 0})`);
    const hostPort = pm.hostPort ?? 0;
    if (hostPort < 0 || hostPort > 65535) throw invalidField(`${f}.host_port`, `must be 0-65535 (got ${hostPort})`);
    if (hostPort === 0) continue; // containerd: no host port, nothing to map
    out.push({ hostPort, containerPort: pm.containerPort, protocol: proto, ...(pm.hostIp ? { hostIP: pm.hostIp } : {}) });
  }
  return out;
}

export class PodNetworking {
  readonly cni: Cni;
  constructor(readonly o: { binDirs: string[]; confDir: string; cacheDir?: string }) {
    this.cni = new Cni({ binDirs: o.binDirs, cacheDir: o.cacheDir });
  }

  /** The network pods are attached to: the first list in the conf dir (undefined: network not ready). */
  defaultNetwork(): NetworkConfigList | undefined {
    if (!fs.existsSync(this.o.confDir)) return undefined;
    return loadConfLists(this.o.confDir)[0];
  }

  private rt(id: string, netns: string, ifName: string, c: PodSandboxConfig, withCaps: boolean): RuntimeConf {
    const md = c.metadata ?? {};
    const rt: RuntimeConf = {
      containerId: id,
      netns,
      ifName,
      args: [
        ['IgnoreUnknown', '1'],
        ['K8S_POD_NAMESPACE', md.namespace ?? ''],
        ['K8S_POD_NAME', md.name ?? ''],
        ['K8S_POD_INFRA_CONTAINER_ID', id],
        ['K8S_POD_UID', md.uid ?? ''],
      ],
    };
    if (withCaps) {
      const dns = c.dnsConfig;
      rt.capabilityArgs = { portMappings: portMappings(c), ...(dns ? { dns: { servers: dns.servers ?? [], searches: dns.searches ?? [], options: dns.options ?? [] } } : {}) };
    }
    return rt;
  }

  /** Create the pod's netns and run ADD (loopback and the network); undone on failure. */
  async setUp(id: string, c: PodSandboxConfig): Promise<PodNetwork> {
    return this.attach(id, c, this.prepare(id, c));
  }

  /**
   * The first half of setUp: the network config and the pod's (empty) netns, so that the pause
   * container can be created in it while attach() runs the plugins (the sandbox's processes do
   * not need the network to start; RunPodSandbox waits for both before it answers).
   */
  prepare(id: string, c: PodSandboxConfig): { netns: string; network: NetworkConfigList } {
    const network = this.defaultNetwork();
    if (!network) throw new CriError('FAILED_PRECONDITION', `network not ready: no CNI network config in ${this.o.confDir}`);
    const mappings = portMappings(c); // validate before creating anything
    void mappings;
    return { netns: createNetns(`cni-strata-${id.slice(0, 24)}`), network };
  }

  /** The second half: ADD of loopback and of the network (at once: different interfaces); torn down on failure. */
  async attach(id: string, c: PodSandboxConfig, { netns, network }: { netns: string; network: NetworkConfigList }): Promise<PodNetwork> {
    let result: CniResult;
    try {
      [, result] = await Promise.all([this.cni.add(LOOPBACK, this.rt(id, netns, 'lo', c, false)), this.cni.add(network, this.rt(id, netns, 'eth0', c, true))]);
    } catch (e) {
      await this.tearDown(id, c, { netns, network }).catch(() => {});
      throw new CriError('INTERNAL', `pod ${id}: CNI ADD on network ${network.name} failed: ${(e as Error).message}`);
    }
    const ips = result.ips.filter((ip) => ip.interface === undefined || result.interfaces[ip.interface]?.name === 'eth0').map((ip) => ip.address.split('/')[0]);
    const v4 = ips.filter((a) => !a.includes(':'));
    const ordered = [...v4, ...ips.filter((a) => a.includes(':'))];
    return { netns, network, ip: ordered[0], additionalIps: ordered.slice(1) };
  }

  /** DEL in reverse (network, then loopback) and remove the netns; idempotent. */
  async tearDown(id: string, c: PodSandboxConfig, n: { netns: string; network: NetworkConfigList }): Promise<void> {
    const errors: string[] = [];
    await this.cni.del(n.network, this.rt(id, n.netns, 'eth0', c, true)).catch((e) => errors.push(String((e as Error).message)));
    await this.cni.del(LOOPBACK, this.rt(id, n.netns, 'lo', c, false)).catch((e) => errors.push(String((e as Error).message)));
    try {
      removeNetns(n.netns);
    } catch (e) {
      errors.push((e as Error).message);
    }
    if (errors.length) throw new CriError('INTERNAL', `pod ${id}: network teardown: ${errors.join('; ')}`);
  }
}

/** resolv.conf from the pod's DNS config (or the host's when none), hostname and hosts files. */
export function writePodFiles(dir: string, c: PodSandboxConfig, hostNetwork: boolean, ip: string | undefined): Record<string, string> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const resolv = `${dir}/resolv.conf`;
  const dns = c.dnsConfig;
  if (dns && (dns.servers?.length || dns.searches?.length || dns.options?.length)) {
    const lines: string[] = [];
    if (dns.searches?.length) lines.push(`search ${dns.searches.join(' ')}`);
    for (const s of dns.servers ?? []) lines.push(`nameserver ${s}`);
    if (dns.options?.length) lines.push(`options ${dns.options.join(' ')}`);
    fs.writeFileSync(resolv, `${lines.join('\n')}\n`, { mode: 0o644 });
  } else {
    fs.writeFileSync(resolv, fs.existsSync('/etc/resolv.conf') ? fs.readFileSync('/etc/resolv.conf') : '', { mode: 0o644 });
  }
  const hostname = hostNetwork ? fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim() : c.hostname || (c.metadata?.name ?? '');
  fs.writeFileSync(`${dir}/hostname`, `${hostname}\n`, { mode: 0o644 });
  const hosts = hostNetwork
    ? fs.readFileSync('/etc/hosts', 'utf8')
    : ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...(ip ? [`${ip}\t${hostname}`] : []), ''].join('\n');
  fs.writeFileSync(`${dir}/hosts`, hosts, { mode: 0o644 });
  return { '/etc/resolv.conf': resolv, '/etc/hostname': `${dir}/hostname`, '/etc/hosts': `${dir}/hosts` };
}
