// A client for containerd's API — strata-manager's or real containerd's, it cannot tell. This is
// what containerd's Go client library is to ctr and dockerd: typed calls per service, plus the
// client-side halves of pull (fetch into the content store), unpack (diff + snapshots) and run.
import crypto from 'node:crypto';
import { currentCallMetadata, GrpcClient, withCallMetadata, type DuplexCall } from '../api/grpc';
import * as api from '../api/protos';
import { ManagerError } from '../errors';
import type { Descriptor, Mount } from '../types';

export const LEASE_HEADER = 'containerd-lease';
export const DEFAULT_ADDRESS = '/run/strata-manager/strata-manager.sock';

/** The lease of the current operation (inside withLease), if any. */
export const currentLease = (): string | undefined => currentCallMetadata(LEASE_HEADER);

export class ManagerClient {
  readonly grpc: GrpcClient;

  constructor(
    readonly address: string = DEFAULT_ADDRESS,
    namespace = 'default',
  ) {
    this.grpc = new GrpcClient(address, namespace);
  }

  get namespace(): string {
    return this.grpc.namespace;
  }

  private call<T = any>(spec: typeof api.VERSION_SERVICE, method: string, req: object = {}): Promise<T> {
    return this.grpc.call<T>(spec, method, req);
  }

  close(): void {
    this.grpc.close();
  }

  version(): Promise<{ version: string; revision: string }> {
    return this.call(api.VERSION_SERVICE, 'Version');
  }

  serverUuid(): Promise<string> {
    return this.call<{ uuid: string }>(api.INTROSPECTION_SERVICE, 'Server').then((r) => r.uuid);
  }

  plugins(filters: string[] = []): Promise<any[]> {
    return this.call<{ plugins: any[] }>(api.INTROSPECTION_SERVICE, 'Plugins', { filters }).then((r) => r.plugins);
  }

  // --- leases: hold what a multi-step operation creates until it is referenced ------------------
  /**
   * Run fn under a new lease (or the one of an enclosing withLease): everything its calls create
   * is held by the lease until fn is done. The lease travels with the async operation
   * (withCallMetadata), as containerd's client carries it in a context: concurrent operations on
   * one client each have their own.
   */
  async withLease<T>(fn: () => Promise<T>, expireMinutes = 60): Promise<T> {
    if (currentLease()) return fn();
    const id = `strata-ctr-${Date.now()}-${crypto.randomBytes(4).toString('hex')}`;
    const expire = new Date(Date.now() + expireMinutes * 60_000).toISOString();
    await this.call(api.LEASES_SERVICE, 'Create', { id, labels: { 'containerd.io/gc.expire': expire } });
    try {
      return await withCallMetadata({ [LEASE_HEADER]: id }, fn);
    } finally {
      await this.call(api.LEASES_SERVICE, 'Delete', { id }).catch(() => {});
    }
  }

  leases = {
    list: (filters: string[] = []) => this.call<{ leases: any[] }>(api.LEASES_SERVICE, 'List', { filters }).then((r) => r.leases),
    create: (id: string, labels: Record<string, string> = {}) => this.call(api.LEASES_SERVICE, 'Create', { id, labels }),
    delete: (id: string, sync = false) => this.call(api.LEASES_SERVICE, 'Delete', { id, sync }),
  };

  namespaces = {
    list: () => this.call<{ namespaces: { name: string; labels: Record<string, string> }[] }>(api.NAMESPACES_SERVICE, 'List').then((r) => r.namespaces),
    create: (name: string, labels: Record<string, string> = {}) => this.call(api.NAMESPACES_SERVICE, 'Create', { namespace: { name, labels } }),
    delete: (name: string) => this.call(api.NAMESPACES_SERVICE, 'Delete', { name }),
  };

  // --- content ------------------------------------------------------------------------------------
  content = {
    info: (digest: string) => this.call<{ info: api.ContentInfo }>(api.CONTENT_SERVICE, 'Info', { digest }).then((r) => r.info),
    has: async (digest: string) => {
      try {
        await this.content.info(digest);
        return true;
      } catch (e) {
        if (e instanceof ManagerError && e.code === 'NOT_FOUND') return false;
        throw e;
      }
    },
    update: (digest: string, labels: Record<string, string>, paths: string[]) => this.call(api.CONTENT_SERVICE, 'Update', { info: { digest, labels }, updateMask: { paths } }),
    list: async (filters: string[] = []) => {
      const out: api.ContentInfo[] = [];
      for await (const r of this.grpc.stream<{ info: api.ContentInfo[] }>(api.CONTENT_SERVICE, 'List', { filters })) out.push(...r.info);
      return out;
    },
    delete: (digest: string) => this.call(api.CONTENT_SERVICE, 'Delete', { digest }),
    /** The whole blob (verified by the server as it reads; checked again here). */
    read: async (desc: Pick<Descriptor, 'digest' | 'size'>): Promise<Buffer> => {
      const parts: Buffer[] = [];
      for await (const r of this.grpc.stream<{ offset: number; data: Uint8Array }>(api.CONTENT_SERVICE, 'Read', { digest: desc.digest, offset: 0, size: 0 })) parts.push(Buffer.from(r.data));
      const buf = Buffer.concat(parts);
      const got = `sha256:${crypto.createHash('sha256').update(buf).digest('hex')}`;
      if (got !== desc.digest) throw new ManagerError('DATA_LOSS', `content ${desc.digest}: read ${got} instead`);
      return buf;
    },
    readStream: (digest: string) => this.grpc.stream<{ offset: number; data: Uint8Array }>(api.CONTENT_SERVICE, 'Read', { digest, offset: 0, size: 0 }),
    statuses: (filters: string[] = []) => this.call<{ statuses: api.ContentStatus[] }>(api.CONTENT_SERVICE, 'ListStatuses', { filters }).then((r) => r.statuses),
    abort: (ref: string) => this.call(api.CONTENT_SERVICE, 'Abort', { ref }),
    writer: (ref: string, total = 0, expected = '') => RemoteWriter.open(this.grpc, ref, total, expected),
  };

  // --- images -------------------------------------------------------------------------------------
  images = {
    get: (name: string) => this.call<{ image: api.Image }>(api.IMAGES_SERVICE, 'Get', { name }).then((r) => r.image),
    list: (filters: string[] = []) => this.call<{ images: api.Image[] }>(api.IMAGES_SERVICE, 'List', { filters }).then((r) => r.images),
    create: (image: { name: string; labels?: Record<string, string>; target: Descriptor }) => this.call<{ image: api.Image }>(api.IMAGES_SERVICE, 'Create', { image }).then((r) => r.image),
    update: (image: { name: string; labels?: Record<string, string>; target: Descriptor }, paths: string[] = []) =>
      this.call<{ image: api.Image }>(api.IMAGES_SERVICE, 'Update', { image, updateMask: paths.length ? { paths } : undefined }).then((r) => r.image),
    /** Create, or update the target and labels if the name exists (what pull and import do). */
    put: async (image: { name: string; labels?: Record<string, string>; target: Descriptor }) => {
      try {
        return await this.images.create(image);
      } catch (e) {
        if (!(e instanceof ManagerError && e.code === 'ALREADY_EXISTS')) throw e;
        return this.images.update(image, ['target', 'labels']);
      }
    },
    delete: (name: string, sync = false) => this.call(api.IMAGES_SERVICE, 'Delete', { name, sync }),
  };

  // --- snapshots and diff -------------------------------------------------------------------------
  snapshots(snapshotter = 'overlayfs') {
    const S = api.SNAPSHOTS_SERVICE;
    return {
      prepare: (key: string, parent = '', labels: Record<string, string> = {}) => this.call<{ mounts: Mount[] }>(S, 'Prepare', { snapshotter, key, parent, labels }).then((r) => r.mounts),
      view: (key: string, parent = '', labels: Record<string, string> = {}) => this.call<{ mounts: Mount[] }>(S, 'View', { snapshotter, key, parent, labels }).then((r) => r.mounts),
      mounts: (key: string) => this.call<{ mounts: Mount[] }>(S, 'Mounts', { snapshotter, key }).then((r) => r.mounts),
      commit: (name: string, key: string, labels: Record<string, string> = {}) => this.call(S, 'Commit', { snapshotter, name, key, labels }),
      remove: (key: string) => this.call(S, 'Remove', { snapshotter, key }),
      stat: (key: string) => this.call<{ info: api.SnapshotInfo }>(S, 'Stat', { snapshotter, key }).then((r) => r.info),
      exists: async (key: string) => {
        try {
          await this.call(S, 'Stat', { snapshotter, key });
          return true;
        } catch (e) {
          if (e instanceof ManagerError && e.code === 'NOT_FOUND') return false;
          throw e;
        }
      },
      usage: (key: string) => this.call<{ size: number; inodes: number }>(S, 'Usage', { snapshotter, key }),
      list: async (filters: string[] = []) => {
        const out: api.SnapshotInfo[] = [];
        for await (const r of this.grpc.stream<{ info: api.SnapshotInfo[] }>(S, 'List', { snapshotter, filters })) out.push(...r.info);
        return out;
      },
    };
  }

  diff = {
    apply: (diff: Descriptor, mounts: Mount[]) => this.call<{ applied: Descriptor }>(api.DIFF_SERVICE, 'Apply', { diff: { annotations: {}, ...diff }, mounts }).then((r) => r.applied),
    diff: (left: Mount[], right: Mount[], mediaType: string, ref = '', labels: Record<string, string> = {}) =>
      this.call<{ diff: Descriptor }>(api.DIFF_SERVICE, 'Diff', { left, right, mediaType, ref, labels }).then((r) => r.diff),
  };

  // --- containers and tasks -----------------------------------------------------------------------
  containers = {
    get: (id: string) => this.call<{ container: any }>(api.CONTAINERS_SERVICE, 'Get', { id }).then((r) => r.container),
    list: (filters: string[] = []) => this.call<{ containers: any[] }>(api.CONTAINERS_SERVICE, 'List', { filters }).then((r) => r.containers),
    create: (container: object) => this.call<{ container: any }>(api.CONTAINERS_SERVICE, 'Create', { container }).then((r) => r.container),
    update: (container: object, paths: string[]) => this.call<{ container: any }>(api.CONTAINERS_SERVICE, 'Update', { container, updateMask: { paths } }).then((r) => r.container),
    delete: (id: string) => this.call(api.CONTAINERS_SERVICE, 'Delete', { id }),
  };

  tasks = {
    /** `checkpoint`: a criu tar descriptor (from a checkpoint image): the task is restored from it. */
    create: (r: { containerId: string; rootfs?: Mount[]; stdin?: string; stdout?: string; stderr?: string; terminal?: boolean; options?: any; runtimePath?: string; checkpoint?: Descriptor }) =>
      this.call<{ containerId: string; pid: number }>(api.TASKS_SERVICE, 'Create', r),
    start: (containerId: string, execId = '') => this.call<{ pid: number }>(api.TASKS_SERVICE, 'Start', { containerId, execId }).then((r) => r.pid),
    delete: (containerId: string) => this.call<{ id: string; pid: number; exitStatus: number; exitedAt?: any }>(api.TASKS_SERVICE, 'Delete', { containerId }),
    deleteProcess: (containerId: string, execId: string) => this.call(api.TASKS_SERVICE, 'DeleteProcess', { containerId, execId }),
    get: (containerId: string, execId = '') => this.call<{ process: api.Process }>(api.TASKS_SERVICE, 'Get', { containerId, execId }).then((r) => r.process),
    list: () => this.call<{ tasks: api.Process[] }>(api.TASKS_SERVICE, 'List', {}).then((r) => r.tasks),
    kill: (containerId: string, signal: number, o: { execId?: string; all?: boolean } = {}) => this.call(api.TASKS_SERVICE, 'Kill', { containerId, signal, execId: o.execId ?? '', all: !!o.all }),
    exec: (r: { containerId: string; execId: string; spec: any; stdin?: string; stdout?: string; stderr?: string; terminal?: boolean }) => this.call(api.TASKS_SERVICE, 'Exec', r),
    resize: (containerId: string, width: number, height: number, execId = '') => this.call(api.TASKS_SERVICE, 'ResizePty', { containerId, execId, width, height }),
    closeIO: (containerId: string, execId = '') => this.call(api.TASKS_SERVICE, 'CloseIO', { containerId, execId, stdin: true }),
    pause: (containerId: string) => this.call(api.TASKS_SERVICE, 'Pause', { containerId }),
    resume: (containerId: string) => this.call(api.TASKS_SERVICE, 'Resume', { containerId }),
    /** CRIU-dump the task; the answer lists the blobs written (criu tar, spec), none with options.image_path. */
    checkpoint: (containerId: string, options?: api.Any, parentCheckpoint = '') =>
      this.call<{ descriptors: api.Descriptor[] }>(api.TASKS_SERVICE, 'Checkpoint', { containerId, parentCheckpoint, options }).then((r) => r.descriptors),
    pids: (containerId: string) => this.call<{ processes: { pid: number; info?: any }[] }>(api.TASKS_SERVICE, 'ListPids', { containerId }).then((r) => r.processes),
    metrics: (ids: string[]) => this.call<{ metrics: api.Metric[] }>(api.TASKS_SERVICE, 'Metrics', { filters: ids.map((id) => `id==${id}`) }).then((r) => r.metrics),
    wait: (containerId: string, execId = '') => this.call<{ exitStatus: number; exitedAt?: any }>(api.TASKS_SERVICE, 'Wait', { containerId, execId }),
  };

  /** Events as they happen, until `signal` aborts. */
  events(filters: string[] = [], signal?: AbortSignal) {
    return this.grpc.stream<{ timestamp?: any; namespace: string; topic: string; event?: any }>(api.EVENTS_SERVICE, 'Subscribe', { filters }, { signal, namespace: '' });
  }
}

/**
 * A content writer over the Content.Write stream (containerd's remote writer): STAT first
 * (which tells how much of this ref is already there, so a broken pull resumes), then WRITE
 * chunks at offsets, then COMMIT with the expected size and digest.
 */
export class RemoteWriter {
  private constructor(
    private readonly call: DuplexCall<any, any>,
    readonly ref: string,
    public offset: number,
    readonly total: number,
  ) {}

  static async open(grpc: GrpcClient, ref: string, total: number, expected: string): Promise<RemoteWriter> {
    const call = grpc.duplex(api.CONTENT_SERVICE, 'Write');
    const st = await call.send({ action: api.WriteAction.STAT, ref, total, expected });
    return new RemoteWriter(call, ref, st.offset ?? 0, total);
  }

  /** WRITE messages sent but not yet answered (answers come back in order). */
  private inflight: Promise<any>[] = [];

  /**
   * Send the bytes in WRITE messages of at most 1 MiB, keeping up to WINDOW of them in flight:
   * waiting for each answer before the next message (as containerd's Go client does) makes
   * every MiB pay a round trip; the server handles the stream's messages in order anyway.
   */
  async write(data: Buffer): Promise<void> {
    const MAX = 1 << 20; // stay well below the 16 MiB message limit
    const WINDOW = 8;
    for (let i = 0; i < data.length; i += MAX) {
      const chunk = data.subarray(i, i + MAX);
      const at = this.offset;
      this.offset += chunk.length;
      const answered = this.call.send({ action: api.WriteAction.WRITE, ref: this.ref, offset: at, data: chunk }).then((r) => {
        if (r.offset !== at + chunk.length) throw new ManagerError('INTERNAL', `content writer ${this.ref}: server is at ${r.offset}, expected ${at + chunk.length}`);
      });
      answered.catch(() => {}); // awaited below or in flush(); never an unhandled rejection
      this.inflight.push(answered);
      if (this.inflight.length >= WINDOW) await this.inflight.shift();
    }
  }

  /** Wait for every WRITE in flight to be answered. */
  async flush(): Promise<void> {
    const pending = this.inflight.splice(0);
    await Promise.all(pending);
  }

  /** Restart from zero (when the bytes so far cannot be trusted). */
  async truncate(): Promise<void> {
    await this.flush();
    await this.call.send({ action: api.WriteAction.WRITE, ref: this.ref, offset: 0, data: new Uint8Array() });
    this.offset = 0;
  }

  async commit(size: number, expected: string, labels: Record<string, string> = {}): Promise<void> {
    await this.flush();
    await this.call.send({ action: api.WriteAction.COMMIT, ref: this.ref, offset: this.offset, total: size, expected, labels });
    this.call.end();
  }

  close(): void {
    this.call.end();
  }
}
