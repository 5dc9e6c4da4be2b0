// @strata/engine as a library: the Docker Engine API daemon (Engine), its HTTP plumbing, the
// container state table, and the stream framing helpers clients need.
export { Engine } from './engine';
export { parseArgs, DEFAULTS, DEFAULT_SOCKET, type EngineConfig } from './config';
export { ApiServer } from './api/server';
export { API_VERSION, MIN_API_VERSION } from './api/version';
export { frame, demux, RAW_STREAM, MULTIPLEXED_STREAM } from './api/stdcopy';
export type { Route, ApiRequest, ApiResponse, RouteHandler } from './api/types';
export { EngineError, invalidParam, notFound, conflict, isEngineError } from './errors';
export { containerStates, containerOps, assertAllowed, opAllowed, nextState, StateRefusal, type ContainerState, type ContainerOp } from './states';
export { containerStatesMermaid } from './statesDiagram';
export { protocols } from './protocols';
export { VERSION } from './version';
