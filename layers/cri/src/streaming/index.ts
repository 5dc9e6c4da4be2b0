// @strata/cri streaming: the kubelet-style streaming server behind CRI Exec/Attach/PortForward and
// the matching clients (used by strata-crictl and the tests). See layers/cri/docs/streaming.md.
export type {
  StreamOpts,
  StreamingRuntime,
  TerminalSize,
  ResizeSource,
  StreamKind,
  ExecRequest,
  AttachRequest,
  PortForwardRequest,
  Transport,
  ExecClientOptions,
  PortForwardClientOptions,
} from './types';
export { StreamingServer, validateRequest, type StreamingServerOptions } from './server';
export { StreamingError } from './errors';
export { TerminalSizeQueue, onResize } from './resize';
export { execClient, attachClient } from './client/remoteCommand';
export { portForwardClient, parsePortSpec, type PortForwarding, type PortMapping } from './client/portForward';
export { REMOTECOMMAND_PROTOCOLS_SPDY, REMOTECOMMAND_PROTOCOLS_WEBSOCKET, PORTFORWARD_PROTOCOL } from './protocols';
