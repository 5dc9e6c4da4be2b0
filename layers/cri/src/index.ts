// @strata/cri as a library: the CRI v1 contract (protos), the server and its two services, the
// configuration, and the client strata-crictl uses (for tests and tools that drive a CRI runtime:
// strata-cri, containerd's CRI plugin or CRI-O alike).
export * as criApi from './api/protos';
export { RUNTIME_SERVICE, IMAGE_SERVICE, CRI_PROTO_FILES, CRI_API_VERSION } from './api/protos';
export { CriServer, versionResponse, type CriServerOptions } from './server';
export { CriImageService, type ImageServiceOptions } from './image/service';
export { loadConfig, addMirror, DEFAULTS as CRI_DEFAULTS, CRI_NAMESPACE, VERSION, type CriConfig } from './config';
export { CriClient } from './cli/crictl/client';
export { protocols } from './protocols';
