// The cri-api v1 messages the runtime service reads and writes (k8s.io/cri-api
// pkg/apis/runtime/v1/api.proto), as the decoded objects of Strata's proto codec: snake_case
// fields in camelCase, enums as numbers, int64 as JS numbers (timestamps in nanoseconds). Only
// the fields this service uses are typed; everything is optional on the way in, because proto3
// omits defaults.

/** NamespaceMode: where a pod's or container's namespace comes from. */
export const NamespaceMode = { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } as const;
/** PodSandboxState */
export const SandboxState = { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } as const;
/** ContainerState */
export const ContainerState = { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 } as const;
/** MountPropagation */
export const Propagation = { PROPAGATION_PRIVATE: 0, PROPAGATION_HOST_TO_CONTAINER: 1, PROPAGATION_BIDIRECTIONAL: 2 } as const;
/** Protocol (of a PortMapping) */
export const Protocol = { TCP: 0, UDP: 1, SCTP: 2 } as const;
/** SecurityProfile.ProfileType */
export const ProfileType = { RuntimeDefault: 0, Unconfined: 1, Localhost: 2 } as const;

export interface Int64Value { value?: number }
export interface KeyValue { key?: string; value?: string }
export type Labels = Record<string, string>;

export interface PodSandboxMetadata { name?: string; uid?: string; namespace?: string; attempt?: number }
export interface ContainerMetadata { name?: string; attempt?: number }
export interface NamespaceOption { network?: number; pid?: number; ipc?: number; targetId?: string }
export interface SecurityProfile { profileType?: number; localhostRef?: string }
export interface DNSConfig { servers?: string[]; searches?: string[]; options?: string[] }
export interface PortMapping { protocol?: number; containerPort?: number; hostPort?: number; hostIp?: string }

export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  privileged?: boolean;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
  seccompProfilePath?: string;
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  hugepageLimits?: { pageSize?: string; limit?: number }[];
  unified?: Record<string, string>;
  memorySwapLimitInBytes?: number;
}

export interface PodSandboxConfig {
  metadata?: PodSandboxMetadata;
  hostname?: string;
  logDirectory?: string;
  dnsConfig?: DNSConfig;
  portMappings?: PortMapping[];
  labels?: Labels;
  annotations?: Labels;
  linux?: {
    cgroupParent?: string;
    securityContext?: LinuxSandboxSecurityContext;
    sysctls?: Record<string, string>;
    resources?: LinuxContainerResources;
    overhead?: LinuxContainerResources;
  };
}

export interface Capability { addCapabilities?: string[]; dropCapabilities?: string[]; addAmbientCapabilities?: string[] }

export interface LinuxContainerSecurityContext {
  capabilities?: Capability;
  privileged?: boolean;
  namespaceOptions?: NamespaceOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername?: string;
  readonlyRootfs?: boolean;
  supplementalGroups?: number[];
  apparmorProfile?: string;
  seccompProfilePath?: string;
  noNewPrivs?: boolean;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}

export interface Mount {
  containerPath?: string;
  hostPath?: string;
  readonly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: number;
}
export interface Device { containerPath?: string; hostPath?: string; permissions?: string }

export interface ContainerConfig {
  metadata?: ContainerMetadata;
  image?: { image?: string; annotations?: Labels; userSpecifiedImage?: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  envs?: KeyValue[];
  mounts?: Mount[];
  devices?: Device[];
  labels?: Labels;
  annotations?: Labels;
  logPath?: string;
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
}

export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata;
  state: number;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
  runtimeHandler: string;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: { ip: string }[] };
  linux?: { namespaces?: { options?: NamespaceOption } };
}

export interface Container {
  id: string;
  podSandboxId: string;
  metadata?: ContainerMetadata;
  image?: { image?: string };
  imageRef: string;
  state: number;
  createdAt: number;
  labels: Labels;
  annotations: Labels;
}

export interface ContainerStatus {
  id: string;
  metadata?: ContainerMetadata;
  state: number;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image?: { image?: string };
  imageRef: string;
  reason: string;
  message: string;
  labels: Labels;
  annotations: Labels;
  mounts: Mount[];
  logPath: string;
  resources?: { linux?: LinuxContainerResources };
}

export interface UInt64Value { value: number }
export interface CpuUsage { timestamp: number; usageCoreNanoSeconds?: UInt64Value; usageNanoCores?: UInt64Value }
export interface MemoryUsage {
  timestamp: number;
  workingSetBytes?: UInt64Value;
  availableBytes?: UInt64Value;
  usageBytes?: UInt64Value;
  rssBytes?: UInt64Value;
  pageFaults?: UInt64Value;
  majorPageFaults?: UInt64Value;
}
export interface FilesystemUsage { timestamp: number; fsId?: { mountpoint: string }; usedBytes?: UInt64Value; inodesUsed?: UInt64Value }
export interface ContainerAttributes { id: string; metadata?: ContainerMetadata; labels: Labels; annotations: Labels }
export interface ContainerStats { attributes: ContainerAttributes; cpu?: CpuUsage; memory?: MemoryUsage; writableLayer?: FilesystemUsage }
export interface PodSandboxStats {
  attributes: { id: string; metadata?: PodSandboxMetadata; labels: Labels; annotations: Labels };
  linux?: {
    cpu?: CpuUsage;
    memory?: MemoryUsage;
    network?: { timestamp: number; defaultInterface?: NetworkInterfaceUsage; interfaces: NetworkInterfaceUsage[] };
    process?: { timestamp: number; processCount?: UInt64Value };
    containers: ContainerStats[];
  };
}
export interface NetworkInterfaceUsage { name: string; rxBytes?: UInt64Value; rxErrors?: UInt64Value; txBytes?: UInt64Value; txErrors?: UInt64Value }

export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }
