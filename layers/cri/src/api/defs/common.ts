// Types shared by pods and containers: namespaces, security, mounts, ports, resources.
//
// Two notes for readers who compare with cri-api's api.proto:
//  - cri-api declares the enum ProfileType inside the message SecurityProfile. Strata's schema
//    reader has no nested declarations, so it is the top-level enum SecurityProfileType here.
//    Enum names never go on the wire (only the numbers do), so this is wire-identical.
//  - Int64Value / UInt64Value wrap a number so "unset" differs from 0 (run_as_user = 0 is root,
//    absent means "the image's user"); proto3 scalars cannot say "absent".
export const CRI_COMMON_PROTO = `
package runtime.v1;

message Int64Value {
  int64 value = 1;
}

message UInt64Value {
  uint64 value = 1;
}

message KeyValue {
  string key = 1;
  string value = 2;
}

enum Protocol {
  TCP = 0;
  UDP = 1;
  SCTP = 2;
}

// A port published on the host (the pod's port_mappings; CNI's portmap plugin does the work).
message PortMapping {
  Protocol protocol = 1;
  int32 container_port = 2;
  int32 host_port = 3;
  string host_ip = 4;
}

message DNSConfig {
  repeated string servers = 1;
  repeated string searches = 2;
  repeated string options = 3;
}

// Mount propagation (mount(2) MS_PRIVATE / MS_SLAVE / MS_SHARED, recursively).
enum MountPropagation {
  PROPAGATION_PRIVATE = 0;
  PROPAGATION_HOST_TO_CONTAINER = 1;
  PROPAGATION_BIDIRECTIONAL = 2;
}

// The proto field names uidMappings/gidMappings are camelCase in cri-api itself.
message Mount {
  string container_path = 1;
  string host_path = 2;
  bool readonly = 3;
  bool selinux_relabel = 4;
  MountPropagation propagation = 5;
  repeated IDMapping uidMappings = 6;
  repeated IDMapping gidMappings = 7;
}

message IDMapping {
  uint32 host_id = 1;
  uint32 container_id = 2;
  uint32 length = 3;
}

// Whose namespace a pod or container uses: its pod's, its own, the node's, or another
// container's (TARGET, for ephemeral debug containers sharing a pid namespace).
enum NamespaceMode {
  POD = 0;
  CONTAINER = 1;
  NODE = 2;
  TARGET = 3;
}

message UserNamespace {
  NamespaceMode mode = 1;
  repeated IDMapping uids = 2;
  repeated IDMapping gids = 3;
}

message NamespaceOption {
  NamespaceMode network = 1;
  NamespaceMode pid = 2;
  NamespaceMode ipc = 3;
  string target_id = 4;
  UserNamespace userns_options = 5;
}

message SELinuxOption {
  string user = 1;
  string role = 2;
  string type = 3;
  string level = 4;
}

// cri-api: SecurityProfile.ProfileType (nested there; see the note at the top).
enum SecurityProfileType {
  RuntimeDefault = 0;
  Unconfined = 1;
  Localhost = 2;
}

message SecurityProfile {
  SecurityProfileType profile_type = 1;
  string localhost_ref = 2;
}

message Capability {
  repeated string add_capabilities = 1;
  repeated string drop_capabilities = 2;
  repeated string add_ambient_capabilities = 3;
}

// cgroup limits (cgroup v1 names; runtimes translate them to v2 files). unified: raw cgroup v2
// files, e.g. {"memory.high": "100M"}.
message LinuxContainerResources {
  int64 cpu_period = 1;
  int64 cpu_quota = 2;
  int64 cpu_shares = 3;
  int64 memory_limit_in_bytes = 4;
  int64 oom_score_adj = 5;
  string cpuset_cpus = 6;
  string cpuset_mems = 7;
  repeated HugepageLimit hugepage_limits = 8;
  map<string, string> unified = 9;
  int64 memory_swap_limit_in_bytes = 10;
}

message HugepageLimit {
  string page_size = 1;
  uint64 limit = 2;
}

message WindowsContainerResources {
  int64 cpu_shares = 1;
  int64 cpu_count = 2;
  int64 cpu_maximum = 3;
  int64 memory_limit_in_bytes = 4;
  int64 rootfs_size_in_bytes = 5;
}

message WindowsNamespaceOption {
  NamespaceMode network = 1;
}
`;
