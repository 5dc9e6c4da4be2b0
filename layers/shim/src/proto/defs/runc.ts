// The runtime options containerd passes to runc-style shims (ctr run --runc-binary sets
// binary_name), on `start`'s stdin and in CreateTaskRequest.options.
export const RUNC_OPTIONS_PROTO = `
package containerd.runc.v1;

message Options {
  bool no_pivot_root = 1;
  bool no_new_keyring = 2;
  string shim_cgroup = 3;
  uint32 io_uid = 4;
  uint32 io_gid = 5;
  string binary_name = 6;
  string root = 7;
  string criu_path = 8;
  bool systemd_cgroup = 9;
  string criu_image_path = 10;
  string criu_work_path = 11;
}

message CheckpointOptions {
  bool exit = 1;
  bool open_tcp = 2;
  bool external_unix_sockets = 3;
  bool terminal = 4;
  bool file_locks = 5;
  repeated string empty_namespaces = 6;
  string cgroups_mode = 7;
  string image_path = 8;
  string work_path = 9;
}

// Attached to an exec process in Task.Pids.
message ProcessDetails {
  string exec_id = 1;
}
`;

// What containerd passes for runtimes other than runc's (CRI for any runtime_type, and
// `ctr run --runtime-config-path FILE`): a path to a config file the shim reads itself.
export const RUNTIME_OPTIONS_PROTO = `
package runtimeoptions.v1;

message Options {
  string type_url = 1;
  string config_path = 2;
  bytes config_body = 3;
}
`;
