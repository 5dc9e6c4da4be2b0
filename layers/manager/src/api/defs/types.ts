// containerd's shared API types (containerd.types, containerd.v1.types) that the shim's defs do
// not already declare. containerd.types.Mount, containerd.v1.types.Status and
// containerd.v1.types.ProcessInfo live in the shim's defs and are used here by full name.
export const CONTAINERD_TYPES_PROTO = `
package containerd.types;

// A pointer to a blob in the content store: its media type, its sha256 digest and its size.
// The manifest, the config and every layer of an image are named this way.
message Descriptor {
  string media_type = 1;
  string digest = 2;
  int64 size = 3;
  map<string, string> annotations = 5;
}

// An operating system and CPU pair (os "linux", architecture "amd64", variant "v8" for arm64).
message Platform {
  string os = 1;
  string architecture = 2;
  string variant = 3;
}

// One sample of a task's resource usage; data wraps the cgroup statistics
// (io.containerd.cgroups.v1.Metrics or .v2.Metrics) in an Any.
message Metric {
  google.protobuf.Timestamp timestamp = 1;
  string id = 2;
  google.protobuf.Any data = 3;
}
`;

export const PROCESS_TYPES_PROTO = `
package containerd.v1.types;

// A task's process as the tasks API reports it: which container, which process (id is the
// exec id, or the container id for the init), its pid, state and stdio, and how it ended.
message Process {
  string container_id = 1;
  string id = 2;
  uint32 pid = 3;
  Status status = 4;
  string stdin = 5;
  string stdout = 6;
  string stderr = 7;
  bool terminal = 8;
  uint32 exit_status = 9;
  google.protobuf.Timestamp exited_at = 10;
}
`;
