// Well-known protobuf messages the manager's API needs beyond the shim's (Any, Timestamp, Empty
// and google.rpc.Status come from the shim's defs). Strata's own text; field numbers as
// published by protobuf.
export const FIELD_MASK_PROTO = `
package google.protobuf;

// Which fields of an object an Update call changes, as dotted paths ("labels",
// "labels.env", "spec"). No paths: the server replaces every field it allows to change.
message FieldMask {
  repeated string paths = 1;
}
`;
