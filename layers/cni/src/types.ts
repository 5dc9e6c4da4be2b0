// The data a CNI runtime exchanges with plugins (CNI spec 1.0.0, SPEC.md "Network configuration",
// "Section 5: Result Types"). Field names follow the JSON on the wire so results pass through as-is.

/** One published port, as CNI's `portMappings` capability (CONVENTIONS.md) spells it. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  /** Host address to bind; empty/undefined = all addresses. */
  hostIP?: string;
}

/** A network configuration list (.conflist): plugins run in order on ADD, in reverse on DEL. */
export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
  disableCheck?: boolean;
}

export interface IPConfig {
  /** CIDR notation: the address and its prefix, e.g. 10.22.0.5/16. */
  address: string;
  gateway?: string;
  /** Index into CniResult.interfaces. */
  interface?: number;
}

export interface CniInterface {
  name: string;
  mac?: string;
  /** The netns path for interfaces inside the container; absent for host-side ones (veth peer, bridge). */
  sandbox?: string;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** The success result, normalised to the 1.0.0 shape whatever version the plugin answered in. */
export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: IPConfig[];
  routes: CniRoute[];
  dns: CniDns;
}

/** What a runtime knows about the container it attaches (libcni's RuntimeConf). */
export interface RuntimeConf {
  containerId: string;
  /** Path of the network namespace, e.g. /run/netns/cni-1234. */
  netns: string;
  /** Interface name inside the namespace, conventionally eth0. */
  ifName: string;
  /** Extra CNI_ARGS key/value pairs, e.g. K8S_POD_NAMESPACE. */
  args?: [string, string][];
  /** Values for plugins that declare `capabilities` (CONVENTIONS.md "Dynamic plugin specific fields"). */
  capabilityArgs?: {
    portMappings?: PortMapping[];
    dns?: { servers?: string[]; searches?: string[]; options?: string[] };
    ipRanges?: unknown;
    bandwidth?: unknown;
    [capability: string]: unknown;
  };
}
