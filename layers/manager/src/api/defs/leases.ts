// containerd.services.leases.v1: a lease protects the objects it names (blobs, ingests,
// snapshots) from the garbage collector while a client works, e.g. during a pull.
// ctr sends the lease to use in the "containerd-lease" gRPC metadata header.
export const LEASES_PROTO = `
package containerd.services.leases.v1;

service Leases {
  rpc Create(CreateRequest) returns (CreateResponse);
  rpc Delete(DeleteRequest) returns (google.protobuf.Empty);
  rpc List(ListRequest) returns (ListResponse);
  rpc AddResource(AddResourceRequest) returns (google.protobuf.Empty);
  rpc DeleteResource(DeleteResourceRequest) returns (google.protobuf.Empty);
  rpc ListResources(ListResourcesRequest) returns (ListResourcesResponse);
}

// A lease: its id, when it was made, and labels (containerd.io/gc.expire sets its end).
message Lease {
  string id = 1;
  google.protobuf.Timestamp created_at = 2;
  map<string, string> labels = 3;
}

// id empty: the server picks one. Field number 2 is unused.
message CreateRequest {
  string id = 1;
  map<string, string> labels = 3;
}

message CreateResponse {
  Lease lease = 1;
}

// sync: answer only after garbage collection has run.
message DeleteRequest {
  string id = 1;
  bool sync = 2;
}

message ListRequest {
  repeated string filters = 1;
}

message ListResponse {
  repeated Lease leases = 1;
}

// An object held by a lease: type "content", "ingests" or "snapshots/<snapshotter>", and its id.
message Resource {
  string id = 1;
  string type = 2;
}

// id names the lease.
message AddResourceRequest {
  string id = 1;
  Resource resource = 2;
}

message DeleteResourceRequest {
  string id = 1;
  Resource resource = 2;
}

message ListResourcesRequest {
  string id = 1;
}

message ListResourcesResponse {
  repeated Resource resources = 1;
}
`;
