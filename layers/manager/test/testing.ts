// Test helpers the layers above reuse (`@strata/manager/testing`): a private strata-manager
// daemon, a local registry (Debian's docker-registry on 127.0.0.1), leak checks.
export { ManagerDaemon, mountsBelow, managerBin, ctrBin, IMAGE } from './harness';
export { startRegistry, startProxy, startTokenServer, haveRegistry, freePort, REGISTRY_BIN, type RunningRegistry, type RegistryAuth } from './registry';
