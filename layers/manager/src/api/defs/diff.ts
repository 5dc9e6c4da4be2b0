// containerd.services.diff.v1: applying a layer (a compressed tar in the content store) onto
// mounts, and the reverse, computing a layer from two sets of mounts.
export const DIFF_PROTO = `
package containerd.services.diff.v1;

service Diff {
  rpc Apply(ApplyRequest) returns (ApplyResponse);
  rpc Diff(DiffRequest) returns (DiffResponse);
}

// Unpack the layer diff onto the mounts (an active snapshot). payloads: per-media-type
// processor options, by name.
message ApplyRequest {
  containerd.types.Descriptor diff = 1;
  repeated containerd.types.Mount mounts = 2;
  map<string, google.protobuf.Any> payloads = 3;
}

// The uncompressed layer that was applied (its digest is the layer's diff ID).
message ApplyResponse {
  containerd.types.Descriptor applied = 1;
}

// Write the changes from left to right as a layer of media_type into the content store,
// under the ingest ref, with the given labels on the new blob.
message DiffRequest {
  repeated containerd.types.Mount left = 1;
  repeated containerd.types.Mount right = 2;
  string media_type = 3;
  string ref = 4;
  map<string, string> labels = 5;
}

// The new layer's descriptor; its field number is 3 (1 and 2 are unused).
message DiffResponse {
  containerd.types.Descriptor diff = 3;
}
`;
