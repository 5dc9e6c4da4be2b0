// The image service's messages. An image has one id (containerd's CRI plugin and CRI-O use the
// config digest, "sha256:<hex>") and any number of names: repo_tags ("registry.k8s.io/pause:3.9")
// and repo_digests ("registry.k8s.io/pause@sha256:<manifest or index digest>").
export const CRI_IMAGE_PROTO = `
package runtime.v1;

message ImageFilter {
  ImageSpec image = 1;
}

message ListImagesRequest {
  ImageFilter filter = 1;
}

// uid / username: the image config's USER, split into a number or a name.
message Image {
  string id = 1;
  repeated string repo_tags = 2;
  repeated string repo_digests = 3;
  uint64 size = 4;
  Int64Value uid = 5;
  string username = 6;
  ImageSpec spec = 7;
  bool pinned = 8;
}

message ListImagesResponse {
  repeated Image images = 1;
}

message ImageStatusRequest {
  ImageSpec image = 1;
  bool verbose = 2;
}

// An image that is not there is not an error: image is absent from the answer.
message ImageStatusResponse {
  Image image = 1;
  map<string, string> info = 2;
}

// Credentials as the kubelet found them in image pull secrets (docker config.json fields).
message AuthConfig {
  string username = 1;
  string password = 2;
  string auth = 3;
  string server_address = 4;
  string identity_token = 5;
  string registry_token = 6;
}

message PullImageRequest {
  ImageSpec image = 1;
  AuthConfig auth = 2;
  PodSandboxConfig sandbox_config = 3;
}

// image_ref: the pulled image's id (what containers record as their image_ref).
message PullImageResponse {
  string image_ref = 1;
}

message RemoveImageRequest {
  ImageSpec image = 1;
}

message RemoveImageResponse {
}

message ImageFsInfoRequest {
}

message ImageFsInfoResponse {
  repeated FilesystemUsage image_filesystems = 1;
  repeated FilesystemUsage container_filesystems = 2;
}
`;
