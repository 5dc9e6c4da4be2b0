// The manager's gRPC contract: containerd 1.6's API services, as Strata's own .proto text
// (api/defs/), read into one ProtoSchema together with the shim's files (Any, Timestamp, Empty,
// google.rpc.Status, containerd.types.Mount, containerd.v1.types.ProcessInfo, task events...).
//
// What this file exports:
//   - API_PROTO_FILES: the manager's .proto texts by file name (the shim's are PROTO_FILES);
//   - schema: the ProtoSchema holding both;
//   - one ServiceSpec per service (CONTAINERS_SERVICE, ...), and API_SERVICES listing them all;
//   - the JavaScript shapes of the messages, and the event types with their topics.
//
// Field names: the codec turns snake_case proto fields into camelCase properties
// (snapshot_key -> snapshotKey). Decoded messages always carry every scalar, list and map
// (defaults when absent); message-typed fields are undefined when absent, so they are optional
// here even where containerd's Go code treats them as always set.
//
// Interface names follow the proto message names. Where a proto name does not say which object
// it is about (content's Info, leases' CreateRequest, tasks' GetRequest), the object is put into
// the name (ContentInfo, CreateLeaseRequest, GetTaskRequest); each interface's comment gives the
// proto message it describes. Several names match the shim's (CreateTaskRequest, KillRequest...)
// with other fields: import this module as a namespace where both meet.
import { PROTO_FILES, ProtoSchema, type Any, type MessageType, type Mount, type ProcessInfo, type RpcStatus, type Timestamp } from '@strata/shim/proto';
import { FIELD_MASK_PROTO } from './defs/wellKnown';
import { CONTAINERD_TYPES_PROTO, PROCESS_TYPES_PROTO } from './defs/types';
import { VERSION_PROTO } from './defs/version';
import { HEALTH_PROTO } from './defs/health';
import { NAMESPACES_PROTO } from './defs/namespaces';
import { IMAGES_PROTO } from './defs/images';
import { CONTENT_PROTO } from './defs/content';
import { SNAPSHOTS_PROTO } from './defs/snapshots';
import { LEASES_PROTO } from './defs/leases';
import { CONTAINERS_PROTO } from './defs/containers';
import { TASKS_PROTO } from './defs/tasks';
import { EVENTS_SERVICE_PROTO, IMAGE_EVENTS_PROTO, OBJECT_EVENTS_PROTO } from './defs/events';
import { DIFF_PROTO } from './defs/diff';
import { INTROSPECTION_PROTO } from './defs/introspection';

/** The manager's .proto texts, by file name (containerd's layout under api/). */
export const API_PROTO_FILES: Record<string, string> = {
  'google/protobuf/field_mask.proto': FIELD_MASK_PROTO,
  'containerd/types/descriptor.proto': CONTAINERD_TYPES_PROTO,
  'containerd/types/task/process.proto': PROCESS_TYPES_PROTO,
  'grpc/health/v1/health.proto': HEALTH_PROTO,
  'containerd/services/version/v1/version.proto': VERSION_PROTO,
  'containerd/services/namespaces/v1/namespace.proto': NAMESPACES_PROTO,
  'containerd/services/images/v1/images.proto': IMAGES_PROTO,
  'containerd/services/content/v1/content.proto': CONTENT_PROTO,
  'containerd/services/snapshots/v1/snapshots.proto': SNAPSHOTS_PROTO,
  'containerd/services/leases/v1/leases.proto': LEASES_PROTO,
  'containerd/services/containers/v1/containers.proto': CONTAINERS_PROTO,
  'containerd/services/tasks/v1/tasks.proto': TASKS_PROTO,
  'containerd/services/events/v1/events.proto': EVENTS_SERVICE_PROTO,
  'containerd/services/diff/v1/diff.proto': DIFF_PROTO,
  'containerd/services/introspection/v1/introspection.proto': INTROSPECTION_PROTO,
  'containerd/events/objects.proto': OBJECT_EVENTS_PROTO,
  'containerd/events/image.proto': IMAGE_EVENTS_PROTO,
};

/** One schema: the shim's files first (the manager's refer to their messages), then ours. */
export const schema = new ProtoSchema();
for (const text of Object.values(PROTO_FILES)) schema.add(text);
for (const text of Object.values(API_PROTO_FILES)) schema.add(text);

// --- services ---------------------------------------------------------------------------------
export const VERSION_SERVICE = schema.service('containerd.services.version.v1.Version');
export const NAMESPACES_SERVICE = schema.service('containerd.services.namespaces.v1.Namespaces');
export const IMAGES_SERVICE = schema.service('containerd.services.images.v1.Images');
export const CONTENT_SERVICE = schema.service('containerd.services.content.v1.Content');
export const SNAPSHOTS_SERVICE = schema.service('containerd.services.snapshots.v1.Snapshots');
export const LEASES_SERVICE = schema.service('containerd.services.leases.v1.Leases');
export const CONTAINERS_SERVICE = schema.service('containerd.services.containers.v1.Containers');
export const TASKS_SERVICE = schema.service('containerd.services.tasks.v1.Tasks');
export const EVENTS_SERVICE = schema.service('containerd.services.events.v1.Events');
export const DIFF_SERVICE = schema.service('containerd.services.diff.v1.Diff');
export const INTROSPECTION_SERVICE = schema.service('containerd.services.introspection.v1.Introspection');
export const HEALTH_SERVICE = schema.service('grpc.health.v1.Health');

/** Every service the manager serves. */
export const API_SERVICES = [
  VERSION_SERVICE,
  NAMESPACES_SERVICE,
  IMAGES_SERVICE,
  CONTENT_SERVICE,
  SNAPSHOTS_SERVICE,
  LEASES_SERVICE,
  CONTAINERS_SERVICE,
  TASKS_SERVICE,
  EVENTS_SERVICE,
  DIFF_SERVICE,
  INTROSPECTION_SERVICE,
  HEALTH_SERVICE,
];

// --- shared types -----------------------------------------------------------------------------
export type { Any, Mount, ProcessInfo, RpcStatus, Timestamp };

/** google.protobuf.FieldMask */
export interface FieldMask {
  paths: string[];
}
/** containerd.types.Descriptor (the digest travels as its string form, "sha256:<hex>"). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations: Record<string, string>;
}
/** containerd.types.Platform */
export interface Platform {
  os: string;
  architecture: string;
  variant: string;
}
/** containerd.types.Metric */
export interface Metric {
  timestamp?: Timestamp;
  id: string;
  data?: Any;
}
/** containerd.v1.types.Status: the values of Process.status. */
export const ProcessStatus = { UNKNOWN: 0, CREATED: 1, RUNNING: 2, STOPPED: 3, PAUSED: 4, PAUSING: 5 } as const;
/** containerd.v1.types.Process */
export interface Process {
  containerId: string;
  id: string;
  pid: number;
  /** a ProcessStatus value */
  status: number;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt?: Timestamp;
}

// --- version ----------------------------------------------------------------------------------
/** containerd.services.version.v1.VersionResponse */
export interface VersionResponse {
  version: string;
  revision: string;
}

// --- health -----------------------------------------------------------------------------------
/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
/** grpc.health.v1.HealthCheckRequest */
export interface HealthCheckRequest {
  service: string;
}
/** grpc.health.v1.HealthCheckResponse */
export interface HealthCheckResponse {
  /** a ServingStatus value */
  status: number;
}

// --- namespaces -------------------------------------------------------------------------------
/** containerd.services.namespaces.v1.Namespace */
export interface Namespace {
  name: string;
  labels: Record<string, string>;
}
/** containerd.services.namespaces.v1.GetNamespaceRequest */
export interface GetNamespaceRequest {
  name: string;
}
/** containerd.services.namespaces.v1.GetNamespaceResponse */
export interface GetNamespaceResponse {
  namespace?: Namespace;
}
/** containerd.services.namespaces.v1.ListNamespacesRequest */
export interface ListNamespacesRequest {
  filter: string;
}
/** containerd.services.namespaces.v1.ListNamespacesResponse */
export interface ListNamespacesResponse {
  namespaces: Namespace[];
}
/** containerd.services.namespaces.v1.CreateNamespaceRequest */
export interface CreateNamespaceRequest {
  namespace?: Namespace;
}
/** containerd.services.namespaces.v1.CreateNamespaceResponse */
export interface CreateNamespaceResponse {
  namespace?: Namespace;
}
/** containerd.services.namespaces.v1.UpdateNamespaceRequest */
export interface UpdateNamespaceRequest {
  namespace?: Namespace;
  updateMask?: FieldMask;
}
/** containerd.services.namespaces.v1.UpdateNamespaceResponse */
export interface UpdateNamespaceResponse {
  namespace?: Namespace;
}
/** containerd.services.namespaces.v1.DeleteNamespaceRequest */
export interface DeleteNamespaceRequest {
  name: string;
}

// --- images -----------------------------------------------------------------------------------
/** containerd.services.images.v1.Image */
export interface Image {
  name: string;
  labels: Record<string, string>;
  target?: Descriptor;
  createdAt?: Timestamp;
  updatedAt?: Timestamp;
}
/** containerd.services.images.v1.GetImageRequest */
export interface GetImageRequest {
  name: string;
}
/** containerd.services.images.v1.GetImageResponse */
export interface GetImageResponse {
  image?: Image;
}
/** containerd.services.images.v1.CreateImageRequest */
export interface CreateImageRequest {
  image?: Image;
}
/** containerd.services.images.v1.CreateImageResponse */
export interface CreateImageResponse {
  image?: Image;
}
/** containerd.services.images.v1.UpdateImageRequest */
export interface UpdateImageRequest {
  image?: Image;
  updateMask?: FieldMask;
}
/** containerd.services.images.v1.UpdateImageResponse */
export interface UpdateImageResponse {
  image?: Image;
}
/** containerd.services.images.v1.ListImagesRequest */
export interface ListImagesRequest {
  filters: string[];
}
/** containerd.services.images.v1.ListImagesResponse */
export interface ListImagesResponse {
  images: Image[];
}
/** containerd.services.images.v1.DeleteImageRequest */
export interface DeleteImageRequest {
  name: string;
  sync: boolean;
}

// --- content ----------------------------------------------------------------------------------
/** containerd.services.content.v1.Info */
export interface ContentInfo {
  digest: string;
  size: number;
  createdAt?: Timestamp;
  updatedAt?: Timestamp;
  labels: Record<string, string>;
}
/** containerd.services.content.v1.InfoRequest */
export interface ContentInfoRequest {
  digest: string;
}
/** containerd.services.content.v1.InfoResponse */
export interface ContentInfoResponse {
  info?: ContentInfo;
}
/** containerd.services.content.v1.UpdateRequest */
export interface UpdateContentRequest {
  info?: ContentInfo;
  updateMask?: FieldMask;
}
/** containerd.services.content.v1.UpdateResponse */
export interface UpdateContentResponse {
  info?: ContentInfo;
}
/** containerd.services.content.v1.ListContentRequest */
export interface ListContentRequest {
  filters: string[];
}
/** containerd.services.content.v1.ListContentResponse (one message of the List stream) */
export interface ListContentResponse {
  info: ContentInfo[];
}
/** containerd.services.content.v1.DeleteContentRequest */
export interface DeleteContentRequest {
  digest: string;
}
/** containerd.services.content.v1.ReadContentRequest */
export interface ReadContentRequest {
  digest: string;
  offset: number;
  /** 0: to the end of the blob */
  size: number;
}
/** containerd.services.content.v1.ReadContentResponse (one message of the Read stream) */
export interface ReadContentResponse {
  offset: number;
  data: Uint8Array;
}
/** containerd.services.content.v1.Status */
export interface ContentStatus {
  startedAt?: Timestamp;
  updatedAt?: Timestamp;
  ref: string;
  offset: number;
  total: number;
  expected: string;
}
/** containerd.services.content.v1.StatusRequest */
export interface ContentStatusRequest {
  ref: string;
}
/** containerd.services.content.v1.StatusResponse */
export interface ContentStatusResponse {
  status?: ContentStatus;
}
/** containerd.services.content.v1.ListStatusesRequest */
export interface ListStatusesRequest {
  filters: string[];
}
/** containerd.services.content.v1.ListStatusesResponse */
export interface ListStatusesResponse {
  statuses: ContentStatus[];
}
/** containerd.services.content.v1.WriteAction */
export const WriteAction = { STAT: 0, WRITE: 1, COMMIT: 2 } as const;
/** containerd.services.content.v1.WriteContentRequest (one message of the Write stream) */
export interface WriteContentRequest {
  /** a WriteAction value */
  action: number;
  ref: string;
  total: number;
  expected: string;
  offset: number;
  data: Uint8Array;
  labels: Record<string, string>;
}
/** containerd.services.content.v1.WriteContentResponse (one answer on the Write stream) */
export interface WriteContentResponse {
  /** a WriteAction value */
  action: number;
  startedAt?: Timestamp;
  updatedAt?: Timestamp;
  offset: number;
  total: number;
  digest: string;
}
/** containerd.services.content.v1.AbortRequest */
export interface AbortContentRequest {
  ref: string;
}

// --- snapshots --------------------------------------------------------------------------------
/** containerd.services.snapshots.v1.Kind */
export const SnapshotKind = { UNKNOWN: 0, VIEW: 1, ACTIVE: 2, COMMITTED: 3 } as const;
/** containerd.services.snapshots.v1.Info */
export interface SnapshotInfo {
  name: string;
  parent: string;
  /** a SnapshotKind value */
  kind: number;
  createdAt?: Timestamp;
  updatedAt?: Timestamp;
  labels: Record<string, string>;
}
/** containerd.services.snapshots.v1.PrepareSnapshotRequest */
export interface PrepareSnapshotRequest {
  snapshotter: string;
  key: string;
  parent: string;
  labels: Record<string, string>;
}
/** containerd.services.snapshots.v1.PrepareSnapshotResponse */
export interface PrepareSnapshotResponse {
  mounts: Mount[];
}
/** containerd.services.snapshots.v1.ViewSnapshotRequest */
export interface ViewSnapshotRequest {
  snapshotter: string;
  key: string;
  parent: string;
  labels: Record<string, string>;
}
/** containerd.services.snapshots.v1.ViewSnapshotResponse */
export interface ViewSnapshotResponse {
  mounts: Mount[];
}
/** containerd.services.snapshots.v1.MountsRequest */
export interface MountsRequest {
  snapshotter: string;
  key: string;
}
/** containerd.services.snapshots.v1.MountsResponse */
export interface MountsResponse {
  mounts: Mount[];
}
/** containerd.services.snapshots.v1.RemoveSnapshotRequest */
export interface RemoveSnapshotRequest {
  snapshotter: string;
  key: string;
}
/** containerd.services.snapshots.v1.CommitSnapshotRequest */
export interface CommitSnapshotRequest {
  snapshotter: string;
  name: string;
  key: string;
  labels: Record<string, string>;
}
/** containerd.services.snapshots.v1.StatSnapshotRequest */
export interface StatSnapshotRequest {
  snapshotter: string;
  key: string;
}
/** containerd.services.snapshots.v1.StatSnapshotResponse */
export interface StatSnapshotResponse {
  info?: SnapshotInfo;
}
/** containerd.services.snapshots.v1.UpdateSnapshotRequest */
export interface UpdateSnapshotRequest {
  snapshotter: string;
  info?: SnapshotInfo;
  updateMask?: FieldMask;
}
/** containerd.services.snapshots.v1.UpdateSnapshotResponse */
export interface UpdateSnapshotResponse {
  info?: SnapshotInfo;
}
/** containerd.services.snapshots.v1.ListSnapshotsRequest */
export interface ListSnapshotsRequest {
  snapshotter: string;
  filters: string[];
}
/** containerd.services.snapshots.v1.ListSnapshotsResponse (one message of the List stream) */
export interface ListSnapshotsResponse {
  info: SnapshotInfo[];
}
/** containerd.services.snapshots.v1.UsageRequest */
export interface UsageRequest {
  snapshotter: string;
  key: string;
}
/** containerd.services.snapshots.v1.UsageResponse */
export interface UsageResponse {
  size: number;
  inodes: number;
}
/** containerd.services.snapshots.v1.CleanupRequest */
export interface CleanupRequest {
  snapshotter: string;
}

// --- leases -----------------------------------------------------------------------------------
/** containerd.services.leases.v1.Lease */
export interface Lease {
  id: string;
  createdAt?: Timestamp;
  labels: Record<string, string>;
}
/** containerd.services.leases.v1.Resource */
export interface LeaseResource {
  id: string;
  type: string;
}
/** containerd.services.leases.v1.CreateRequest */
export interface CreateLeaseRequest {
  id: string;
  labels: Record<string, string>;
}
/** containerd.services.leases.v1.CreateResponse */
export interface CreateLeaseResponse {
  lease?: Lease;
}
/** containerd.services.leases.v1.DeleteRequest */
export interface DeleteLeaseRequest {
  id: string;
  sync: boolean;
}
/** containerd.services.leases.v1.ListRequest */
export interface ListLeasesRequest {
  filters: string[];
}
/** containerd.services.leases.v1.ListResponse */
export interface ListLeasesResponse {
  leases: Lease[];
}
/** containerd.services.leases.v1.AddResourceRequest */
export interface AddResourceRequest {
  id: string;
  resource?: LeaseResource;
}
/** containerd.services.leases.v1.DeleteResourceRequest */
export interface DeleteResourceRequest {
  id: string;
  resource?: LeaseResource;
}
/** containerd.services.leases.v1.ListResourcesRequest */
export interface ListResourcesRequest {
  id: string;
}
/** containerd.services.leases.v1.ListResourcesResponse */
export interface ListResourcesResponse {
  resources: LeaseResource[];
}

// --- containers -------------------------------------------------------------------------------
/** containerd.services.containers.v1.Container.Runtime (ContainerRuntime in our text) */
export interface ContainerRuntime {
  name: string;
  options?: Any;
}
/** containerd.services.containers.v1.Container */
export interface Container {
  id: string;
  labels: Record<string, string>;
  image: string;
  runtime?: ContainerRuntime;
  spec?: Any;
  snapshotter: string;
  snapshotKey: string;
  createdAt?: Timestamp;
  updatedAt?: Timestamp;
  extensions: Record<string, Any>;
}
/** containerd.services.containers.v1.GetContainerRequest */
export interface GetContainerRequest {
  id: string;
}
/** containerd.services.containers.v1.GetContainerResponse */
export interface GetContainerResponse {
  container?: Container;
}
/** containerd.services.containers.v1.ListContainersRequest (also the ListStream request) */
export interface ListContainersRequest {
  filters: string[];
}
/** containerd.services.containers.v1.ListContainersResponse */
export interface ListContainersResponse {
  containers: Container[];
}
/** containerd.services.containers.v1.ListContainerMessage (one message of ListStream) */
export interface ListContainerMessage {
  container?: Container;
}
/** containerd.services.containers.v1.CreateContainerRequest */
export interface CreateContainerRequest {
  container?: Container;
}
/** containerd.services.containers.v1.CreateContainerResponse */
export interface CreateContainerResponse {
  container?: Container;
}
/** containerd.services.containers.v1.UpdateContainerRequest */
export interface UpdateContainerRequest {
  container?: Container;
  updateMask?: FieldMask;
}
/** containerd.services.containers.v1.UpdateContainerResponse */
export interface UpdateContainerResponse {
  container?: Container;
}
/** containerd.services.containers.v1.DeleteContainerRequest */
export interface DeleteContainerRequest {
  id: string;
}

// --- tasks ------------------------------------------------------------------------------------
/** containerd.services.tasks.v1.CreateTaskRequest */
export interface CreateTaskRequest {
  containerId: string;
  rootfs: Mount[];
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  checkpoint?: Descriptor;
  options?: Any;
  runtimePath: string;
}
/** containerd.services.tasks.v1.CreateTaskResponse */
export interface CreateTaskResponse {
  containerId: string;
  pid: number;
}
/** containerd.services.tasks.v1.StartRequest */
export interface StartTaskRequest {
  containerId: string;
  execId: string;
}
/** containerd.services.tasks.v1.StartResponse */
export interface StartTaskResponse {
  pid: number;
}
/** containerd.services.tasks.v1.DeleteTaskRequest */
export interface DeleteTaskRequest {
  containerId: string;
}
/** containerd.services.tasks.v1.DeleteResponse (the answer of Delete and DeleteProcess) */
export interface DeleteTaskResponse {
  id: string;
  pid: number;
  exitStatus: number;
  exitedAt?: Timestamp;
}
/** containerd.services.tasks.v1.DeleteProcessRequest */
export interface DeleteProcessRequest {
  containerId: string;
  execId: string;
}
/** containerd.services.tasks.v1.GetRequest */
export interface GetTaskRequest {
  containerId: string;
  execId: string;
}
/** containerd.services.tasks.v1.GetResponse */
export interface GetTaskResponse {
  process?: Process;
}
/** containerd.services.tasks.v1.ListTasksRequest */
export interface ListTasksRequest {
  filter: string;
}
/** containerd.services.tasks.v1.ListTasksResponse */
export interface ListTasksResponse {
  tasks: Process[];
}
/** containerd.services.tasks.v1.KillRequest */
export interface KillTaskRequest {
  containerId: string;
  execId: string;
  signal: number;
  all: boolean;
}
/** containerd.services.tasks.v1.ExecProcessRequest */
export interface ExecProcessRequest {
  containerId: string;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  spec?: Any;
  execId: string;
}
/** containerd.services.tasks.v1.ResizePtyRequest */
export interface ResizePtyRequest {
  containerId: string;
  execId: string;
  width: number;
  height: number;
}
/** containerd.services.tasks.v1.CloseIORequest */
export interface CloseIORequest {
  containerId: string;
  execId: string;
  stdin: boolean;
}
/** containerd.services.tasks.v1.PauseTaskRequest */
export interface PauseTaskRequest {
  containerId: string;
}
/** containerd.services.tasks.v1.ResumeTaskRequest */
export interface ResumeTaskRequest {
  containerId: string;
}
/** containerd.services.tasks.v1.ListPidsRequest */
export interface ListPidsRequest {
  containerId: string;
}
/** containerd.services.tasks.v1.ListPidsResponse */
export interface ListPidsResponse {
  processes: ProcessInfo[];
}
/** containerd.services.tasks.v1.CheckpointTaskRequest */
export interface CheckpointTaskRequest {
  containerId: string;
  parentCheckpoint: string;
  options?: Any;
}
/** containerd.services.tasks.v1.CheckpointTaskResponse */
export interface CheckpointTaskResponse {
  descriptors: Descriptor[];
}
/** containerd.services.tasks.v1.UpdateTaskRequest */
export interface UpdateTaskRequest {
  containerId: string;
  resources?: Any;
  annotations: Record<string, string>;
}
/** containerd.services.tasks.v1.MetricsRequest */
export interface TaskMetricsRequest {
  filters: string[];
}
/** containerd.services.tasks.v1.MetricsResponse */
export interface TaskMetricsResponse {
  metrics: Metric[];
}
/** containerd.services.tasks.v1.WaitRequest */
export interface WaitTaskRequest {
  containerId: string;
  execId: string;
}
/** containerd.services.tasks.v1.WaitResponse */
export interface WaitTaskResponse {
  exitStatus: number;
  exitedAt?: Timestamp;
}

// --- events -----------------------------------------------------------------------------------
/** containerd.services.events.v1.PublishRequest */
export interface PublishRequest {
  topic: string;
  event?: Any;
}
/** containerd.services.events.v1.Envelope */
export interface Envelope {
  timestamp?: Timestamp;
  namespace: string;
  topic: string;
  event?: Any;
}
/** containerd.services.events.v1.ForwardRequest */
export interface ForwardRequest {
  envelope?: Envelope;
}
/** containerd.services.events.v1.SubscribeRequest */
export interface SubscribeRequest {
  filters: string[];
}

// --- diff -------------------------------------------------------------------------------------
/** containerd.services.diff.v1.ApplyRequest */
export interface ApplyRequest {
  diff?: Descriptor;
  mounts: Mount[];
  payloads: Record<string, Any>;
}
/** containerd.services.diff.v1.ApplyResponse */
export interface ApplyResponse {
  applied?: Descriptor;
}
/** containerd.services.diff.v1.DiffRequest */
export interface DiffRequest {
  left: Mount[];
  right: Mount[];
  mediaType: string;
  ref: string;
  labels: Record<string, string>;
}
/** containerd.services.diff.v1.DiffResponse */
export interface DiffResponse {
  diff?: Descriptor;
}

// --- introspection ----------------------------------------------------------------------------
/** containerd.services.introspection.v1.Plugin */
export interface Plugin {
  type: string;
  id: string;
  requires: string[];
  platforms: Platform[];
  exports: Record<string, string>;
  capabilities: string[];
  initErr?: RpcStatus;
}
/** containerd.services.introspection.v1.PluginsRequest */
export interface PluginsRequest {
  filters: string[];
}
/** containerd.services.introspection.v1.PluginsResponse */
export interface PluginsResponse {
  plugins: Plugin[];
}
/** containerd.services.introspection.v1.ServerResponse */
export interface ServerResponse {
  uuid: string;
}

// --- the events of the objects the manager owns -------------------------------------------------
// Published inside an Any whose type_url is the full name below (packAny does that).
/** containerd.events.ContainerCreate */
export interface ContainerCreate {
  id: string;
  image: string;
  runtime?: ContainerRuntime;
}
/** containerd.events.ContainerUpdate */
export interface ContainerUpdate {
  id: string;
  image: string;
  labels: Record<string, string>;
  snapshotKey: string;
}
/** containerd.events.ContainerDelete */
export interface ContainerDelete {
  id: string;
}
/** containerd.events.ContentDelete */
export interface ContentDelete {
  digest: string;
}
/** containerd.services.images.v1.ImageCreate / ImageUpdate */
export interface ImageCreate {
  name: string;
  labels: Record<string, string>;
}
export type ImageUpdate = ImageCreate;
/** containerd.services.images.v1.ImageDelete */
export interface ImageDelete {
  name: string;
}
/** containerd.events.NamespaceCreate / NamespaceUpdate */
export interface NamespaceCreate {
  name: string;
  labels: Record<string, string>;
}
export type NamespaceUpdate = NamespaceCreate;
/** containerd.events.NamespaceDelete */
export interface NamespaceDelete {
  name: string;
}
/** containerd.events.SnapshotPrepare */
export interface SnapshotPrepare {
  key: string;
  parent: string;
}
/** containerd.events.SnapshotCommit */
export interface SnapshotCommit {
  key: string;
  name: string;
}
/** containerd.events.SnapshotRemove */
export interface SnapshotRemove {
  key: string;
}

/** Topic -> event message, for the events the manager itself publishes (as containerd does). */
export const EVENT_TYPES = {
  '/containers/create': schema.message<ContainerCreate>('containerd.events.ContainerCreate'),
  '/containers/update': schema.message<ContainerUpdate>('containerd.events.ContainerUpdate'),
  '/containers/delete': schema.message<ContainerDelete>('containerd.events.ContainerDelete'),
  '/content/delete': schema.message<ContentDelete>('containerd.events.ContentDelete'),
  '/images/create': schema.message<ImageCreate>('containerd.services.images.v1.ImageCreate'),
  '/images/update': schema.message<ImageUpdate>('containerd.services.images.v1.ImageUpdate'),
  '/images/delete': schema.message<ImageDelete>('containerd.services.images.v1.ImageDelete'),
  '/namespaces/create': schema.message<NamespaceCreate>('containerd.events.NamespaceCreate'),
  '/namespaces/update': schema.message<NamespaceUpdate>('containerd.events.NamespaceUpdate'),
  '/namespaces/delete': schema.message<NamespaceDelete>('containerd.events.NamespaceDelete'),
  '/snapshot/prepare': schema.message<SnapshotPrepare>('containerd.events.SnapshotPrepare'),
  '/snapshot/commit': schema.message<SnapshotCommit>('containerd.events.SnapshotCommit'),
  '/snapshot/remove': schema.message<SnapshotRemove>('containerd.events.SnapshotRemove'),
} satisfies Record<string, MessageType<any>>;

/** The Envelope the Subscribe stream sends (also used to store events in the exchange). */
export const EnvelopeType = schema.message<Envelope>('containerd.services.events.v1.Envelope');
