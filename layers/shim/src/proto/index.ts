// The shim's protobuf messages: one schema built from Strata's .proto text (defs/), plus the
// JavaScript shapes of the messages the code handles and helpers for Any and Timestamp.
import { decode, encode, type MessageType } from './codec';
import { ProtoSchema } from './schema';
import { RPC_STATUS_PROTO, WELL_KNOWN_PROTO } from './defs/wellKnown';
import { TTRPC_PROTO } from './defs/ttrpc';
import { TASK_TYPES_PROTO, TYPES_PROTO } from './defs/types';
import { TASK_PROTO } from './defs/task';
import { EVENTS_PROTO, EVENTS_TTRPC_PROTO } from './defs/events';
import { RUNC_OPTIONS_PROTO, RUNTIME_OPTIONS_PROTO } from './defs/runc';
import { METRICS_V1_PROTO, METRICS_V2_PROTO } from './defs/metrics';

export { encode, decode, message, type MessageType, type FieldSpec, type Scalar } from './codec';
export { ProtoSchema, type ServiceSpec, type MethodSpec } from './schema';
export { ProtoError } from './wire';

/** Every .proto text of the shim, by file name (documentation and tests list them). */
export const PROTO_FILES: Record<string, string> = {
  'google/protobuf/wellknown.proto': WELL_KNOWN_PROTO,
  'google/rpc/status.proto': RPC_STATUS_PROTO,
  'ttrpc/request.proto': TTRPC_PROTO,
  'containerd/types/mount.proto': TYPES_PROTO,
  'containerd/types/task.proto': TASK_TYPES_PROTO,
  'containerd/task/v2/shim.proto': TASK_PROTO,
  'containerd/events/task.proto': EVENTS_PROTO,
  'containerd/services/events/ttrpc/v1/events.proto': EVENTS_TTRPC_PROTO,
  'containerd/runc/v1/options.proto': RUNC_OPTIONS_PROTO,
  'runtimeoptions/v1/api.proto': RUNTIME_OPTIONS_PROTO,
  'io/containerd/cgroups/v1/metrics.proto': METRICS_V1_PROTO,
  'io/containerd/cgroups/v2/metrics.proto': METRICS_V2_PROTO,
};

export const schema = new ProtoSchema();
for (const text of Object.values(PROTO_FILES)) schema.add(text);

// --- well-known types -------------------------------------------------------------------------
export interface Any {
  typeUrl: string;
  value: Uint8Array;
}
export interface Timestamp {
  seconds: number;
  nanos: number;
}
export interface RpcStatus {
  code: number;
  message: string;
  details: Any[];
}
export const AnyType = schema.message<Any>('google.protobuf.Any');
export const TimestampType = schema.message<Timestamp>('google.protobuf.Timestamp');
export const EmptyType = schema.message<Record<string, never>>('google.protobuf.Empty');
export const StatusType = schema.message<RpcStatus>('google.rpc.Status');

/** containerd's "unset" time (Go's zero time.Time): 0001-01-01T00:00:00Z. */
export const ZERO_TIME: Timestamp = { seconds: -62135596800, nanos: 0 };

export function toTimestamp(d: Date | undefined): Timestamp {
  if (!d) return ZERO_TIME;
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export function fromTimestamp(t: Timestamp | undefined): Date | undefined {
  if (!t || t.seconds === ZERO_TIME.seconds) return undefined;
  return new Date(t.seconds * 1000 + Math.floor(t.nanos / 1e6));
}

/** Wrap a message in an Any. containerd names types without the type.googleapis.com/ prefix. */
export function packAny<T>(type: MessageType<T>, value: Partial<T>): Any {
  return { typeUrl: type.fullName, value: encode(type, value) };
}

/** The type name inside an Any, with or without the type.googleapis.com/ prefix. */
export const anyTypeName = (a: Any) => a.typeUrl.slice(a.typeUrl.lastIndexOf('/') + 1);

/** Unwrap an Any holding a message of `type` (checks the type name). */
export function unpackAny<T>(type: MessageType<T>, a: Any): T {
  if (anyTypeName(a) !== type.fullName) throw new Error(`expected an Any of ${type.fullName}, got ${a.typeUrl}`);
  return decode(type, a.value);
}

// --- containerd types -------------------------------------------------------------------------
export interface Mount {
  type: string;
  source: string;
  target: string;
  options: string[];
}
export interface ProcessInfo {
  pid: number;
  info?: Any;
}

// --- the task service (containerd.task.v2) ----------------------------------------------------
export interface CreateTaskRequest {
  id: string;
  bundle: string;
  rootfs: Mount[];
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  checkpoint: string;
  parentCheckpoint: string;
  options?: Any;
}
export interface IdRequest {
  id: string;
  execId: string;
}
export interface ExecProcessRequest {
  id: string;
  execId: string;
  terminal: boolean;
  stdin: string;
  stdout: string;
  stderr: string;
  spec?: Any;
}
export interface ResizePtyRequest extends IdRequest {
  width: number;
  height: number;
}
export interface StateResponse {
  id: string;
  bundle: string;
  pid: number;
  status: number;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
  exitStatus: number;
  exitedAt?: Timestamp;
  execId: string;
}
export interface KillRequest extends IdRequest {
  signal: number;
  all: boolean;
}
export interface CloseIORequest extends IdRequest {
  stdin: boolean;
}
export interface UpdateTaskRequest {
  id: string;
  resources?: Any;
  annotations: Record<string, string>;
}
export interface CheckpointTaskRequest {
  id: string;
  path: string;
  options?: Any;
}
export interface ExitResponse {
  pid?: number;
  exitStatus: number;
  exitedAt?: Timestamp;
}
export interface ConnectResponse {
  shimPid: number;
  taskPid: number;
  version: string;
}
export interface ShutdownRequest {
  id: string;
  now: boolean;
}

export const TASK_SERVICE = schema.service('containerd.task.v2.Task');
export const EVENTS_SERVICE = schema.service('containerd.services.events.ttrpc.v1.Events');

// --- events -----------------------------------------------------------------------------------
export interface Envelope {
  timestamp?: Timestamp;
  namespace: string;
  topic: string;
  event?: Any;
}
export const EnvelopeType = schema.message<Envelope>('containerd.services.events.ttrpc.v1.Envelope');
export const ForwardRequestType = schema.message<{ envelope?: Envelope }>('containerd.services.events.ttrpc.v1.ForwardRequest');
/** containerd.events.<name>, e.g. event('TaskExit'). */
export const eventType = (name: string) => schema.message(`containerd.events.${name}`);

// --- runc options -----------------------------------------------------------------------------
export interface RuncOptions {
  noPivotRoot: boolean;
  noNewKeyring: boolean;
  shimCgroup: string;
  ioUid: number;
  ioGid: number;
  binaryName: string;
  root: string;
  criuPath: string;
  systemdCgroup: boolean;
  criuImagePath: string;
  criuWorkPath: string;
}
export const RuncOptionsType = schema.message<RuncOptions>('containerd.runc.v1.Options');
/** Task.Checkpoint's options (what `ctr task checkpoint` and containerd's runc shims use). */
export interface CheckpointOptions {
  exit: boolean;
  openTcp: boolean;
  externalUnixSockets: boolean;
  terminal: boolean;
  fileLocks: boolean;
  emptyNamespaces: string[];
  cgroupsMode: string;
  imagePath: string;
  workPath: string;
}
export const CheckpointOptionsType = schema.message<CheckpointOptions>('containerd.runc.v1.CheckpointOptions');
export const RuntimeOptionsType = schema.message<{ typeUrl: string; configPath: string; configBody: Uint8Array }>('runtimeoptions.v1.Options');
export const ProcessDetailsType = schema.message<{ execId: string }>('containerd.runc.v1.ProcessDetails');
export const MetricsV1Type = schema.message('io.containerd.cgroups.v1.Metrics');
export const MetricsV2Type = schema.message('io.containerd.cgroups.v2.Metrics');

// --- ttrpc envelope ---------------------------------------------------------------------------
export interface TtrpcRequest {
  service: string;
  method: string;
  payload: Uint8Array;
  timeoutNano: number;
  metadata: { key: string; value: string }[];
}
export interface TtrpcResponse {
  status?: RpcStatus;
  payload: Uint8Array;
}
export const TtrpcRequestType = schema.message<TtrpcRequest>('ttrpc.Request');
export const TtrpcResponseType = schema.message<TtrpcResponse>('ttrpc.Response');
