// Engine networking: docker's bridge/host/none networks on top of CNI plugins (@strata/cni).
//   types.ts        Docker API shapes (NetworkRecord, Endpoint, create request)
//   controller.ts   NetworkController: networks, sandboxes, connect/disconnect
//   store.ts        the on-disk state under <data-root>/network
//   subnets.ts      IPv4 CIDR arithmetic and docker's default address pools
//   ipam.ts         validating --subnet/--gateway/--ip-range, picking a free pool
//   filters.ts      docker network ls --filter
//   bridgeDevice.ts the Linux bridge of a network, made when the network is created
//   isolation.ts    STRATA-ISOLATION-STAGE-1/2: bridge networks cannot reach each other
//   ports.ts        PortBindings -> CNI portMappings, random free host ports
//   dns.ts          the embedded DNS server of user-defined networks (container names)
//   etcFiles.ts     /etc/hosts, /etc/resolv.conf, /etc/hostname for a container
// Design and the CNI-vs-own-netlink decision: ../../docs/networking.md
export type {
  NetworkDriver,
  IPAMConfig,
  NetworkRecord,
  Endpoint,
  NetworkContainer,
  NetworkInspect,
  NetworkCreateRequest,
  PortBindings,
  NetworkFilters,
  ConnectOptions,
  EtcFilesOptions,
  NetworkControllerOptions,
} from './types';
export { NetworkController, bridgeDeviceOf, BRIDGE_NAME_OPTION } from './controller';
export { portMappings, type PublishedPort } from './ports';
export { writeEtcFiles, resolvConfFor } from './etcFiles';
