// The CRI .proto text against the real one: every message and field of k8s.io/cri-api
// pkg/apis/runtime/v1/api.proto at tag v0.29.0 (read from the kubernetes/cri-api repository),
// as "field:type=number" (* = repeated; enum and map as kinds; messages by name). Strata's
// schema must have exactly these messages with exactly these fields, numbers and wire kinds,
// or a real crictl/kubelet would read garbage from strata-cri.
import { describe, expect, it } from 'vitest';
import { schema, RUNTIME_SERVICE, IMAGE_SERVICE, CRI_PROTO_FILES } from '../src/api/protos';
import { fromJson, toJson } from '../src/api/json';
import { decode, encode } from '@strata/shim/proto';

const CRI_API_V0_29_0 = `
  VersionRequest: version:string=1
  VersionResponse: version:string=1 runtime_name:string=2 runtime_version:string=3 runtime_api_version:string=4
  DNSConfig: servers:*string=1 searches:*string=2 options:*string=3
  PortMapping: protocol:enum=1 container_port:int32=2 host_port:int32=3 host_ip:string=4
  Mount: container_path:string=1 host_path:string=2 readonly:bool=3 selinux_relabel:bool=4 propagation:enum=5 uidMappings:*IDMapping=6 gidMappings:*IDMapping=7
  IDMapping: host_id:uint32=1 container_id:uint32=2 length:uint32=3
  UserNamespace: mode:enum=1 uids:*IDMapping=2 gids:*IDMapping=3
  NamespaceOption: network:enum=1 pid:enum=2 ipc:enum=3 target_id:string=4 userns_options:UserNamespace=5
  Int64Value: value:int64=1
  LinuxSandboxSecurityContext: namespace_options:NamespaceOption=1 selinux_options:SELinuxOption=2 run_as_user:Int64Value=3 run_as_group:Int64Value=8 readonly_rootfs:bool=4 supplemental_groups:*int64=5 privileged:bool=6 seccomp:SecurityProfile=9 apparmor:SecurityProfile=10 seccomp_profile_path:string=7
  SecurityProfile: profile_type:enum=1 localhost_ref:string=2
  LinuxPodSandboxConfig: cgroup_parent:string=1 security_context:LinuxSandboxSecurityContext=2 sysctls:map=3 overhead:LinuxContainerResources=4 resources:LinuxContainerResources=5
  PodSandboxMetadata: name:string=1 uid:string=2 namespace:string=3 attempt:uint32=4
  PodSandboxConfig: metadata:PodSandboxMetadata=1 hostname:string=2 log_directory:string=3 dns_config:DNSConfig=4 port_mappings:*PortMapping=5 labels:map=6 annotations:map=7 linux:LinuxPodSandboxConfig=8 windows:WindowsPodSandboxConfig=9
  RunPodSandboxRequest: config:PodSandboxConfig=1 runtime_handler:string=2
  RunPodSandboxResponse: pod_sandbox_id:string=1
  StopPodSandboxRequest: pod_sandbox_id:string=1
  StopPodSandboxResponse: 
  RemovePodSandboxRequest: pod_sandbox_id:string=1
  RemovePodSandboxResponse: 
  PodSandboxStatusRequest: pod_sandbox_id:string=1 verbose:bool=2
  PodIP: ip:string=1
  PodSandboxNetworkStatus: ip:string=1 additional_ips:*PodIP=2
  Namespace: options:NamespaceOption=2
  LinuxPodSandboxStatus: namespaces:Namespace=1
  PodSandboxStatus: id:string=1 metadata:PodSandboxMetadata=2 state:enum=3 created_at:int64=4 network:PodSandboxNetworkStatus=5 linux:LinuxPodSandboxStatus=6 labels:map=7 annotations:map=8 runtime_handler:string=9
  PodSandboxStatusResponse: status:PodSandboxStatus=1 info:map=2 containers_statuses:*ContainerStatus=3 timestamp:int64=4
  PodSandboxStateValue: state:enum=1
  PodSandboxFilter: id:string=1 state:PodSandboxStateValue=2 label_selector:map=3
  ListPodSandboxRequest: filter:PodSandboxFilter=1
  PodSandbox: id:string=1 metadata:PodSandboxMetadata=2 state:enum=3 created_at:int64=4 labels:map=5 annotations:map=6 runtime_handler:string=7
  ListPodSandboxResponse: items:*PodSandbox=1
  PodSandboxStatsRequest: pod_sandbox_id:string=1
  PodSandboxStatsResponse: stats:PodSandboxStats=1
  PodSandboxStatsFilter: id:string=1 label_selector:map=2
  ListPodSandboxStatsRequest: filter:PodSandboxStatsFilter=1
  ListPodSandboxStatsResponse: stats:*PodSandboxStats=1
  PodSandboxAttributes: id:string=1 metadata:PodSandboxMetadata=2 labels:map=3 annotations:map=4
  PodSandboxStats: attributes:PodSandboxAttributes=1 linux:LinuxPodSandboxStats=2 windows:WindowsPodSandboxStats=3
  LinuxPodSandboxStats: cpu:CpuUsage=1 memory:MemoryUsage=2 network:NetworkUsage=3 process:ProcessUsage=4 containers:*ContainerStats=5
  WindowsPodSandboxStats: cpu:WindowsCpuUsage=1 memory:WindowsMemoryUsage=2 network:WindowsNetworkUsage=3 process:WindowsProcessUsage=4 containers:*WindowsContainerStats=5
  NetworkUsage: timestamp:int64=1 default_interface:NetworkInterfaceUsage=2 interfaces:*NetworkInterfaceUsage=3
  WindowsNetworkUsage: timestamp:int64=1 default_interface:WindowsNetworkInterfaceUsage=2 interfaces:*WindowsNetworkInterfaceUsage=3
  NetworkInterfaceUsage: name:string=1 rx_bytes:UInt64Value=2 rx_errors:UInt64Value=3 tx_bytes:UInt64Value=4 tx_errors:UInt64Value=5
  WindowsNetworkInterfaceUsage: name:string=1 rx_bytes:UInt64Value=2 rx_packets_dropped:UInt64Value=3 tx_bytes:UInt64Value=4 tx_packets_dropped:UInt64Value=5
  ProcessUsage: timestamp:int64=1 process_count:UInt64Value=2
  WindowsProcessUsage: timestamp:int64=1 process_count:UInt64Value=2
  ImageSpec: image:string=1 annotations:map=2 user_specified_image:string=18 runtime_handler:string=19
  KeyValue: key:string=1 value:string=2
  LinuxContainerResources: cpu_period:int64=1 cpu_quota:int64=2 cpu_shares:int64=3 memory_limit_in_bytes:int64=4 oom_score_adj:int64=5 cpuset_cpus:string=6 cpuset_mems:string=7 hugepage_limits:*HugepageLimit=8 unified:map=9 memory_swap_limit_in_bytes:int64=10
  HugepageLimit: page_size:string=1 limit:uint64=2
  SELinuxOption: user:string=1 role:string=2 type:string=3 level:string=4
  Capability: add_capabilities:*string=1 drop_capabilities:*string=2 add_ambient_capabilities:*string=3
  LinuxContainerSecurityContext: capabilities:Capability=1 privileged:bool=2 namespace_options:NamespaceOption=3 selinux_options:SELinuxOption=4 run_as_user:Int64Value=5 run_as_group:Int64Value=12 run_as_username:string=6 readonly_rootfs:bool=7 supplemental_groups:*int64=8 no_new_privs:bool=11 masked_paths:*string=13 readonly_paths:*string=14 seccomp:SecurityProfile=15 apparmor:SecurityProfile=16 apparmor_profile:string=9 seccomp_profile_path:string=10
  LinuxContainerConfig: resources:LinuxContainerResources=1 security_context:LinuxContainerSecurityContext=2
  WindowsNamespaceOption: network:enum=1
  WindowsSandboxSecurityContext: run_as_username:string=1 credential_spec:string=2 host_process:bool=3 namespace_options:WindowsNamespaceOption=4
  WindowsPodSandboxConfig: security_context:WindowsSandboxSecurityContext=1
  WindowsContainerSecurityContext: run_as_username:string=1 credential_spec:string=2 host_process:bool=3
  WindowsContainerConfig: resources:WindowsContainerResources=1 security_context:WindowsContainerSecurityContext=2
  WindowsContainerResources: cpu_shares:int64=1 cpu_count:int64=2 cpu_maximum:int64=3 memory_limit_in_bytes:int64=4 rootfs_size_in_bytes:int64=5
  ContainerMetadata: name:string=1 attempt:uint32=2
  Device: container_path:string=1 host_path:string=2 permissions:string=3
  CDIDevice: name:string=1
  ContainerConfig: metadata:ContainerMetadata=1 image:ImageSpec=2 command:*string=3 args:*string=4 working_dir:string=5 envs:*KeyValue=6 mounts:*Mount=7 devices:*Device=8 labels:map=9 annotations:map=10 log_path:string=11 stdin:bool=12 stdin_once:bool=13 tty:bool=14 linux:LinuxContainerConfig=15 windows:WindowsContainerConfig=16 CDI_devices:*CDIDevice=17
  CreateContainerRequest: pod_sandbox_id:string=1 config:ContainerConfig=2 sandbox_config:PodSandboxConfig=3
  CreateContainerResponse: container_id:string=1
  StartContainerRequest: container_id:string=1
  StartContainerResponse: 
  StopContainerRequest: container_id:string=1 timeout:int64=2
  StopContainerResponse: 
  RemoveContainerRequest: container_id:string=1
  RemoveContainerResponse: 
  ContainerStateValue: state:enum=1
  ContainerFilter: id:string=1 state:ContainerStateValue=2 pod_sandbox_id:string=3 label_selector:map=4
  ListContainersRequest: filter:ContainerFilter=1
  Container: id:string=1 pod_sandbox_id:string=2 metadata:ContainerMetadata=3 image:ImageSpec=4 image_ref:string=5 state:enum=6 created_at:int64=7 labels:map=8 annotations:map=9
  ListContainersResponse: containers:*Container=1
  ContainerStatusRequest: container_id:string=1 verbose:bool=2
  ContainerStatus: id:string=1 metadata:ContainerMetadata=2 state:enum=3 created_at:int64=4 started_at:int64=5 finished_at:int64=6 exit_code:int32=7 image:ImageSpec=8 image_ref:string=9 reason:string=10 message:string=11 labels:map=12 annotations:map=13 mounts:*Mount=14 log_path:string=15 resources:ContainerResources=16
  ContainerStatusResponse: status:ContainerStatus=1 info:map=2
  ContainerResources: linux:LinuxContainerResources=1 windows:WindowsContainerResources=2
  UpdateContainerResourcesRequest: container_id:string=1 linux:LinuxContainerResources=2 windows:WindowsContainerResources=3 annotations:map=4
  UpdateContainerResourcesResponse: 
  ExecSyncRequest: container_id:string=1 cmd:*string=2 timeout:int64=3
  ExecSyncResponse: stdout:bytes=1 stderr:bytes=2 exit_code:int32=3
  ExecRequest: container_id:string=1 cmd:*string=2 tty:bool=3 stdin:bool=4 stdout:bool=5 stderr:bool=6
  ExecResponse: url:string=1
  AttachRequest: container_id:string=1 stdin:bool=2 tty:bool=3 stdout:bool=4 stderr:bool=5
  AttachResponse: url:string=1
  PortForwardRequest: pod_sandbox_id:string=1 port:*int32=2
  PortForwardResponse: url:string=1
  ImageFilter: image:ImageSpec=1
  ListImagesRequest: filter:ImageFilter=1
  Image: id:string=1 repo_tags:*string=2 repo_digests:*string=3 size:uint64=4 uid:Int64Value=5 username:string=6 spec:ImageSpec=7 pinned:bool=8
  ListImagesResponse: images:*Image=1
  ImageStatusRequest: image:ImageSpec=1 verbose:bool=2
  ImageStatusResponse: image:Image=1 info:map=2
  AuthConfig: username:string=1 password:string=2 auth:string=3 server_address:string=4 identity_token:string=5 registry_token:string=6
  PullImageRequest: image:ImageSpec=1 auth:AuthConfig=2 sandbox_config:PodSandboxConfig=3
  PullImageResponse: image_ref:string=1
  RemoveImageRequest: image:ImageSpec=1
  RemoveImageResponse: 
  NetworkConfig: pod_cidr:string=1
  RuntimeConfig: network_config:NetworkConfig=1
  UpdateRuntimeConfigRequest: runtime_config:RuntimeConfig=1
  UpdateRuntimeConfigResponse: 
  RuntimeCondition: type:string=1 status:bool=2 reason:string=3 message:string=4
  RuntimeStatus: conditions:*RuntimeCondition=1
  StatusRequest: verbose:bool=1
  StatusResponse: status:RuntimeStatus=1 info:map=2
  ImageFsInfoRequest: 
  UInt64Value: value:uint64=1
  FilesystemIdentifier: mountpoint:string=1
  FilesystemUsage: timestamp:int64=1 fs_id:FilesystemIdentifier=2 used_bytes:UInt64Value=3 inodes_used:UInt64Value=4
  WindowsFilesystemUsage: timestamp:int64=1 fs_id:FilesystemIdentifier=2 used_bytes:UInt64Value=3
  ImageFsInfoResponse: image_filesystems:*FilesystemUsage=1 container_filesystems:*FilesystemUsage=2
  ContainerStatsRequest: container_id:string=1
  ContainerStatsResponse: stats:ContainerStats=1
  ListContainerStatsRequest: filter:ContainerStatsFilter=1
  ContainerStatsFilter: id:string=1 pod_sandbox_id:string=2 label_selector:map=3
  ListContainerStatsResponse: stats:*ContainerStats=1
  ContainerAttributes: id:string=1 metadata:ContainerMetadata=2 labels:map=3 annotations:map=4
  ContainerStats: attributes:ContainerAttributes=1 cpu:CpuUsage=2 memory:MemoryUsage=3 writable_layer:FilesystemUsage=4 swap:SwapUsage=5
  WindowsContainerStats: attributes:ContainerAttributes=1 cpu:WindowsCpuUsage=2 memory:WindowsMemoryUsage=3 writable_layer:WindowsFilesystemUsage=4
  CpuUsage: timestamp:int64=1 usage_core_nano_seconds:UInt64Value=2 usage_nano_cores:UInt64Value=3
  WindowsCpuUsage: timestamp:int64=1 usage_core_nano_seconds:UInt64Value=2 usage_nano_cores:UInt64Value=3
  MemoryUsage: timestamp:int64=1 working_set_bytes:UInt64Value=2 available_bytes:UInt64Value=3 usage_bytes:UInt64Value=4 rss_bytes:UInt64Value=5 page_faults:UInt64Value=6 major_page_faults:UInt64Value=7
  SwapUsage: timestamp:int64=1 swap_available_bytes:UInt64Value=2 swap_usage_bytes:UInt64Value=3
  WindowsMemoryUsage: timestamp:int64=1 working_set_bytes:UInt64Value=2 available_bytes:UInt64Value=3 page_faults:UInt64Value=4 commit_memory_bytes:UInt64Value=5
  ReopenContainerLogRequest: container_id:string=1
  ReopenContainerLogResponse: 
  CheckpointContainerRequest: container_id:string=1 location:string=2 timeout:int64=3
  CheckpointContainerResponse: 
  GetEventsRequest: 
  ContainerEventResponse: container_id:string=1 container_event_type:enum=2 created_at:int64=3 pod_sandbox_status:PodSandboxStatus=4 containers_statuses:*ContainerStatus=5
  ListMetricDescriptorsRequest: 
  ListMetricDescriptorsResponse: descriptors:*MetricDescriptor=1
  MetricDescriptor: name:string=1 help:string=2 label_keys:*string=3
  ListPodSandboxMetricsRequest: 
  ListPodSandboxMetricsResponse: pod_metrics:*PodSandboxMetrics=1
  PodSandboxMetrics: pod_sandbox_id:string=1 metrics:*Metric=2 container_metrics:*ContainerMetrics=3
  ContainerMetrics: container_id:string=1 metrics:*Metric=2
  Metric: name:string=1 timestamp:int64=2 metric_type:enum=3 label_values:*string=4 value:UInt64Value=5
  RuntimeConfigRequest: 
  RuntimeConfigResponse: linux:LinuxRuntimeConfiguration=1
  LinuxRuntimeConfiguration: cgroup_driver:enum=1
`;

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function kindOf(f: { type: unknown; map?: unknown }): string {
  if (f.map) return 'map';
  if (typeof f.type === 'object') return (f.type as { fullName: string }).fullName.replace(/^runtime\.v1\./, '');
  return f.type as string;
}

describe('CRI v1 proto text', () => {
  const expected = CRI_API_V0_29_0.trim()
    .split('\n')
    .map((l) => {
      const [name, rest] = l.trim().split(': ');
      return { name: name.replace(/:$/, ''), fields: (rest ?? '').split(' ').filter(Boolean) };
    });

  it('has every message of cri-api v0.29.0 and no other', () => {
    const ours = schema.messageNames().filter((n) => n.startsWith('runtime.v1.')).map((n) => n.slice(11)).sort();
    expect(ours).toEqual(expected.map((m) => m.name).sort());
  });

  for (const m of expected) {
    it(`${m.name}: field numbers, names and kinds`, () => {
      const t = schema.message(`runtime.v1.${m.name}`);
      const ours = t.fields.map((f) => `${f.name}:${f.repeated ? '*' : ''}${kindOf(f)}=${f.no}`).sort();
      const theirs = m.fields
        .map((s) => {
          const [, name, star, kind, no] = /^(\w+):(\*?)([\w.]+)=(\d+)$/.exec(s)!;
          return `${camel(name)}:${star}${kind}=${no}`;
        })
        .sort();
      expect(ours).toEqual(theirs);
    });
  }

  it('serves the RPCs of both services (29 runtime, 5 image)', () => {
    expect(Object.keys(RUNTIME_SERVICE.methods)).toHaveLength(29);
    expect(Object.keys(IMAGE_SERVICE.methods).sort()).toEqual(['ImageFsInfo', 'ImageStatus', 'ListImages', 'PullImage', 'RemoveImage']);
    expect(RUNTIME_SERVICE.methods.GetContainerEvents.serverStream).toBe(true);
    expect(RUNTIME_SERVICE.methods.RunPodSandbox.input.fullName).toBe('runtime.v1.RunPodSandboxRequest');
  });

  it('is Strata text: no gogoproto imports, no copied licence header', () => {
    for (const text of Object.values(CRI_PROTO_FILES)) {
      expect(text).not.toMatch(/gogoproto|Licensed under|Copyright/);
    }
  });
});

describe('wire', () => {
  it('encodes a PodSandboxConfig to the bytes protobuf expects', () => {
    const t = schema.message('runtime.v1.PodSandboxConfig');
    // metadata (1) {name (1) "p"}, hostname (2) "h", port_mappings (5) {container_port (2) 80}
    const bytes = encode(t, { metadata: { name: 'p' }, hostname: 'h', portMappings: [{ containerPort: 80 }] });
    expect(Buffer.from(bytes).toString('hex')).toBe('0a030a0170' + '120168' + '2a021050');
    const back = decode(t, bytes);
    expect(back.metadata.name).toBe('p');
    expect(back.portMappings[0].containerPort).toBe(80);
  });

  it('packs repeated int64 (supplemental_groups) and reads unpacked too', () => {
    const t = schema.message('runtime.v1.LinuxContainerSecurityContext');
    const bytes = encode(t, { supplementalGroups: [1, 2, 300] });
    expect(Buffer.from(bytes).toString('hex')).toBe('4204' + '0102ac02');
    // one value per field (an older writer): tag (8 << 3 | 0) = 0x40
    expect(decode(t, Buffer.from('40014002', 'hex')).supplementalGroups).toEqual([1, 2]);
  });
});

describe('crictl JSON', () => {
  it('reads snake_case and camelCase, enum names and numbers, keeps label keys verbatim', () => {
    const t = schema.message('runtime.v1.PodSandboxConfig');
    const v = fromJson(t, { metadata: { name: 'p', namespace: 'ns', uid: 'u', attempt: 1 }, log_directory: '/tmp/x', labels: { 'app_name': 'x' }, portMappings: [{ protocol: 'UDP', container_port: 53, host_port: '1053' }], linux: { security_context: { namespace_options: { network: 'NODE', pid: 1 } } } }, 'pod.json');
    expect(v.logDirectory).toBe('/tmp/x');
    expect(v.labels).toEqual({ app_name: 'x' });
    expect(v.portMappings[0]).toEqual({ protocol: 1, containerPort: 53, hostPort: 1053 });
    expect(v.linux.securityContext.namespaceOptions).toEqual({ network: 2, pid: 1 });
  });

  it('names the bad field', () => {
    const t = schema.message('runtime.v1.ContainerConfig');
    expect(() => fromJson(t, { metadata: { nmae: 'x' } }, 'c.json')).toThrow('c.json.metadata.nmae: unknown field (of ContainerMetadata)');
    expect(() => fromJson(t, { tty: 'yes' }, 'c.json')).toThrow('c.json.tty: must be true or false');
    expect(() => fromJson(t, { mounts: [{ propagation: 'SHARED' }] }, 'c.json')).toThrow(/c\.json\.mounts\[0\]\.propagation: "SHARED" is not one of PROPAGATION_PRIVATE/);
  });

  it('prints enums by name and int64 as strings, and defaults too (crictl marshals with EmitDefaults)', () => {
    const t = schema.message('runtime.v1.PodSandbox');
    const rest = { annotations: {}, labels: {}, runtimeHandler: '' };
    expect(toJson(t, decode(t, encode(t, { id: 'x', state: 1, createdAt: 1700000000000000000 })))).toEqual({ id: 'x', state: 'SANDBOX_NOTREADY', createdAt: '1700000000000000000', ...rest });
    expect(toJson(t, decode(t, encode(t, { id: 'x' })))).toEqual({ id: 'x', state: 'SANDBOX_READY', createdAt: '0', ...rest });
  });
});
