// A container as the engine keeps it: docker's inspect JSON (GET /containers/{id}/json), which is
// also what is persisted in <data-root>/containers/<id>/config.v2.json (dockerd keeps the same
// document there), plus a few private fields the engine needs to recover after a restart.
import type { ContainerState } from '../states';

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

export interface MountSpec {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  /** -v host:ctr creates a missing host directory; --mount type=bind refuses it. */
  CreateSource?: boolean;
}

export interface HostConfig {
  Binds?: string[] | null;
  Mounts?: MountSpec[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[]> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  ReadonlyRootfs?: boolean;
  ExtraHosts?: string[] | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpuShares?: number;
  PidsLimit?: number | null;
  Init?: boolean | null;
  ShmSize?: number;
  ConsoleSize?: [number, number];
  LogConfig?: { Type: string; Config: Record<string, string> };
  Runtime?: string;
  [k: string]: unknown;
}

export interface StateJson {
  Status: ContainerState;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface EndpointSettings {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
  Aliases?: string[] | null;
  [k: string]: unknown;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerRecord {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: StateJson;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null>; SandboxKey: string; Networks: Record<string, EndpointSettings>; [legacy: string]: unknown };
  /** Not in docker's JSON: engine bookkeeping, persisted for recovery. */
  Strata: {
    /** The image reference resolved at create (manager image name). */
    imageRef: string;
    snapshotter: string;
    /** The manager runtime (shim) name. */
    runtime: string;
    /** The OCI runtime binary of an --add-runtime runtime (sent as containerd.runc.v1.Options.binary_name). */
    runtimeBinary?: string;
    /** stop/kill by the user: restart policies do not restart it (docker's HasBeenManuallyStopped). */
    manuallyStopped: boolean;
    hasBeenStarted: boolean;
    /** Uid/gid resolved from the image's /etc/passwd at create (Config.User may be a name). */
    user?: { uid: number; gid: number; additionalGids?: number[] };
  };
}
