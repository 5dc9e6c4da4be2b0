// containerd.services.version.v1: the first call `ctr version` makes.
export const VERSION_PROTO = `
package containerd.services.version.v1;

service Version {
  rpc Version(google.protobuf.Empty) returns (VersionResponse);
}

// The daemon's release ("v1.6.20") and the source revision it was built from.
message VersionResponse {
  string version = 1;
  string revision = 2;
}
`;
