// containerd.services.images.v1: an image is only a name pointing at a descriptor (usually an
// index or manifest) in the content store; pulling fills the store, then records the name here.
export const IMAGES_PROTO = `
package containerd.services.images.v1;

service Images {
  rpc Get(GetImageRequest) returns (GetImageResponse);
  rpc List(ListImagesRequest) returns (ListImagesResponse);
  rpc Create(CreateImageRequest) returns (CreateImageResponse);
  rpc Update(UpdateImageRequest) returns (UpdateImageResponse);
  rpc Delete(DeleteImageRequest) returns (google.protobuf.Empty);
}

// A named image: its reference ("docker.io/library/alpine:3.19"), labels and the root
// descriptor. Field numbers 4 to 6 are unused.
message Image {
  string name = 1;
  map<string, string> labels = 2;
  containerd.types.Descriptor target = 3;
  google.protobuf.Timestamp created_at = 7;
  google.protobuf.Timestamp updated_at = 8;
}

message GetImageRequest {
  string name = 1;
}

message GetImageResponse {
  Image image = 1;
}

message CreateImageRequest {
  Image image = 1;
}

message CreateImageResponse {
  Image image = 1;
}

// update_mask: "labels", "labels.<key>", "target"; empty means every changeable field.
message UpdateImageRequest {
  Image image = 1;
  google.protobuf.FieldMask update_mask = 2;
}

message UpdateImageResponse {
  Image image = 1;
}

// filters: containerd filter expressions, e.g. name==docker.io/library/alpine:3.19 (any matches).
message ListImagesRequest {
  repeated string filters = 1;
}

message ListImagesResponse {
  repeated Image images = 1;
}

// sync: answer only once garbage collection has removed what the image alone referenced.
message DeleteImageRequest {
  string name = 1;
  bool sync = 2;
}
`;
