// strata-manager's core: the stores and the task manager, wired together (containerd's plugin
// graph, made explicit). The API services (api/services/) call into this object; the daemon
// (cli/daemon.ts) builds it from the config and serves it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ManagerConfig } from './config';
import { ContentStore } from './content';
import { EventExchange } from './events/exchange';
import { GarbageCollector } from './gc';
import { ImageStore } from './images/store';
import type { ManagerState } from './lifecycle';
import { ContainerStore } from './metadata/containers';
import { openDatabase, type DB } from './metadata/db';
import { LeaseStore } from './metadata/leases';
import { NamespaceStore } from './metadata/namespaces';
import { cleanupTempMounts, openSnapshotters, setTempMountLocation, type Snapshotter } from './snapshots';
import { Status, TaskManager } from './tasks/taskManager';
import type { Logger } from './log';


export interface ManagerPaths {
  db: string;
  content: string;
  snapshots: (name: string) => string;
  bundles: string;
  work: string;
  /** Temporary CRIU image directories of Tasks.Checkpoint and checkpoint restores (volatile). */
  checkpoints: string;
  uuid: string;
}

/** containerd's directory names, so a student finds the same things in the same places. */
export function managerPaths(c: Pick<ManagerConfig, 'root' | 'state'>): ManagerPaths {
  return {
    db: path.join(c.root, 'io.containerd.metadata.v1.sqlite', 'meta.db'),
    content: path.join(c.root, 'io.containerd.content.v1.content'),
    snapshots: (name) => path.join(c.root, `io.containerd.snapshotter.v1.${name}`),
    bundles: path.join(c.state, 'io.containerd.runtime.v2.task'),
    work: path.join(c.root, 'io.containerd.runtime.v2.task'),
    checkpoints: path.join(c.state, 'checkpoints'),
    uuid: path.join(c.root, 'uuid'),
  };
}

export class Manager {
  readonly db: DB;
  readonly namespaces: NamespaceStore;
  readonly containers: ContainerStore;
  readonly leases: LeaseStore;
  readonly content: ContentStore;
  readonly images: ImageStore;
  readonly events = new EventExchange();
  readonly gc: GarbageCollector;
  readonly uuid: string;
  snapshotters: Record<string, Snapshotter> = {};
  tasks!: TaskManager;

  private constructor(
    readonly config: ManagerConfig,
    readonly paths: ManagerPaths,
    readonly log: Logger,
  ) {
    fs.mkdirSync(config.root, { recursive: true, mode: 0o711 });
    fs.mkdirSync(config.state, { recursive: true, mode: 0o711 });
    this.db = openDatabase(paths.db);
    this.namespaces = new NamespaceStore(this.db);
    this.containers = new ContainerStore(this.db);
    this.leases = new LeaseStore(this.db);
    this.content = new ContentStore({ root: paths.content, db: this.db });
    this.images = new ImageStore(this.db);
    this.uuid = readOrCreateUuid(paths.uuid);
    this.gc = new GarbageCollector(
      this.db,
      this.leases,
      {
        // A blob being committed is on disk before its record: never sweep those.
        blobsOnDisk: () => this.content.blobDigestsOnDisk().filter((d) => !this.content.committing.has(d)),
        removeBlobFile: (d) => void this.content.removeBlobFile(d),
        removeSnapshot: async (ns, sn, key) => {
          const s = this.snapshotters[sn];
          if (s) await s.remove(ns, key);
        },
      },
      (msg) => this.log('info', msg),
    );
  }

  /** Open the stores, the snapshotters and the task manager; reconnect to running shims. */
  static async open(config: ManagerConfig, log: Logger, o: { publishBinary: string; ttrpcAddress: string; shimSearchDirs?: string[] }): Promise<Manager> {
    const m = new Manager(config, managerPaths(config), log);
    try {
      // Layers are applied through temporary mounts: keep them under our root and undo any that
      // a crash left behind (containerd's tmpmounts dir).
      setTempMountLocation(path.join(config.root, 'tmpmounts'));
      const stale = await cleanupTempMounts();
      if (stale.length) log('warn', `removed ${stale.length} temporary mounts left by a crash`, { mounts: stale });
      // A checkpoint or restore cut short by a crash left its temporary CRIU images: no call
      // can still be using them now.
      fs.rmSync(m.paths.checkpoints, { recursive: true, force: true });
      m.snapshotters = await openSnapshotters({ db: m.db, root: (name) => m.paths.snapshots(name), log: (msg: string) => log('info', msg) });
      for (const s of Object.values(m.snapshotters)) {
        const removed = await s.cleanup();
        if (removed.length) log('info', `snapshotter ${s.name}: removed ${removed.length} directories no snapshot owns`);
      }
      m.tasks = new TaskManager({
        stateDir: m.paths.bundles,
        rootDir: m.paths.work,
        address: config.address,
        ttrpcAddress: o.ttrpcAddress,
        publishBinary: o.publishBinary,
        runtimes: config.runtimes,
        shimSearchDirs: o.shimSearchDirs ?? [],
        events: m.events,
        log: (level, msg, fields) => log(level, msg, fields),
        debugShims: config.logLevel === 'debug',
        runtimeOf: (ns, id) => {
          try {
            return m.containers.get(ns, id).runtime.name;
          } catch {
            return undefined;
          }
        },
      });
      const r = await m.tasks.recover();
      if (r.reconnected.length || r.cleaned.length) log('info', `recovered tasks: reconnected ${r.reconnected.length}, cleaned up ${r.cleaned.length}`, { reconnected: r.reconnected, cleaned: r.cleaned });
    } catch (e) {
      m.db.close();
      throw e;
    }
    return m;
  }

  snapshotter(name: string): Snapshotter {
    const s = this.snapshotters[name || this.config.snapshotter];
    if (!s) throw Object.assign(new Error(`snapshotter ${JSON.stringify(name)} not loaded (have: ${Object.keys(this.snapshotters).join(', ')})`), { code: 'NOT_FOUND' });
    return s;
  }

  /** The combined container/task state the lifecycle table is written in. */
  async stateOf(ns: string, id: string): Promise<ManagerState> {
    const hasContainer = (() => {
      try {
        this.containers.get(ns, id);
        return true;
      } catch {
        return false;
      }
    })();
    if (!this.tasks.has(ns, id)) return hasContainer ? 'container' : 'none';
    let status: number;
    try {
      status = (await this.tasks.state(ns, id)).status;
    } catch {
      return 'stopped';
    }
    switch (status) {
      case Status.CREATED:
        return 'created';
      case Status.RUNNING:
        return 'running';
      case Status.PAUSED:
      case Status.PAUSING:
        return 'paused';
      default:
        return 'stopped';
    }
  }

  /** Stop serving: disconnect from shims (their containers keep running), close the database. */
  close(): void {
    this.gc.close();
    this.tasks?.close();
    this.db.close();
  }
}

function readOrCreateUuid(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = crypto.randomUUID();
    fs.writeFileSync(file, id);
    return id;
  }
}
