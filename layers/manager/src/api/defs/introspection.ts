// containerd.services.introspection.v1: what the daemon is made of (ctr plugins ls) and its
// identity.
export const INTROSPECTION_PROTO = `
package containerd.services.introspection.v1;

service Introspection {
  rpc Plugins(PluginsRequest) returns (PluginsResponse);
  rpc Server(google.protobuf.Empty) returns (ServerResponse);
}

// One plugin: type ("io.containerd.snapshotter.v1") and id ("overlayfs"), the plugin types it
// needs, the platforms it serves, values it exports (e.g. its root directory), its
// capabilities, and init_err when it failed to load (ctr shows it as status "error").
message Plugin {
  string type = 1;
  string id = 2;
  repeated string requires = 3;
  repeated containerd.types.Platform platforms = 4;
  map<string, string> exports = 5;
  repeated string capabilities = 6;
  google.rpc.Status init_err = 7;
}

// filters: e.g. type==io.containerd.snapshotter.v1.
message PluginsRequest {
  repeated string filters = 1;
}

message PluginsResponse {
  repeated Plugin plugins = 1;
}

// The server's UUID, made once and kept in its root directory.
message ServerResponse {
  string uuid = 1;
}
`;
