// containerd's shared types used by the task API.
export const TYPES_PROTO = `
package containerd.types;

// One mount, as mount(8) would take it. The rootfs of a task arrives as a list of these.
message Mount {
  string type = 1;
  string source = 2;
  string target = 3;
  repeated string options = 4;
}
`;

export const TASK_TYPES_PROTO = `
package containerd.v1.types;

// The state of a process as containerd reports it.
enum Status {
  UNKNOWN = 0;
  CREATED = 1;
  RUNNING = 2;
  STOPPED = 3;
  PAUSED = 4;
  PAUSING = 5;
}

// One process of a task (Task.Pids); info carries runc's ProcessDetails for exec processes.
message ProcessInfo {
  uint32 pid = 1;
  google.protobuf.Any info = 2;
}
`;
