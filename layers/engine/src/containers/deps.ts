// What the container service needs from the engine's other parts, as small interfaces: the
// network controller (src/network), the volume store (src/volumes) and the event log
// (src/events). engine.ts passes the real ones; keeping the service to these few methods keeps
// the dependency visible and lets the service run with host/none networking alone.

/** The network side of a container (src/network's NetworkController). */
export interface ContainerNetworking {
  createSandbox(containerId: string): string | Promise<string>;
  connect(containerId: string, netnsPath: string, network: string, o: { portBindings?: Record<string, { HostIp?: string; HostPort?: string }[]>; aliases?: string[]; /** shown in `docker network inspect` */ name?: string }): Promise<{ NetworkID: string; EndpointID: string; IPAddress: string; IPPrefixLen: number; Gateway: string; MacAddress: string; Aliases?: string[] }>;
  releaseSandbox(containerId: string): Promise<void>;
  etcFiles(dir: string, o: { hostname: string; domainname?: string; ips: string[]; extraHosts?: string[]; dns?: string[]; dnsSearch?: string[]; dnsOptions?: string[]; hostNetwork?: boolean; /** lets a user-defined network's DNS server into resolv.conf */ containerId?: string }): { hosts: string; resolvConf: string; hostname: string };
  /** Host ports actually bound per container port (random ones resolved). */
  publishedPorts?(containerId: string): Record<string, { HostIp: string; HostPort: string }[]>;
  /** The network's record by id or name (404 when unknown). */
  inspect(idOrName: string): { Id: string; Name: string; Driver: string };
}

/** Named and anonymous volumes (src/volumes' VolumeStore). */
export interface ContainerVolumes {
  /** The volume (created when missing, as `docker run -v name:/dst` does) and its host directory. */
  acquire(name: string | undefined, containerId: string): Promise<{ Name: string; Mountpoint: string; Driver: string }>;
  /** The container no longer uses it; `remove` also deletes it when it is anonymous (rm -v, --rm). */
  release(name: string, containerId: string, o: { remove: boolean }): Promise<void>;
}

/** Docker's event stream (src/events' EngineEvents). */
export interface ContainerEvents {
  publish(e: { Type: 'container' | 'network'; Action: string; Actor: { ID: string; Attributes: Record<string, string> } }): void;
}

/** Image lookup by docker's rules and unpacking (src/images' ImageService). */
export interface ContainerImages {
  /** 404 "No such image: x" when unknown. */
  resolve(nameOrId: string): Promise<{ id: string; name?: string; target: any; config: { config?: any; rootfs: { diff_ids: string[] } } }>;
  /** The top chain id of the image's unpacked layers (unpacking them when needed). */
  ensureUnpacked(img: any): Promise<string>;
}
