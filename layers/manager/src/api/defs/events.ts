// Events: the gRPC events service (containerd.services.events.v1) and the event messages of the
// objects the manager owns. Task events (containerd.events.Task*) are in the shim's defs.
//
// An event travels inside a google.protobuf.Any whose type_url is the message's full name
// (containerd.events.ContainerCreate): for these messages the package and message names are
// part of the wire and must stay exactly as containerd spells them.
export const EVENTS_SERVICE_PROTO = `
package containerd.services.events.v1;

service Events {
  rpc Publish(PublishRequest) returns (google.protobuf.Empty);
  rpc Forward(ForwardRequest) returns (google.protobuf.Empty);
  rpc Subscribe(SubscribeRequest) returns (stream Envelope);
}

// A client's event: the server stamps it with the time and the caller's namespace.
message PublishRequest {
  string topic = 1;
  google.protobuf.Any event = 2;
}

// An event that already has its envelope (as the shims send theirs over ttrpc).
message ForwardRequest {
  Envelope envelope = 1;
}

// filters: which envelopes to stream, e.g. topic~="/tasks/" or namespace==default.
message SubscribeRequest {
  repeated string filters = 1;
}

// One event as subscribers see it: when, in which namespace, its topic, the event itself.
message Envelope {
  google.protobuf.Timestamp timestamp = 1;
  string namespace = 2;
  string topic = 3;
  google.protobuf.Any event = 4;
}
`;

export const OBJECT_EVENTS_PROTO = `
package containerd.events;

// Declared inside ContainerCreate in containerd's text. Flattening renames it, which is safe:
// only ContainerCreate's own name travels in an Any, never this one.
message ContainerCreateRuntime {
  string name = 1;
  google.protobuf.Any options = 2;
}

// Topic /containers/create.
message ContainerCreate {
  string id = 1;
  string image = 2;
  ContainerCreateRuntime runtime = 3;
}

// Topic /containers/update.
message ContainerUpdate {
  string id = 1;
  string image = 2;
  map<string, string> labels = 3;
  string snapshot_key = 4;
}

// Topic /containers/delete.
message ContainerDelete {
  string id = 1;
}

// Topic /content/delete.
message ContentDelete {
  string digest = 1;
}

// Topic /namespaces/create.
message NamespaceCreate {
  string name = 1;
  map<string, string> labels = 2;
}

// Topic /namespaces/update.
message NamespaceUpdate {
  string name = 1;
  map<string, string> labels = 2;
}

// Topic /namespaces/delete.
message NamespaceDelete {
  string name = 1;
}

// Topic /snapshot/prepare.
message SnapshotPrepare {
  string key = 1;
  string parent = 2;
}

// Topic /snapshot/commit.
message SnapshotCommit {
  string key = 1;
  string name = 2;
}

// Topic /snapshot/remove.
message SnapshotRemove {
  string key = 1;
}
`;

// containerd declares the image events in the images service's package, not containerd.events;
// their Any type names are therefore containerd.services.images.v1.ImageCreate and so on.
export const IMAGE_EVENTS_PROTO = `
package containerd.services.images.v1;

// Topic /images/create.
message ImageCreate {
  string name = 1;
  map<string, string> labels = 2;
}

// Topic /images/update.
message ImageUpdate {
  string name = 1;
  map<string, string> labels = 2;
}

// Topic /images/delete.
message ImageDelete {
  string name = 1;
}
`;
