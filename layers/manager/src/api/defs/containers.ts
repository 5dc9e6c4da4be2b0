// containerd.services.containers.v1: a container is a metadata record only (spec, runtime,
// snapshot, image); nothing runs until the tasks service creates a task for it.
export const CONTAINERS_PROTO = `
package containerd.services.containers.v1;

service Containers {
  rpc Get(GetContainerRequest) returns (GetContainerResponse);
  rpc List(ListContainersRequest) returns (ListContainersResponse);
  rpc ListStream(ListContainersRequest) returns (stream ListContainerMessage);
  rpc Create(CreateContainerRequest) returns (CreateContainerResponse);
  rpc Update(UpdateContainerRequest) returns (UpdateContainerResponse);
  rpc Delete(DeleteContainerRequest) returns (google.protobuf.Empty);
}

// Which runtime runs the container's tasks ("io.containerd.runc.v2") and its options (an Any,
// e.g. containerd.runc.v1.Options). Declared inside Container in containerd's text; flattened
// here under its own name, which never travels on the wire.
message ContainerRuntime {
  string name = 1;
  google.protobuf.Any options = 2;
}

// The container record. spec holds the OCI runtime spec (JSON in an Any whose type is
// types.containerd.io/opencontainers/runtime-spec/1/Spec); extensions are client data by name.
message Container {
  string id = 1;
  map<string, string> labels = 2;
  string image = 3;
  ContainerRuntime runtime = 4;
  google.protobuf.Any spec = 5;
  string snapshotter = 6;
  string snapshot_key = 7;
  google.protobuf.Timestamp created_at = 8;
  google.protobuf.Timestamp updated_at = 9;
  map<string, google.protobuf.Any> extensions = 10;
}

message GetContainerRequest {
  string id = 1;
}

message GetContainerResponse {
  Container container = 1;
}

// filters: containerd filter expressions (any of them matches), e.g. labels."app"==web.
message ListContainersRequest {
  repeated string filters = 1;
}

message ListContainersResponse {
  repeated Container containers = 1;
}

// One container per message of the ListStream stream (for lists too big for one message).
message ListContainerMessage {
  Container container = 1;
}

message CreateContainerRequest {
  Container container = 1;
}

message CreateContainerResponse {
  Container container = 1;
}

// update_mask: "labels", "labels.<key>", "spec", "image", "snapshotkey", "extensions.<name>"...
// Without it every changeable field is replaced.
message UpdateContainerRequest {
  Container container = 1;
  google.protobuf.FieldMask update_mask = 2;
}

message UpdateContainerResponse {
  Container container = 1;
}

message DeleteContainerRequest {
  string id = 1;
}
`;
