// @strata/shim: containerd-shim-strata-v2 as a library. The manager (layers/manager) uses the
// ttrpc client and the task service descriptors to drive shims, this one or containerd's.
export * from './taskStates';
export { ShimError, type ShimErrorCode } from './errors';
export { TaskService } from './service';
export { SHIM_VERSION, DEFAULT_RUNTIME, DEFAULT_RUNTIME_ROOT } from './version';
export { EventPublisher, TOPIC_EVENT, type TaskTopic } from './events';
export { socketAddress, SOCKET_DIR } from './cli/address';
