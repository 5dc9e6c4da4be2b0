// ttrpc's own envelope messages (github.com/containerd/ttrpc): every call is a Request frame,
// every answer a Response frame.
export const TTRPC_PROTO = `
package ttrpc;

message KeyValue {
  string key = 1;
  string value = 2;
}

// A call: which service and method, the encoded request message, an optional deadline and
// metadata (containerd sends its namespace as "containerd-namespace-ttrpc").
message Request {
  string service = 1;
  string method = 2;
  bytes payload = 3;
  int64 timeout_nano = 4;
  repeated KeyValue metadata = 5;
}

// The answer: no status means OK; payload is the encoded response message.
message Response {
  google.rpc.Status status = 1;
  bytes payload = 2;
}
`;
