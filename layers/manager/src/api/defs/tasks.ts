// containerd.services.tasks.v1: the running side of a container. The manager forwards these
// calls to the container's shim (containerd.task.v2.Task over ttrpc) and keeps the answers.
// Processes are named by container_id plus exec_id (empty exec_id: the init process).
export const TASKS_PROTO = `
package containerd.services.tasks.v1;

service Tasks {
  rpc Create(CreateTaskRequest) returns (CreateTaskResponse);
  rpc Start(StartRequest) returns (StartResponse);
  rpc Delete(DeleteTaskRequest) returns (DeleteResponse);
  rpc DeleteProcess(DeleteProcessRequest) returns (DeleteResponse);
  rpc Get(GetRequest) returns (GetResponse);
  rpc List(ListTasksRequest) returns (ListTasksResponse);
  rpc Kill(KillRequest) returns (google.protobuf.Empty);
  rpc Exec(ExecProcessRequest) returns (google.protobuf.Empty);
  rpc ResizePty(ResizePtyRequest) returns (google.protobuf.Empty);
  rpc CloseIO(CloseIORequest) returns (google.protobuf.Empty);
  rpc Pause(PauseTaskRequest) returns (google.protobuf.Empty);
  rpc Resume(ResumeTaskRequest) returns (google.protobuf.Empty);
  rpc ListPids(ListPidsRequest) returns (ListPidsResponse);
  rpc Checkpoint(CheckpointTaskRequest) returns (CheckpointTaskResponse);
  rpc Update(UpdateTaskRequest) returns (google.protobuf.Empty);
  rpc Metrics(MetricsRequest) returns (MetricsResponse);
  rpc Wait(WaitRequest) returns (WaitResponse);
}

// Start a shim for the container and create (not yet start) its init process. rootfs: the
// mounts of the container's snapshot; stdin/stdout/stderr: FIFO paths or URIs for the stdio;
// options: runtime options in an Any; runtime_path: a shim binary to use instead of the
// container's runtime name. Field number 2 is unused.
message CreateTaskRequest {
  string container_id = 1;
  repeated containerd.types.Mount rootfs = 3;
  string stdin = 4;
  string stdout = 5;
  string stderr = 6;
  bool terminal = 7;
  containerd.types.Descriptor checkpoint = 8;
  google.protobuf.Any options = 9;
  string runtime_path = 10;
}

message CreateTaskResponse {
  string container_id = 1;
  uint32 pid = 2;
}

message StartRequest {
  string container_id = 1;
  string exec_id = 2;
}

message StartResponse {
  uint32 pid = 1;
}

// Delete the stopped init process, the task, and stop its shim.
message DeleteTaskRequest {
  string container_id = 1;
}

// How a deleted process ended. id: the process id (exec id, or container id for the init).
message DeleteResponse {
  string id = 1;
  uint32 pid = 2;
  uint32 exit_status = 3;
  google.protobuf.Timestamp exited_at = 4;
}

// Delete one stopped exec process.
message DeleteProcessRequest {
  string container_id = 1;
  string exec_id = 2;
}

message GetRequest {
  string container_id = 1;
  string exec_id = 2;
}

message GetResponse {
  containerd.v1.types.Process process = 1;
}

message ListTasksRequest {
  string filter = 1;
}

// One entry per task: the state of its init process.
message ListTasksResponse {
  repeated containerd.v1.types.Process tasks = 1;
}

// all: signal every process of the container, not just the one named.
message KillRequest {
  string container_id = 1;
  string exec_id = 2;
  uint32 signal = 3;
  bool all = 4;
}

// Add a process to a running task; spec is the OCI process (JSON in an Any). Start runs it.
message ExecProcessRequest {
  string container_id = 1;
  string stdin = 2;
  string stdout = 3;
  string stderr = 4;
  bool terminal = 5;
  google.protobuf.Any spec = 6;
  string exec_id = 7;
}

message ExecProcessResponse {
}

// New size of a process's terminal, in characters.
message ResizePtyRequest {
  string container_id = 1;
  string exec_id = 2;
  uint32 width = 3;
  uint32 height = 4;
}

// stdin: close the process's standard input (the end of input for it).
message CloseIORequest {
  string container_id = 1;
  string exec_id = 2;
  bool stdin = 3;
}

message PauseTaskRequest {
  string container_id = 1;
}

message ResumeTaskRequest {
  string container_id = 1;
}

message ListPidsRequest {
  string container_id = 1;
}

message ListPidsResponse {
  repeated containerd.v1.types.ProcessInfo processes = 1;
}

// Checkpoint (CRIU) a task; parent_checkpoint is a digest; the answer lists the blobs written.
message CheckpointTaskRequest {
  string container_id = 1;
  string parent_checkpoint = 2;
  google.protobuf.Any options = 3;
}

message CheckpointTaskResponse {
  repeated containerd.types.Descriptor descriptors = 1;
}

// resources: the new OCI LinuxResources (JSON in an Any); annotations pass through to the shim.
message UpdateTaskRequest {
  string container_id = 1;
  google.protobuf.Any resources = 2;
  map<string, string> annotations = 3;
}

// filters select tasks (e.g. id==web); the answer has one Metric per task.
message MetricsRequest {
  repeated string filters = 1;
}

message MetricsResponse {
  repeated containerd.types.Metric metrics = 1;
}

// Answered when the process exits (the call stays open until then).
message WaitRequest {
  string container_id = 1;
  string exec_id = 2;
}

message WaitResponse {
  uint32 exit_status = 1;
  google.protobuf.Timestamp exited_at = 2;
}
`;
