// Runtime-wide state: Status (conditions the kubelet reads to decide whether the node is ready:
// RuntimeReady and NetworkReady), UpdateRuntimeConfig (the pod CIDR) and RuntimeConfig (the
// cgroup driver the kubelet must match).
export const CRI_STATUS_PROTO = `
package runtime.v1;

message NetworkConfig {
  string pod_cidr = 1;
}

message RuntimeConfig {
  NetworkConfig network_config = 1;
}

message UpdateRuntimeConfigRequest {
  RuntimeConfig runtime_config = 1;
}

message UpdateRuntimeConfigResponse {
}

// status true = the condition holds; reason/message explain a false one.
message RuntimeCondition {
  string type = 1;
  bool status = 2;
  string reason = 3;
  string message = 4;
}

message RuntimeStatus {
  repeated RuntimeCondition conditions = 1;
}

message StatusRequest {
  bool verbose = 1;
}

message StatusResponse {
  RuntimeStatus status = 1;
  map<string, string> info = 2;
}

enum CgroupDriver {
  SYSTEMD = 0;
  CGROUPFS = 1;
}

message LinuxRuntimeConfiguration {
  CgroupDriver cgroup_driver = 1;
}

message RuntimeConfigRequest {
}

message RuntimeConfigResponse {
  LinuxRuntimeConfiguration linux = 1;
}
`;
