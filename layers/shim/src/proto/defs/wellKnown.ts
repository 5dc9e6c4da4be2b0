// Well-known messages used by every containerd API (Strata's own .proto text; field numbers as
// published by protobuf and googleapis).
export const WELL_KNOWN_PROTO = `
package google.protobuf;

// Any value: the name of its message type, and its encoded bytes.
// containerd's event and option type URLs carry no "type.googleapis.com/" prefix.
message Any {
  string type_url = 1;
  bytes value = 2;
}

// A point in time: seconds since the Unix epoch and nanoseconds within that second.
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}

// No fields: the answer of calls that only succeed or fail.
message Empty {
}
`;

export const RPC_STATUS_PROTO = `
package google.rpc;

// Why a call failed: a gRPC code (5 NotFound, 12 Unimplemented, ...) and a message.
message Status {
  int32 code = 1;
  string message = 2;
  repeated google.protobuf.Any details = 3;
}
`;
