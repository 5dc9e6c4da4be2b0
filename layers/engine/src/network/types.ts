// The Docker Engine API's network objects (API v1.47 "Network", "EndpointSettings",
// "NetworkCreateRequest"), field names as docker sends them so the docker CLI prints them unchanged.

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface IPAMConfig {
  Subnet: string;
  Gateway: string;
  IPRange?: string;
}

export interface NetworkRecord {
  Id: string;
  Name: string;
  Driver: NetworkDriver;
  Scope: 'local';
  Created: string;
  Internal: boolean;
  Attachable: boolean;
  EnableIPv6: false;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  IPAM: { Driver: 'default'; Options: Record<string, string> | null; Config: IPAMConfig[] };
}

/** One container's attachment to one network (docker's EndpointSettings, the fields Strata fills). */
export interface Endpoint {
  NetworkID: string;
  EndpointID: string;
  IPAddress: string;
  IPPrefixLen: number;
  Gateway: string;
  MacAddress: string;
  Aliases?: string[];
}

/** `docker network inspect`'s Containers map entry. */
export interface NetworkContainer {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** `docker network inspect`: the record plus the fields docker always prints (swarm-only ones constant here). */
export type NetworkInspect = NetworkRecord & { Containers: Record<string, NetworkContainer>; Ingress: false; ConfigFrom: { Network: string }; ConfigOnly: false };

/** POST /networks/create body (the parts a bridge driver uses). */
export interface NetworkCreateRequest {
  Name: string;
  Driver?: string;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  CheckDuplicate?: boolean;
  Options?: Record<string, string>;
  Labels?: Record<string, string>;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null };
}

/** docker's HostConfig.PortBindings: "80/tcp" -> [{HostIp, HostPort}]. */
export type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[] | null>;

/** docker network ls/prune filters, already decoded from the query's JSON: name, id, driver, label, type. */
export type NetworkFilters = Record<string, string[]>;

export interface ConnectOptions {
  portBindings?: PortBindings;
  aliases?: string[];
  /** The container's name, shown in `docker network inspect`. */
  name?: string;
  /** A fixed address (docker run --ip, EndpointSettings.IPAMConfig.IPv4Address); user-defined networks only. */
  ipv4Address?: string;
}

export interface EtcFilesOptions {
  hostname: string;
  domainname?: string;
  ips: string[];
  extraHosts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  hostNetwork?: boolean;
  /** The container the files are for: on a user-defined network its resolv.conf then points at the embedded DNS server. */
  containerId?: string;
}

export interface NetworkControllerOptions {
  /** <data-root>/network: networks and endpoints are persisted here. */
  root: string;
  /** <exec-root>: runtime-only state. */
  execRoot: string;
  cniBinDirs?: string[];
  /** Device of the default bridge network (dockerd --bridge); 'none' = no default "bridge" network. Default strata0. */
  bridge?: string;
  /** Subnet of the default bridge (dockerd --bip style); default 172.18.0.0/16 or the first free /16. */
  defaultSubnet?: string;
  /** Set up masquerade and port publishing rules (dockerd --iptables); default true. */
  iptables?: boolean;
  /** Where host-side files are read from (tests point this elsewhere); default /etc/resolv.conf. */
  hostResolvConf?: string;
  /** Run the embedded DNS server on user-defined networks (default true). */
  embeddedDns?: boolean;
  log?: (msg: string) => void;
}
