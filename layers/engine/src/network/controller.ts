// NetworkController: docker's networks (libnetwork's controller + bridge driver) built on CNI.
// Every container gets a sandbox (a named netns); connecting it to a bridge network is one CNI
// ADD of that network's config list (bridge + host-local + portmap), disconnecting one DEL.
// Mutations run one at a time (a promise chain): port allocation and name checks then never race.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Cni, CniError, bridgeConfList, createNetns, netnsExists, removeNetns, type NetworkConfigList, type RuntimeConf } from '@strata/cni';
import { EngineError, conflict, invalidParam, notFound } from '../errors';
import { ensureBridge, deleteBridge, validateBridgeName } from './bridgeDevice';
import { EmbeddedDns } from './dns';
import { writeEtcFiles } from './etcFiles';
import { filterNetworks } from './filters';
import { freeSubnet, ipamConfig } from './ipam';
import { isolateBridge, unisolateBridge } from './isolation';
import { allocateHostPorts, portMappings } from './ports';
import { NetworkStore, cniName, type Attachment, type SandboxRecord } from './store';
import { contains, formatCidr, intToIp, ipToInt, isIPv4, parseCidr } from './subnets';
import type { ConnectOptions, Endpoint, EtcFilesOptions, NetworkContainer, NetworkControllerOptions, NetworkCreateRequest, NetworkFilters, NetworkInspect, NetworkRecord } from './types';

export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';
const MASQ_OPTION = 'com.docker.network.bridge.enable_ip_masquerade';
const MTU_OPTION = 'com.docker.network.driver.mtu';
const PREDEFINED = ['bridge', 'host', 'none'];
/** docker's restrictedNamePattern for network (and container) names. */
const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** docker's device naming: the bridge.name option if given, else br-<first 12 of the id>. */
export const bridgeDeviceOf = (n: NetworkRecord) => n.Options[BRIDGE_NAME_OPTION] ?? `br-${n.Id.slice(0, 12)}`;

/**
 * A plugin failure as the Docker API reports it: an address someone else holds is a conflict
 * (409, like docker's "Address already in use"), anything else an internal error (500) carrying
 * the plugin's own message, which names the plugin and what it refused.
 */
function asEngineError(e: unknown, what: string): unknown {
  if (!(e instanceof CniError)) return e;
  const busy = /not available|already (allocated|in use|reserved)/i.test(e.message);
  return new EngineError(busy ? 'conflict' : 'system', `${what}: ${e.message}`);
}

const forbidden = (msg: string) => new EngineError('forbidden', msg);
const newId = () => randomBytes(32).toString('hex');

export class NetworkController {
  private readonly networks = new Map<string, NetworkRecord>();
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private store?: NetworkStore;
  private cni?: Cni;
  private tail: Promise<unknown> = Promise.resolve();
  private readonly dns: EmbeddedDns;

  constructor(private readonly o: NetworkControllerOptions) {
    this.dns = new EmbeddedDns({ lookup: (id, name) => this.dnsLookup(id, name), upstreams: () => this.upstreams() }, o.log);
  }

  /** Stops the embedded DNS servers. Networks, sandboxes and their rules stay: they outlive the engine. */
  close(): void {
    this.dns.close();
  }

  /** Loads the persisted state and makes sure "bridge", "host" and "none" exist (and their devices). */
  async init(): Promise<void> {
    const store = new NetworkStore(this.o.root);
    this.store = store;
    this.cni = new Cni({ binDirs: this.o.cniBinDirs ?? ['/usr/lib/cni', '/opt/cni/bin'], cacheDir: store.cacheDir });
    for (const n of store.loadNetworks()) this.networks.set(n.Id, n);
    for (const s of store.loadSandboxes()) this.sandboxes.set(s.containerId, s);
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!this.byName(name)) this.save(this.record(name, driver as 'host' | 'null', [], {}));
    }
    const device = this.o.bridge ?? 'strata0';
    if (device !== 'none') {
      validateBridgeName(device);
      const existing = this.byName('bridge');
      if (!existing) {
        const subnet = this.o.defaultSubnet ? parseCidr(this.o.defaultSubnet, 'default bridge subnet') : freeSubnet([...this.networks.values()]);
        this.save(
          this.record('bridge', 'bridge', [{ Subnet: formatCidr(subnet), Gateway: intToIp(subnet.base + 1) }], {
            'com.docker.network.bridge.default_bridge': 'true',
            'com.docker.network.bridge.enable_icc': 'true',
            [MASQ_OPTION]: 'true',
            'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
            [BRIDGE_NAME_OPTION]: device,
            [MTU_OPTION]: '1500',
          }),
        );
      } else if (existing.Options[BRIDGE_NAME_OPTION] !== device) {
        this.save({ ...existing, Options: { ...existing.Options, [BRIDGE_NAME_OPTION]: device } });
      }
    }
    // After a reboot the devices are gone but the records are not: recreate them, as dockerd does at start.
    for (const n of this.networks.values()) if (n.Driver === 'bridge' && this.isActive(n)) this.ensureDevice(n);
    for (const n of this.networks.values()) await this.startDns(n);
  }

  // ---- networks ---------------------------------------------------------------------------

  list(filters: NetworkFilters = {}): NetworkRecord[] {
    return filterNetworks([...this.networks.values()].filter((n) => this.isActive(n)), filters, PREDEFINED).map((n) => structuredClone(n));
  }

  inspect(idOrName: string): NetworkInspect {
    const n = this.resolve(idOrName);
    const containers: Record<string, NetworkContainer> = {};
    for (const s of this.sandboxes.values()) {
      const a = s.attachments.find((x) => x.networkId === n.Id);
      if (!a) continue;
      containers[s.containerId] = {
        Name: s.name ?? s.containerId.slice(0, 12),
        EndpointID: a.endpoint.EndpointID,
        MacAddress: a.endpoint.MacAddress,
        IPv4Address: a.endpoint.IPAddress ? `${a.endpoint.IPAddress}/${a.endpoint.IPPrefixLen}` : '',
        IPv6Address: '',
      };
    }
    return { ...structuredClone(n), Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: containers };
  }

  /** `docker network create`: a user-defined bridge with its own device (br-<id12>) and subnet. */
  create(req: NetworkCreateRequest): Promise<NetworkRecord> {
    return this.serial(async () => {
      if (!req || typeof req.Name !== 'string' || !NETWORK_NAME.test(req.Name)) {
        throw invalidParam(`invalid network name ${JSON.stringify(req?.Name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (at least 2 characters)`);
      }
      if (this.byName(req.Name)) throw conflict(`network with name ${req.Name} already exists`);
      const driver = req.Driver || 'bridge';
      if (driver === 'host' || driver === 'null') throw forbidden(`only one instance of "${driver}" network is allowed`);
      if (driver !== 'bridge') throw notFound(`plugin "${driver}" not found`);
      if (req.EnableIPv6) throw invalidParam('EnableIPv6: IPv6 networks are not supported by Strata');
      if (req.IPAM?.Driver && req.IPAM.Driver !== 'default') throw invalidParam(`IPAM.Driver ${JSON.stringify(req.IPAM.Driver)}: only "default" is supported`);
      const configs = req.IPAM?.Config ?? [];
      if (configs.length > 1) throw invalidParam('IPAM.Config: Strata supports one IPv4 pool per network');
      const id = newId();
      const pool = ipamConfig(configs[0] ?? {}, [...this.networks.values()]);
      const options = { ...(req.Options ?? {}) };
      const device = options[BRIDGE_NAME_OPTION] ?? `br-${id.slice(0, 12)}`;
      validateBridgeName(device);
      for (const n of this.networks.values()) {
        if (n.Driver === 'bridge' && bridgeDeviceOf(n) === device) throw conflict(`bridge device ${device} is already used by network ${n.Name}`);
      }
      const rec = this.record(req.Name, 'bridge', [pool], options, id);
      rec.Internal = !!req.Internal;
      rec.Attachable = !!req.Attachable;
      rec.Labels = { ...(req.Labels ?? {}) };
      if (req.IPAM?.Options) rec.IPAM.Options = { ...req.IPAM.Options };
      try {
        this.ensureDevice(rec);
      } catch (e) {
        unisolateBridge(device); // half-made: take it all down again
        deleteBridge(device);
        throw e;
      }
      this.save(rec);
      await this.startDns(rec);
      return structuredClone(rec);
    });
  }

  /** `docker network rm`: refused for the predefined networks and while containers are attached. */
  remove(idOrName: string): Promise<void> {
    return this.serial(async () => {
      const n = this.resolve(idOrName);
      if (PREDEFINED.includes(n.Name)) throw forbidden(`${n.Name} is a pre-defined network and cannot be removed`);
      const users = [...this.sandboxes.values()].filter((s) => s.attachments.some((a) => a.networkId === n.Id));
      if (users.length > 0) {
        throw conflict(`error while removing network: network ${n.Name} id ${n.Id} has active endpoints (${users.map((s) => s.name ?? s.containerId.slice(0, 12)).join(', ')})`);
      }
      this.dns.stop(n.Id);
      if (n.Driver === 'bridge') {
        unisolateBridge(bridgeDeviceOf(n));
        deleteBridge(bridgeDeviceOf(n));
      }
      this.store!.deleteNetwork(n.Id);
      this.networks.delete(n.Id);
    });
  }

  /** `docker network prune`: removes the user-defined networks nobody is attached to; returns their names. */
  async prune(filters: NetworkFilters = {}): Promise<string[]> {
    const removed: string[] = [];
    for (const n of this.list(filters)) {
      if (PREDEFINED.includes(n.Name) || this.attachedTo(n.Id).length > 0) continue;
      await this.remove(n.Id);
      removed.push(n.Name);
    }
    return removed;
  }

  // ---- sandboxes --------------------------------------------------------------------------

  /**
   * A network namespace for the container (/run/netns/strata-<id>) with `lo` up, as every docker
   * container has even on network "none". Idempotent: an existing sandbox is returned as-is.
   * The record is written before the netns exists, so releaseSandbox finds it even after a crash
   * between the two.
   */
  createSandbox(containerId: string): string {
    this.assertInit();
    if (typeof containerId !== 'string' || !CONTAINER_ID.test(containerId)) throw invalidParam(`invalid container id ${JSON.stringify(containerId)}`);
    const existing = this.sandboxes.get(containerId);
    if (existing && netnsExists(existing.netns)) return existing.netns;
    const name = `strata-${containerId}`;
    const rec: SandboxRecord = existing ?? { containerId, netns: `/run/netns/${name}`, attachments: [] };
    this.sandboxes.set(containerId, rec);
    this.store!.saveSandbox(rec);
    removeNetns(name); // a stale, unmounted file left by a crash
    const path = createNetns(name);
    // the loopback plugin's job, done synchronously: `ip -n NAME` enters the netns in a child process
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'], { stdio: ['ignore', 'ignore', 'pipe'] });
    return path;
  }

  /** Attaches the sandbox to a network: a CNI ADD on bridges (veth eth<N>, IP, routes, published ports). */
  connect(containerId: string, netnsPath: string, network: string, o: ConnectOptions = {}): Promise<Endpoint> {
    return this.serial(async () => {
      const n = this.resolve(network);
      let sb = this.sandboxes.get(containerId);
      if (!sb) {
        if (!CONTAINER_ID.test(containerId)) throw invalidParam(`invalid container id ${JSON.stringify(containerId)}`);
        sb = { containerId, netns: netnsPath, attachments: [] };
      }
      if (sb.netns !== netnsPath && n.Driver === 'bridge') throw invalidParam(`container ${containerId}: sandbox is ${sb.netns}, not ${netnsPath}`);
      if (o.name) sb.name = o.name.replace(/^\//, '');
      if (sb.attachments.some((a) => a.networkId === n.Id)) throw conflict(`endpoint with name ${sb.name ?? containerId.slice(0, 12)} already exists in network ${n.Name}`);
      const exclusive = (id: string) => ['host', 'null'].includes(this.networks.get(id)?.Driver ?? '');
      if ((n.Driver !== 'bridge' && sb.attachments.length > 0) || sb.attachments.some((a) => exclusive(a.networkId))) {
        throw conflict(`container cannot be connected to network ${n.Name}: a container on "host" or "none" cannot be on any other network`);
      }
      const endpoint: Endpoint = { NetworkID: n.Id, EndpointID: newId(), IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '', Aliases: o.aliases ?? [] };
      this.sandboxes.set(containerId, sb);
      if (n.Driver === 'bridge') return structuredClone(await this.attachBridge(sb, n, endpoint, o));
      sb.attachments.push({ networkId: n.Id, ifName: '', endpoint, ports: [] });
      this.store!.saveSandbox(sb);
      return structuredClone(endpoint);
    });
  }

  disconnect(containerId: string, netnsPath: string, network: string): Promise<void> {
    return this.serial(async () => {
      const sb = this.sandboxes.get(containerId);
      const n = this.networks.get(network) ?? [...this.networks.values()].find((x) => x.Name === network || x.Id.startsWith(network));
      const a = n && sb?.attachments.find((x) => x.networkId === n.Id);
      if (!sb || !a) throw notFound(`container ${containerId} is not connected to network ${network}`);
      if (netnsPath && sb.netns !== netnsPath) throw invalidParam(`container ${containerId}: sandbox is ${sb.netns}, not ${netnsPath}`);
      await this.detach(sb, a);
      sb.attachments = sb.attachments.filter((x) => x !== a);
      this.store!.saveSandbox(sb);
    });
  }

  /**
   * Disconnects everything and removes the netns. Idempotent and crash-safe: each CNI DEL tolerates
   * work already undone, and if a DEL fails the record and netns stay so a later call can retry
   * (removing the netns first would leave the bridge plugin unable to find its masquerade rules).
   */
  releaseSandbox(containerId: string): Promise<void> {
    return this.serial(async () => {
      this.assertInit();
      if (!CONTAINER_ID.test(containerId)) throw invalidParam(`invalid container id ${JSON.stringify(containerId)}`);
      const sb = this.sandboxes.get(containerId);
      for (const a of [...(sb?.attachments ?? [])].reverse()) {
        await this.detach(sb!, a);
        sb!.attachments = sb!.attachments.filter((x) => x !== a);
        this.store!.saveSandbox(sb!);
      }
      const netns = sb?.netns ?? `/run/netns/strata-${containerId}`;
      if (netns.startsWith('/run/netns/strata-')) removeNetns(netns);
      this.store!.deleteSandbox(containerId);
      this.sandboxes.delete(containerId);
    });
  }

  /** Endpoints of a container by network name (docker's NetworkSettings.Networks). */
  containerNetworks(containerId: string): Record<string, Endpoint> {
    const out: Record<string, Endpoint> = {};
    for (const a of this.sandboxes.get(containerId)?.attachments ?? []) {
      out[this.networks.get(a.networkId)?.Name ?? a.networkId] = structuredClone(a.endpoint);
    }
    return out;
  }

  /** Published ports with the host ports actually chosen (docker's NetworkSettings.Ports). */
  publishedPorts(containerId: string): Record<string, { HostIp: string; HostPort: string }[]> {
    const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const a of this.sandboxes.get(containerId)?.attachments ?? []) {
      for (const p of a.ports) (out[p.key] ??= []).push({ HostIp: p.hostIP || '0.0.0.0', HostPort: String(p.hostPort) });
    }
    return out;
  }

  /** The netns path of a container's sandbox, if it has one. */
  sandboxPath(containerId: string): string | undefined {
    return this.sandboxes.get(containerId)?.netns;
  }

  /**
   * Writes the container's hosts/resolv.conf/hostname. With `containerId` of a container on a
   * user-defined network (and no --dns), resolv.conf names that network's embedded DNS server,
   * as docker's 127.0.0.11; search and options still come from the host or --dns-search/--dns-option.
   */
  etcFiles(dir: string, o: EtcFilesOptions): { hosts: string; resolvConf: string; hostname: string } {
    let opts = o;
    if (o.containerId && !o.dns?.length && !o.hostNetwork) {
      const a = this.sandboxes.get(o.containerId)?.attachments.find((x) => this.dns.serving(x.networkId));
      if (a) opts = { ...o, dns: [a.endpoint.Gateway] };
    }
    return writeEtcFiles(dir, opts, { resolvConf: this.hostResolvConf, hosts: '/etc/hosts' });
  }

  // ---- internals --------------------------------------------------------------------------

  private get hostResolvConf(): string {
    return this.o.hostResolvConf ?? '/etc/resolv.conf';
  }

  /** Docker gives user-defined networks name resolution, not the default bridge. */
  private async startDns(n: NetworkRecord): Promise<void> {
    if (this.o.embeddedDns === false || n.Driver !== 'bridge' || PREDEFINED.includes(n.Name) || !this.isActive(n)) return;
    await this.dns.listen(n.Id, n.IPAM.Config[0].Gateway);
  }

  /** Container name, aliases, or <name>.<network>, of an attached container with an address. */
  private dnsLookup(networkId: string, name: string): string[] | undefined {
    const network = this.networks.get(networkId)?.Name.toLowerCase();
    const ips: string[] = [];
    for (const s of this.sandboxes.values()) {
      const a = s.attachments.find((x) => x.networkId === networkId && x.endpoint.IPAddress);
      if (!a) continue;
      const names = [s.name, ...(a.endpoint.Aliases ?? [])].filter((x): x is string => !!x).map((x) => x.toLowerCase());
      if (names.some((x) => x === name || `${x}.${network}` === name)) ips.push(a.endpoint.IPAddress);
    }
    return ips.length ? ips : undefined;
  }

  /** The host's resolvers; the relay runs in the host's netns, so a 127.0.0.53 stub works here. */
  private upstreams(): string[] {
    let text = '';
    try {
      text = readFileSync(this.hostResolvConf, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((w) => w[0] === 'nameserver' && isIPv4(w[1] ?? ''))
      .map((w) => w[1]);
  }

  private async attachBridge(sb: SandboxRecord, n: NetworkRecord, endpoint: Endpoint, o: ConnectOptions): Promise<Endpoint> {
    const used = new Set(sb.attachments.map((a) => a.ifName));
    let ifName = '';
    for (let i = 0; i < 64 && !ifName; i++) if (!used.has(`eth${i}`)) ifName = `eth${i}`;
    const wanted = portMappings(o.portBindings);
    if (wanted.length > 0 && this.o.iptables === false) throw invalidParam('PortBindings: publishing ports needs iptables, and the engine runs with iptables disabled');
    const inUse = [...this.sandboxes.values()].flatMap((s) => s.attachments.flatMap((a) => a.ports));
    const ports = await allocateHostPorts(wanted, inUse);
    const cniConf = this.cniConf(n);
    const pool = parseCidr(n.IPAM.Config[0].Subnet);
    const capabilityArgs: RuntimeConf['capabilityArgs'] = { portMappings: ports.map(({ key: _k, ...p }) => p) };
    if (o.ipv4Address) {
      // docker: "user specified IP address is supported on user defined networks only"
      if (PREDEFINED.includes(n.Name)) throw invalidParam('user specified IP address is supported on user defined networks only');
      if (!isIPv4(o.ipv4Address) || !contains(pool, ipToInt(o.ipv4Address))) throw invalidParam(`invalid IPv4Address ${JSON.stringify(o.ipv4Address)}: not in subnet ${n.IPAM.Config[0].Subnet} of network ${n.Name}`);
      capabilityArgs.ips = [`${o.ipv4Address}/${pool.bits}`]; // host-local reserves exactly this one, or fails if taken
    }
    const rt = { containerId: sb.containerId, netns: sb.netns, ifName, capabilityArgs };
    // Intent first: if the engine dies during or right after ADD, releaseSandbox still finds this
    // attachment and runs its DEL (which is harmless if ADD never happened).
    const attachment: Attachment = { networkId: n.Id, ifName, endpoint, ports, cniConf };
    sb.attachments.push(attachment);
    this.store!.saveSandbox(sb);
    const forget = () => {
      sb.attachments = sb.attachments.filter((x) => x !== attachment);
      this.store!.saveSandbox(sb);
    };
    const result = await this.cni!.add(cniConf, rt).catch((e: unknown) => {
      forget(); // @strata/cni rolled the plugins back already
      throw asEngineError(e, `network ${n.Name}`);
    });
    const ifIndex = result.interfaces.findIndex((i) => i.name === ifName && i.sandbox);
    const ip = result.ips.find((x) => x.interface === ifIndex) ?? result.ips[0];
    if (!ip) {
      await this.cni!.del(cniConf, rt);
      forget();
      throw new EngineError('system', `network ${n.Name}: CNI ADD returned no IP address`);
    }
    const [address, bits] = ip.address.split('/');
    Object.assign(endpoint, { IPAddress: address, IPPrefixLen: Number(bits), Gateway: ip.gateway ?? '', MacAddress: result.interfaces[ifIndex]?.mac ?? '' });
    this.store!.saveSandbox(sb);
    return endpoint;
  }

  private async detach(sb: SandboxRecord, a: Attachment): Promise<void> {
    const n = this.networks.get(a.networkId);
    const conf = a.cniConf ?? (n?.Driver === 'bridge' ? this.cniConf(n) : undefined);
    if (!conf || !a.ifName) return; // host / none: nothing was set up
    await this.cni!.del(conf, { containerId: sb.containerId, netns: sb.netns, ifName: a.ifName, capabilityArgs: { portMappings: a.ports.map(({ key: _k, ...p }) => p) } }).catch((e: unknown) => {
      throw asEngineError(e, `network ${n?.Name ?? a.networkId}`);
    });
  }

  private cniConf(n: NetworkRecord): NetworkConfigList {
    const pool = n.IPAM.Config[0];
    const iptables = this.o.iptables !== false;
    const mtu = Number(n.Options[MTU_OPTION] ?? 0);
    return bridgeConfList({
      name: cniName(n.Id),
      bridge: bridgeDeviceOf(n),
      subnet: pool.Subnet,
      gateway: pool.Gateway,
      ipRange: pool.IPRange,
      dataDir: this.store!.ipamDir,
      portMap: iptables,
      ipMasq: iptables && !n.Internal && n.Options[MASQ_OPTION] !== 'false',
      isDefaultGateway: !n.Internal,
      hairpin: true,
      mtu: mtu > 0 ? mtu : undefined,
    });
  }

  private ensureDevice(n: NetworkRecord): void {
    const pool = n.IPAM.Config[0];
    ensureBridge(bridgeDeviceOf(n), pool.Gateway, parseCidr(pool.Subnet).bits);
    if (this.o.iptables !== false) isolateBridge(bridgeDeviceOf(n), n.Internal);
  }

  private record(name: string, driver: NetworkRecord['Driver'], config: NetworkRecord['IPAM']['Config'], options: Record<string, string>, id = newId()): NetworkRecord {
    return {
      Id: id,
      Name: name,
      Driver: driver,
      Scope: 'local',
      Created: new Date().toISOString(),
      Internal: false,
      Attachable: false,
      EnableIPv6: false,
      Options: options,
      Labels: {},
      IPAM: { Driver: 'default', Options: driver === 'bridge' ? {} : null, Config: config },
    };
  }

  private save(n: NetworkRecord): void {
    this.networks.set(n.Id, n);
    this.store!.saveNetwork(n);
  }

  /** The default "bridge" record stays on disk when the engine runs with --bridge=none, but is hidden. */
  private isActive(n: NetworkRecord): boolean {
    return !(n.Name === 'bridge' && n.Options['com.docker.network.bridge.default_bridge'] === 'true' && this.o.bridge === 'none');
  }

  private byName(name: string): NetworkRecord | undefined {
    return [...this.networks.values()].find((n) => n.Name === name && this.isActive(n));
  }

  /** docker's lookup order: full id, exact name, then a unique id prefix. */
  private resolve(idOrName: string): NetworkRecord {
    this.assertInit();
    const active = [...this.networks.values()].filter((n) => this.isActive(n));
    // HostConfig.NetworkMode "default" is the bridge network on Linux (moby runconfig)
    if (idOrName === 'default' && !active.some((n) => n.Name === 'default')) idOrName = 'bridge';
    const exact = active.find((n) => n.Id === idOrName) ?? active.find((n) => n.Name === idOrName);
    if (exact) return exact;
    const prefixed = idOrName ? active.filter((n) => n.Id.startsWith(idOrName)) : [];
    if (prefixed.length === 1) return prefixed[0];
    if (prefixed.length > 1) throw invalidParam(`network ${idOrName} is ambiguous (${prefixed.length} matches found based on ID prefix)`);
    throw notFound(`network ${idOrName} not found`);
  }

  private attachedTo(networkId: string): SandboxRecord[] {
    return [...this.sandboxes.values()].filter((s) => s.attachments.some((a) => a.networkId === networkId));
  }

  private assertInit(): void {
    if (!this.store) throw new EngineError('system', 'network controller: init() has not run');
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      this.assertInit();
      return fn();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}
