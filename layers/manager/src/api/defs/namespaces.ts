// containerd.services.namespaces.v1: every other object lives in a namespace ("default",
// "k8s.io", ...); clients name it in the "containerd-namespace" gRPC metadata header.
export const NAMESPACES_PROTO = `
package containerd.services.namespaces.v1;

service Namespaces {
  rpc Get(GetNamespaceRequest) returns (GetNamespaceResponse);
  rpc List(ListNamespacesRequest) returns (ListNamespacesResponse);
  rpc Create(CreateNamespaceRequest) returns (CreateNamespaceResponse);
  rpc Update(UpdateNamespaceRequest) returns (UpdateNamespaceResponse);
  rpc Delete(DeleteNamespaceRequest) returns (google.protobuf.Empty);
}

// A namespace: just a name and labels.
message Namespace {
  string name = 1;
  map<string, string> labels = 2;
}

message GetNamespaceRequest {
  string name = 1;
}

message GetNamespaceResponse {
  Namespace namespace = 1;
}

message ListNamespacesRequest {
  string filter = 1;
}

message ListNamespacesResponse {
  repeated Namespace namespaces = 1;
}

message CreateNamespaceRequest {
  Namespace namespace = 1;
}

message CreateNamespaceResponse {
  Namespace namespace = 1;
}

// update_mask names the labels to change ("labels.<key>"); without it all labels are replaced.
message UpdateNamespaceRequest {
  Namespace namespace = 1;
  google.protobuf.FieldMask update_mask = 2;
}

message UpdateNamespaceResponse {
  Namespace namespace = 1;
}

// Refused while the namespace still holds images, containers, blobs or snapshots.
message DeleteNamespaceRequest {
  string name = 1;
}
`;
