// The CRI v1 contract as one ProtoSchema (Strata's own .proto text in defs/), its two services,
// and the JavaScript shapes of the messages strata-cri and strata-crictl handle.
//
// Shapes follow the codec's rules (layers/shim/src/proto/codec.ts): snake_case fields become
// camelCase properties; enums are numbers (the constants below name them); int64 values are JS
// numbers (CRI times are nanoseconds since the epoch: 1.7e18 is above 2^53, so they keep
// microsecond precision, enough for display and ordering); decoded messages carry every scalar,
// list and map, and message-typed fields are undefined when absent.
import { ProtoSchema, type MessageType } from '@strata/shim/proto';
import { CRI_SERVICES_PROTO } from './defs/services';
import { CRI_COMMON_PROTO } from './defs/common';
import { CRI_POD_PROTO } from './defs/pod';
import { CRI_CONTAINER_PROTO } from './defs/container';
import { CRI_STATS_PROTO } from './defs/stats';
import { CRI_IMAGE_PROTO } from './defs/image';
import { CRI_STATUS_PROTO } from './defs/status';

/** cri-api keeps all of this in one file, pkg/apis/runtime/v1/api.proto; we split it by concept. */
export const CRI_PROTO_FILES: Record<string, string> = {
  'runtime/v1/services.proto': CRI_SERVICES_PROTO,
  'runtime/v1/common.proto': CRI_COMMON_PROTO,
  'runtime/v1/pod.proto': CRI_POD_PROTO,
  'runtime/v1/container.proto': CRI_CONTAINER_PROTO,
  'runtime/v1/stats.proto': CRI_STATS_PROTO,
  'runtime/v1/image.proto': CRI_IMAGE_PROTO,
  'runtime/v1/status.proto': CRI_STATUS_PROTO,
};

export const schema = new ProtoSchema();
for (const text of Object.values(CRI_PROTO_FILES)) schema.add(text);

export const RUNTIME_SERVICE = schema.service('runtime.v1.RuntimeService');
export const IMAGE_SERVICE = schema.service('runtime.v1.ImageService');
/** The CRI version string clients and servers exchange in Version. */
export const CRI_API_VERSION = 'v1';

export const criMessage = <T = any>(name: string): MessageType<T> => schema.message<T>(`runtime.v1.${name}`);

// --- enums -----------------------------------------------------------------------------------
export const PodSandboxState = { SANDBOX_READY: 0, SANDBOX_NOTREADY: 1 } as const;
export const ContainerState = { CONTAINER_CREATED: 0, CONTAINER_RUNNING: 1, CONTAINER_EXITED: 2, CONTAINER_UNKNOWN: 3 } as const;
export const Protocol = { TCP: 0, UDP: 1, SCTP: 2 } as const;
export const MountPropagation = { PROPAGATION_PRIVATE: 0, PROPAGATION_HOST_TO_CONTAINER: 1, PROPAGATION_BIDIRECTIONAL: 2 } as const;
export const NamespaceMode = { POD: 0, CONTAINER: 1, NODE: 2, TARGET: 3 } as const;
export const SecurityProfileType = { RuntimeDefault: 0, Unconfined: 1, Localhost: 2 } as const;
export const CgroupDriver = { SYSTEMD: 0, CGROUPFS: 1 } as const;
/** The condition types of Status that the kubelet requires. */
export const RUNTIME_READY = 'RuntimeReady';
export const NETWORK_READY = 'NetworkReady';

/** Enum number -> name, for printing (crictl prints SANDBOX_READY, CONTAINER_RUNNING...). */
export const enumName = (e: Record<string, number>, n: number): string => Object.entries(e).find(([, v]) => v === n)?.[0] ?? String(n);

// --- shared ----------------------------------------------------------------------------------
export interface Int64Value {
  value: number;
}
export interface KeyValue {
  key: string;
  value: string;
}
export interface PortMapping {
  protocol: number;
  containerPort: number;
  hostPort: number;
  hostIp: string;
}
export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}
export interface IDMapping {
  hostId: number;
  containerId: number;
  length: number;
}
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: number;
  uidMappings: IDMapping[];
  gidMappings: IDMapping[];
}
export interface NamespaceOption {
  network: number;
  pid: number;
  ipc: number;
  targetId: string;
  usernsOptions?: { mode: number; uids: IDMapping[]; gids: IDMapping[] };
}
export interface SecurityProfile {
  profileType: number;
  localhostRef: string;
}
export interface LinuxContainerResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: { pageSize: string; limit: number }[];
  unified: Record<string, string>;
  memorySwapLimitInBytes: number;
}
export interface SELinuxOption {
  user: string;
  role: string;
  type: string;
  level: string;
}

// --- version and status ---------------------------------------------------------------------
export interface VersionRequest {
  version: string;
}
export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}
export interface RuntimeCondition {
  type: string;
  status: boolean;
  reason: string;
  message: string;
}
export interface StatusRequest {
  verbose: boolean;
}
export interface StatusResponse {
  status?: { conditions: RuntimeCondition[] };
  info: Record<string, string>;
}
export interface UpdateRuntimeConfigRequest {
  runtimeConfig?: { networkConfig?: { podCidr: string } };
}
export interface RuntimeConfigResponse {
  linux?: { cgroupDriver: number };
}

// --- pods ------------------------------------------------------------------------------------
export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}
export interface LinuxSandboxSecurityContext {
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  privileged: boolean;
  seccompProfilePath: string;
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}
export interface LinuxPodSandboxConfig {
  cgroupParent: string;
  securityContext?: LinuxSandboxSecurityContext;
  sysctls: Record<string, string>;
  overhead?: LinuxContainerResources;
  resources?: LinuxContainerResources;
}
export interface PodSandboxConfig {
  metadata?: PodSandboxMetadata;
  hostname: string;
  logDirectory: string;
  dnsConfig?: DNSConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux?: LinuxPodSandboxConfig;
}
export interface RunPodSandboxRequest {
  config?: PodSandboxConfig;
  runtimeHandler: string;
}
export interface RunPodSandboxResponse {
  podSandboxId: string;
}
export interface PodSandboxIdRequest {
  podSandboxId: string;
}
export interface PodSandboxStatusRequest {
  podSandboxId: string;
  verbose: boolean;
}
export interface PodSandboxStatus {
  id: string;
  metadata?: PodSandboxMetadata;
  state: number;
  createdAt: number;
  network?: { ip: string; additionalIps: { ip: string }[] };
  linux?: { namespaces?: { options?: NamespaceOption } };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}
export interface PodSandboxStatusResponse {
  status?: PodSandboxStatus;
  info: Record<string, string>;
  containersStatuses: ContainerStatus[];
  timestamp: number;
}
export interface PodSandboxFilter {
  id: string;
  state?: { state: number };
  labelSelector: Record<string, string>;
}
export interface ListPodSandboxRequest {
  filter?: PodSandboxFilter;
}
export interface PodSandbox {
  id: string;
  metadata?: PodSandboxMetadata;
  state: number;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  runtimeHandler: string;
}
export interface ListPodSandboxResponse {
  items: PodSandbox[];
}

// --- containers ------------------------------------------------------------------------------
export interface ImageSpec {
  image: string;
  annotations: Record<string, string>;
  userSpecifiedImage: string;
  runtimeHandler: string;
}
export interface ContainerMetadata {
  name: string;
  attempt: number;
}
export interface LinuxContainerSecurityContext {
  capabilities?: { addCapabilities: string[]; dropCapabilities: string[]; addAmbientCapabilities: string[] };
  privileged: boolean;
  namespaceOptions?: NamespaceOption;
  selinuxOptions?: SELinuxOption;
  runAsUser?: Int64Value;
  runAsGroup?: Int64Value;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  apparmorProfile: string;
  seccompProfilePath: string;
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: SecurityProfile;
  apparmor?: SecurityProfile;
}
export interface ContainerConfig {
  metadata?: ContainerMetadata;
  image?: ImageSpec;
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: { containerPath: string; hostPath: string; permissions: string }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux?: { resources?: LinuxContainerResources; securityContext?: LinuxContainerSecurityContext };
  CDIDevices: { name: string }[];
}
export interface CreateContainerRequest {
  podSandboxId: string;
  config?: ContainerConfig;
  sandboxConfig?: PodSandboxConfig;
}
export interface CreateContainerResponse {
  containerId: string;
}
export interface ContainerIdRequest {
  containerId: string;
}
export interface StopContainerRequest {
  containerId: string;
  timeout: number;
}
export interface ContainerFilter {
  id: string;
  state?: { state: number };
  podSandboxId: string;
  labelSelector: Record<string, string>;
}
export interface ListContainersRequest {
  filter?: ContainerFilter;
}
export interface Container {
  id: string;
  podSandboxId: string;
  metadata?: ContainerMetadata;
  image?: ImageSpec;
  imageRef: string;
  state: number;
  createdAt: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
export interface ListContainersResponse {
  containers: Container[];
}
export interface ContainerStatusRequest {
  containerId: string;
  verbose: boolean;
}
export interface ContainerStatus {
  id: string;
  metadata?: ContainerMetadata;
  state: number;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  image?: ImageSpec;
  imageRef: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  mounts: Mount[];
  logPath: string;
  resources?: { linux?: LinuxContainerResources };
}
export interface ContainerStatusResponse {
  status?: ContainerStatus;
  info: Record<string, string>;
}
export interface ExecSyncRequest {
  containerId: string;
  cmd: string[];
  timeout: number;
}
export interface ExecSyncResponse {
  stdout: Uint8Array;
  stderr: Uint8Array;
  exitCode: number;
}
export interface ExecRequest {
  containerId: string;
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}
export interface AttachRequest {
  containerId: string;
  stdin: boolean;
  tty: boolean;
  stdout: boolean;
  stderr: boolean;
}
export interface PortForwardRequest {
  podSandboxId: string;
  port: number[];
}
export interface UrlResponse {
  url: string;
}

// --- stats -----------------------------------------------------------------------------------
export interface UInt64Value {
  value: number;
}
export interface FilesystemUsage {
  timestamp: number;
  fsId?: { mountpoint: string };
  usedBytes?: UInt64Value;
  inodesUsed?: UInt64Value;
}
export interface ContainerStats {
  attributes?: { id: string; metadata?: ContainerMetadata; labels: Record<string, string>; annotations: Record<string, string> };
  cpu?: { timestamp: number; usageCoreNanoSeconds?: UInt64Value; usageNanoCores?: UInt64Value };
  memory?: { timestamp: number; workingSetBytes?: UInt64Value; availableBytes?: UInt64Value; usageBytes?: UInt64Value; rssBytes?: UInt64Value; pageFaults?: UInt64Value; majorPageFaults?: UInt64Value };
  writableLayer?: FilesystemUsage;
  swap?: { timestamp: number; swapAvailableBytes?: UInt64Value; swapUsageBytes?: UInt64Value };
}
export interface ListContainerStatsRequest {
  filter?: { id: string; podSandboxId: string; labelSelector: Record<string, string> };
}
export interface ListContainerStatsResponse {
  stats: ContainerStats[];
}

// --- images ----------------------------------------------------------------------------------
export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  uid?: Int64Value;
  username: string;
  spec?: ImageSpec;
  pinned: boolean;
}
export interface ListImagesRequest {
  filter?: { image?: ImageSpec };
}
export interface ListImagesResponse {
  images: Image[];
}
export interface ImageStatusRequest {
  image?: ImageSpec;
  verbose: boolean;
}
export interface ImageStatusResponse {
  image?: Image;
  info: Record<string, string>;
}
export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  serverAddress: string;
  identityToken: string;
  registryToken: string;
}
export interface PullImageRequest {
  image?: ImageSpec;
  auth?: AuthConfig;
  sandboxConfig?: PodSandboxConfig;
}
export interface PullImageResponse {
  imageRef: string;
}
export interface RemoveImageRequest {
  image?: ImageSpec;
}
export interface ImageFsInfoResponse {
  imageFilesystems: FilesystemUsage[];
  containerFilesystems: FilesystemUsage[];
}
