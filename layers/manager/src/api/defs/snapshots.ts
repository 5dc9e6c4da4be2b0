// containerd.services.snapshots.v1: the snapshotter (overlayfs for Strata). Each layer becomes a
// committed snapshot; a container's rootfs is an active snapshot prepared on top of the last.
// Every request names the snapshotter it is for.
export const SNAPSHOTS_PROTO = `
package containerd.services.snapshots.v1;

service Snapshots {
  rpc Prepare(PrepareSnapshotRequest) returns (PrepareSnapshotResponse);
  rpc View(ViewSnapshotRequest) returns (ViewSnapshotResponse);
  rpc Mounts(MountsRequest) returns (MountsResponse);
  rpc Commit(CommitSnapshotRequest) returns (google.protobuf.Empty);
  rpc Remove(RemoveSnapshotRequest) returns (google.protobuf.Empty);
  rpc Stat(StatSnapshotRequest) returns (StatSnapshotResponse);
  rpc Update(UpdateSnapshotRequest) returns (UpdateSnapshotResponse);
  rpc List(ListSnapshotsRequest) returns (stream ListSnapshotsResponse);
  rpc Usage(UsageRequest) returns (UsageResponse);
  rpc Cleanup(CleanupRequest) returns (google.protobuf.Empty);
}

// A new writable (active) snapshot named key on top of the committed snapshot parent
// (empty parent: an empty directory). The answer says how to mount it.
message PrepareSnapshotRequest {
  string snapshotter = 1;
  string key = 2;
  string parent = 3;
  map<string, string> labels = 4;
}

message PrepareSnapshotResponse {
  repeated containerd.types.Mount mounts = 1;
}

// Like Prepare, but read-only (a view).
message ViewSnapshotRequest {
  string snapshotter = 1;
  string key = 2;
  string parent = 3;
  map<string, string> labels = 4;
}

message ViewSnapshotResponse {
  repeated containerd.types.Mount mounts = 1;
}

// The mounts of an existing active snapshot or view.
message MountsRequest {
  string snapshotter = 1;
  string key = 2;
}

message MountsResponse {
  repeated containerd.types.Mount mounts = 1;
}

message RemoveSnapshotRequest {
  string snapshotter = 1;
  string key = 2;
}

// Freeze the active snapshot key into a committed snapshot called name.
message CommitSnapshotRequest {
  string snapshotter = 1;
  string name = 2;
  string key = 3;
  map<string, string> labels = 4;
}

message StatSnapshotRequest {
  string snapshotter = 1;
  string key = 2;
}

// The kind of a snapshot: a read-only view, a writable active one, or a committed one.
enum Kind {
  UNKNOWN = 0;
  VIEW = 1;
  ACTIVE = 2;
  COMMITTED = 3;
}

// A snapshot's metadata (not its mounts).
message Info {
  string name = 1;
  string parent = 2;
  Kind kind = 3;
  google.protobuf.Timestamp created_at = 4;
  google.protobuf.Timestamp updated_at = 5;
  map<string, string> labels = 6;
}

message StatSnapshotResponse {
  Info info = 1;
}

// Only labels can change (update_mask "labels" or "labels.<key>").
message UpdateSnapshotRequest {
  string snapshotter = 1;
  Info info = 2;
  google.protobuf.FieldMask update_mask = 3;
}

message UpdateSnapshotResponse {
  Info info = 1;
}

message ListSnapshotsRequest {
  string snapshotter = 1;
  repeated string filters = 2;
}

// One batch of the List stream.
message ListSnapshotsResponse {
  repeated Info info = 1;
}

message UsageRequest {
  string snapshotter = 1;
  string key = 2;
}

// Disk used by the snapshot's own layer: bytes and inodes.
message UsageResponse {
  int64 size = 1;
  int64 inodes = 2;
}

// Ask the snapshotter to remove directories no snapshot uses any more.
message CleanupRequest {
  string snapshotter = 1;
}
`;
