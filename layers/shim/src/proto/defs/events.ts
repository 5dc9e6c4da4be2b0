// Task events (containerd.events) and the ttrpc service the shim forwards them to
// (containerd.services.events.ttrpc.v1.Events on containerd's TTRPC_ADDRESS).
export const EVENTS_PROTO = `
package containerd.events;

message TaskIO {
  string stdin = 1;
  string stdout = 2;
  string stderr = 3;
  bool terminal = 4;
}

message TaskCreate {
  string container_id = 1;
  string bundle = 2;
  repeated containerd.types.Mount rootfs = 3;
  TaskIO io = 4;
  string checkpoint = 5;
  uint32 pid = 6;
}

message TaskStart {
  string container_id = 1;
  uint32 pid = 2;
}

message TaskDelete {
  string container_id = 1;
  uint32 pid = 2;
  uint32 exit_status = 3;
  google.protobuf.Timestamp exited_at = 4;
  string id = 5;
}

message TaskExit {
  string container_id = 1;
  string id = 2;
  uint32 pid = 3;
  uint32 exit_status = 4;
  google.protobuf.Timestamp exited_at = 5;
}

message TaskOOM {
  string container_id = 1;
}

message TaskExecAdded {
  string container_id = 1;
  string exec_id = 2;
}

message TaskExecStarted {
  string container_id = 1;
  string exec_id = 2;
  uint32 pid = 3;
}

message TaskPaused {
  string container_id = 1;
}

message TaskResumed {
  string container_id = 1;
}

message TaskCheckpointed {
  string container_id = 1;
  string checkpoint = 2;
}
`;

export const EVENTS_TTRPC_PROTO = `
package containerd.services.events.ttrpc.v1;

service Events {
  rpc Forward(ForwardRequest) returns (google.protobuf.Empty);
}

message ForwardRequest {
  Envelope envelope = 1;
}

// One event: when, in which containerd namespace, its topic (/tasks/exit) and the event itself.
message Envelope {
  google.protobuf.Timestamp timestamp = 1;
  string namespace = 2;
  string topic = 3;
  google.protobuf.Any event = 4;
}
`;
