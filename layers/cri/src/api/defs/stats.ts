// Resource usage: per container and per pod (from cgroups), and the filesystem usage shared
// with ImageFsInfo. Each usage block carries its own timestamp (ns since the epoch) because the
// kubelet computes rates (usage_nano_cores) between two samples.
export const CRI_STATS_PROTO = `
package runtime.v1;

message FilesystemIdentifier {
  string mountpoint = 1;
}

message FilesystemUsage {
  int64 timestamp = 1;
  FilesystemIdentifier fs_id = 2;
  UInt64Value used_bytes = 3;
  UInt64Value inodes_used = 4;
}

message WindowsFilesystemUsage {
  int64 timestamp = 1;
  FilesystemIdentifier fs_id = 2;
  UInt64Value used_bytes = 3;
}

message CpuUsage {
  int64 timestamp = 1;
  UInt64Value usage_core_nano_seconds = 2;
  UInt64Value usage_nano_cores = 3;
}

message MemoryUsage {
  int64 timestamp = 1;
  UInt64Value working_set_bytes = 2;
  UInt64Value available_bytes = 3;
  UInt64Value usage_bytes = 4;
  UInt64Value rss_bytes = 5;
  UInt64Value page_faults = 6;
  UInt64Value major_page_faults = 7;
}

message SwapUsage {
  int64 timestamp = 1;
  UInt64Value swap_available_bytes = 2;
  UInt64Value swap_usage_bytes = 3;
}

message NetworkInterfaceUsage {
  string name = 1;
  UInt64Value rx_bytes = 2;
  UInt64Value rx_errors = 3;
  UInt64Value tx_bytes = 4;
  UInt64Value tx_errors = 5;
}

message NetworkUsage {
  int64 timestamp = 1;
  NetworkInterfaceUsage default_interface = 2;
  repeated NetworkInterfaceUsage interfaces = 3;
}

message ProcessUsage {
  int64 timestamp = 1;
  UInt64Value process_count = 2;
}

message ContainerAttributes {
  string id = 1;
  ContainerMetadata metadata = 2;
  map<string, string> labels = 3;
  map<string, string> annotations = 4;
}

message ContainerStats {
  ContainerAttributes attributes = 1;
  CpuUsage cpu = 2;
  MemoryUsage memory = 3;
  FilesystemUsage writable_layer = 4;
  SwapUsage swap = 5;
}

message ContainerStatsRequest {
  string container_id = 1;
}

message ContainerStatsResponse {
  ContainerStats stats = 1;
}

message ContainerStatsFilter {
  string id = 1;
  string pod_sandbox_id = 2;
  map<string, string> label_selector = 3;
}

message ListContainerStatsRequest {
  ContainerStatsFilter filter = 1;
}

message ListContainerStatsResponse {
  repeated ContainerStats stats = 1;
}

message PodSandboxAttributes {
  string id = 1;
  PodSandboxMetadata metadata = 2;
  map<string, string> labels = 3;
  map<string, string> annotations = 4;
}

message LinuxPodSandboxStats {
  CpuUsage cpu = 1;
  MemoryUsage memory = 2;
  NetworkUsage network = 3;
  ProcessUsage process = 4;
  repeated ContainerStats containers = 5;
}

message PodSandboxStats {
  PodSandboxAttributes attributes = 1;
  LinuxPodSandboxStats linux = 2;
  WindowsPodSandboxStats windows = 3;
}

message PodSandboxStatsRequest {
  string pod_sandbox_id = 1;
}

message PodSandboxStatsResponse {
  PodSandboxStats stats = 1;
}

message PodSandboxStatsFilter {
  string id = 1;
  map<string, string> label_selector = 2;
}

message ListPodSandboxStatsRequest {
  PodSandboxStatsFilter filter = 1;
}

message ListPodSandboxStatsResponse {
  repeated PodSandboxStats stats = 1;
}

// Windows counterparts (part of the messages above on the wire; never filled on Linux).
message WindowsCpuUsage {
  int64 timestamp = 1;
  UInt64Value usage_core_nano_seconds = 2;
  UInt64Value usage_nano_cores = 3;
}

message WindowsMemoryUsage {
  int64 timestamp = 1;
  UInt64Value working_set_bytes = 2;
  UInt64Value available_bytes = 3;
  UInt64Value page_faults = 4;
  UInt64Value commit_memory_bytes = 5;
}

message WindowsNetworkInterfaceUsage {
  string name = 1;
  UInt64Value rx_bytes = 2;
  UInt64Value rx_packets_dropped = 3;
  UInt64Value tx_bytes = 4;
  UInt64Value tx_packets_dropped = 5;
}

message WindowsNetworkUsage {
  int64 timestamp = 1;
  WindowsNetworkInterfaceUsage default_interface = 2;
  repeated WindowsNetworkInterfaceUsage interfaces = 3;
}

message WindowsProcessUsage {
  int64 timestamp = 1;
  UInt64Value process_count = 2;
}

message WindowsContainerStats {
  ContainerAttributes attributes = 1;
  WindowsCpuUsage cpu = 2;
  WindowsMemoryUsage memory = 3;
  WindowsFilesystemUsage writable_layer = 4;
}

message WindowsPodSandboxStats {
  WindowsCpuUsage cpu = 1;
  WindowsMemoryUsage memory = 2;
  WindowsNetworkUsage network = 3;
  WindowsProcessUsage process = 4;
  repeated WindowsContainerStats containers = 5;
}

// Metrics in Prometheus style (ListMetricDescriptors / ListPodSandboxMetrics).
enum MetricType {
  COUNTER = 0;
  GAUGE = 1;
}

message Metric {
  string name = 1;
  int64 timestamp = 2;
  MetricType metric_type = 3;
  repeated string label_values = 4;
  UInt64Value value = 5;
}

message MetricDescriptor {
  string name = 1;
  string help = 2;
  repeated string label_keys = 3;
}

message ListMetricDescriptorsRequest {
}

message ListMetricDescriptorsResponse {
  repeated MetricDescriptor descriptors = 1;
}

message ContainerMetrics {
  string container_id = 1;
  repeated Metric metrics = 2;
}

message PodSandboxMetrics {
  string pod_sandbox_id = 1;
  repeated Metric metrics = 2;
  repeated ContainerMetrics container_metrics = 3;
}

message ListPodSandboxMetricsRequest {
}

message ListPodSandboxMetricsResponse {
  repeated PodSandboxMetrics pod_metrics = 1;
}
`;
