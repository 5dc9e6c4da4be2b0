// The registry client (OCI distribution-spec / Docker Registry HTTP API v2) and pull/push.
export { RegistryClient, Repository, type RegistryOptions, type Resolved } from './registry';
export { Authorizer, parseWWWAuthenticate, loadDockerConfig, normalizeConfigHost, type Credentials, type Challenge } from './auth';
export { registryHosts, isLocalHost, apiUrl, type RegistryHost, type HostsConfig, type HostCapability } from './hosts';
export { fetchToStore, refKey, type ProgressEvent, type ProgressStatus, type ProgressFn, type FetchOptions } from './fetch';
export { pullImage, runLimited, DISTRIBUTION_SOURCE_PREFIX, type PullDeps, type PullOptions, type PullResult } from './pull';
export { pushImage, type PushDeps, type PushOptions } from './push';
export type { TlsOptions } from './http';
