// containerd.services.content.v1: the content store, blobs addressed by digest. Downloads go
// through Write (a bidirectional stream keyed by an ingest "ref"), reads through Read.
export const CONTENT_PROTO = `
package containerd.services.content.v1;

service Content {
  rpc Info(InfoRequest) returns (InfoResponse);
  rpc Update(UpdateRequest) returns (UpdateResponse);
  rpc List(ListContentRequest) returns (stream ListContentResponse);
  rpc Delete(DeleteContentRequest) returns (google.protobuf.Empty);
  rpc Read(ReadContentRequest) returns (stream ReadContentResponse);
  rpc Status(StatusRequest) returns (StatusResponse);
  rpc ListStatuses(ListStatusesRequest) returns (ListStatusesResponse);
  rpc Write(stream WriteContentRequest) returns (stream WriteContentResponse);
  rpc Abort(AbortRequest) returns (google.protobuf.Empty);
}

// A committed blob: digest, size in bytes, times and labels (the garbage collector follows
// labels such as containerd.io/gc.ref.content.*).
message Info {
  string digest = 1;
  int64 size = 2;
  google.protobuf.Timestamp created_at = 3;
  google.protobuf.Timestamp updated_at = 4;
  map<string, string> labels = 5;
}

message InfoRequest {
  string digest = 1;
}

message InfoResponse {
  Info info = 1;
}

// Only labels can change: update_mask "labels" or "labels.<key>".
message UpdateRequest {
  Info info = 1;
  google.protobuf.FieldMask update_mask = 2;
}

message UpdateResponse {
  Info info = 1;
}

message ListContentRequest {
  repeated string filters = 1;
}

// One batch of the List stream.
message ListContentResponse {
  repeated Info info = 1;
}

message DeleteContentRequest {
  string digest = 1;
}

// Read size bytes from offset; size 0 means to the end of the blob.
message ReadContentRequest {
  string digest = 1;
  int64 offset = 2;
  int64 size = 3;
}

// One chunk of the Read stream and where it starts in the blob.
message ReadContentResponse {
  int64 offset = 1;
  bytes data = 2;
}

// An unfinished write (an "ingest"): its ref, bytes received so far, the total size and digest
// it is expected to reach.
message Status {
  google.protobuf.Timestamp started_at = 1;
  google.protobuf.Timestamp updated_at = 2;
  string ref = 3;
  int64 offset = 4;
  int64 total = 5;
  string expected = 6;
}

message StatusRequest {
  string ref = 1;
}

message StatusResponse {
  Status status = 1;
}

message ListStatusesRequest {
  repeated string filters = 1;
}

message ListStatusesResponse {
  repeated Status statuses = 1;
}

// What one message of the Write stream asks: report the ingest's state, append data, or append
// and then commit (check size and digest, move the blob into the store).
enum WriteAction {
  STAT = 0;
  WRITE = 1;
  COMMIT = 2;
}

// The first message names the ref (opening or resuming the ingest); total and expected may be
// given on any message; data is written at offset; labels apply at commit.
message WriteContentRequest {
  WriteAction action = 1;
  string ref = 2;
  int64 total = 3;
  string expected = 4;
  int64 offset = 5;
  bytes data = 6;
  map<string, string> labels = 7;
}

// The answer to each request: the ingest's offset and total now; digest once committed.
message WriteContentResponse {
  WriteAction action = 1;
  google.protobuf.Timestamp started_at = 2;
  google.protobuf.Timestamp updated_at = 3;
  int64 offset = 4;
  int64 total = 5;
  string digest = 6;
}

// Drop an unfinished ingest and its partial data.
message AbortRequest {
  string ref = 1;
}
`;
