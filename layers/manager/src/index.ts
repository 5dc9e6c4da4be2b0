// @strata/manager as a library, for the layers above it (strata-cri, strata-engine). They talk to
// a manager — strata-manager or real containerd — only through its API, so what they import is
// the client side: ManagerClient and the client halves of pull, unpack, run and stdio (as
// dockerd and containerd's CRI plugin use containerd's Go client), plus the pure helpers that
// both sides share (image references, manifests, tar archives, errors, the gRPC plumbing).
export { ManagerClient, RemoteWriter, LEASE_HEADER, DEFAULT_ADDRESS, currentLease } from './client/client';
export { newContainer, startTask, removeContainer, getImage, specAny, SPEC_TYPE_URL, PROCESS_TYPE_URL, type NewContainerOptions, type StdStreams } from './client/run';
export { checkpointContainer, checkpointTask, checkpointTaskName, checkpointOptionsAny, CheckpointAnnotation, CHECKPOINT_LABEL, type CheckpointContainerOptions, type CheckpointTaskOptions, type CheckpointIndex } from './client/checkpoint';
export { restoreContainer, readCheckpoint, checkpointPart, type RestoreOptions } from './client/restore';
export { makeFifos, attach, FIFO_ROOT, type TaskFifos, type AttachedIO } from './client/io';
export { containerSpec, DEFAULT_CAPS, type SpecOptions, type ImageConfig as SpecImageConfig } from './client/spec';
export { resolveImage, unpackImage, unpackLayers, chainIds, type UnpackResult } from './client/unpack';
export { RemoteContentStore, RemoteImageStore } from './client/remoteStores';
export { pullImage as pullWithClient, type PullOptions as ClientPullOptions, type PullResult as ClientPullResult } from './client/pull';
export { ManagerError, GRPC_CODE, isManagerError, invalid, notFound, alreadyExists, precondition, type ManagerErrorCode } from './errors';
export { GrpcServer, GrpcClient, withCallMetadata, currentCallMetadata, fromStatus, NAMESPACE_HEADER, CLIENT_HEADER, type CallContext, type Handler, type CallObserver } from './api/grpc';
export * as managerApi from './api/protos';
export * from './images';
export * as distribution from './distribution';
export * as archive from './archive';
export type { Descriptor, Platform, Mount, Labels } from './types';
export { parseFilters, recordAdaptor, type Filter, type Adaptor } from './filters';
export { table, humanSize } from './cli/ctr/table';
