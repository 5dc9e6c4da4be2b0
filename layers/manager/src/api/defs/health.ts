// grpc.health.v1: gRPC's standard health check. containerd serves it next to its own services
// (its Go client's IsServing calls Check); ctr itself does not use it.
export const HEALTH_PROTO = `
package grpc.health.v1;

service Health {
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}

// service empty: the server as a whole.
message HealthCheckRequest {
  string service = 1;
}

// Declared inside HealthCheckResponse in gRPC's text; flattened here (only its values travel).
enum HealthCheckResponseServingStatus {
  UNKNOWN = 0;
  SERVING = 1;
  NOT_SERVING = 2;
  SERVICE_UNKNOWN = 3;
}

message HealthCheckResponse {
  HealthCheckResponseServingStatus status = 1;
}
`;
