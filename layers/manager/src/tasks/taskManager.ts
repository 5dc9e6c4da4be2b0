// Tasks: running containers, each owned by a shim. The manager keeps no process of its own
// (containerd's runtime v2 "task manager", runtime/v2/manager.go): it writes the bundle, starts
// the shim, and from then on forwards Task API calls to it over ttrpc. Because the shim owns
// the container, the manager can die and come back: recover() finds the bundles on disk and
// reconnects to their shims (or cleans up after the ones that died meanwhile).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { mkfifo } from '@strata/linux';
import { eventType, packAny, type Any, type Mount, type Timestamp } from '@strata/shim/proto';
import { ManagerError, notFound } from '../errors';
import type { EventExchange } from '../events/exchange';
import { validateIdentifier } from '../metadata/names';
import type { Process } from '../api/protos';
import { deleteShim, ShimConnection, shimName, startShim, type ShimCommand } from './shim';
import { encodeOptions, resolveShim, runtimeOptions, type RuntimeConfig } from './runtimes';

/** containerd.v1.types.Status, and the Process the Tasks API answers with. */
export { ProcessStatus as Status, type Process } from '../api/protos';

export interface TaskIO {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

interface Task {
  namespace: string;
  id: string;
  runtime: string;
  cmd: ShimCommand;
  shim: ShimConnection;
  pid: number;
  log?: net.Socket;
}

export interface TaskManagerOptions {
  /** <state>/io.containerd.runtime.v2.task: bundles (config.json, rootfs, log fifo, address). */
  stateDir: string;
  /** <root>/io.containerd.runtime.v2.task: the shims' persistent work dirs. */
  rootDir: string;
  /** The API socket path (passed to shims as -address). */
  address: string;
  /** The ttrpc socket for events from shims (TTRPC_ADDRESS). */
  ttrpcAddress: string;
  publishBinary: string;
  runtimes: Record<string, RuntimeConfig>;
  shimSearchDirs: string[];
  events: EventExchange;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  debugShims?: boolean;
  /** The runtime name of a container (to clean up after a dead shim found at recovery). */
  runtimeOf: (ns: string, id: string) => string | undefined;
}

export interface CreateTask {
  namespace: string;
  id: string;
  runtime: string;
  /** The OCI spec JSON (the container's spec Any value). */
  spec: Uint8Array;
  rootfs: Mount[];
  io: TaskIO;
  options?: Any;
  containerOptions?: Any;
  runtimePath?: string;
  /**
   * Restore instead of create: fills the given directory (inside the bundle) with the CRIU
   * images; its path becomes the shim Create's `checkpoint`. Both shims restore only at Start,
   * so the images must outlive Create: in the bundle they go at the latest with it.
   */
  restoreImages?: (dir: string) => Promise<void>;
}

/** The bundle's directory for the CRIU images of a task restored from a checkpoint. */
export const RESTORE_IMAGES_DIR = 'checkpoint';

const key = (ns: string, id: string) => `${ns}/${id}`;

export class TaskManager {
  private readonly tasks = new Map<string, Task>();
  /** Creations in progress: a second Create for the same id waits for no one, it is refused. */
  private readonly creating = new Set<string>();

  constructor(private readonly o: TaskManagerOptions) {
    fs.mkdirSync(o.stateDir, { recursive: true, mode: 0o711 });
    fs.mkdirSync(o.rootDir, { recursive: true, mode: 0o711 });
  }

  bundleOf(ns: string, id: string): string {
    return path.join(this.o.stateDir, ns, id);
  }

  has(ns: string, id: string): boolean {
    return this.tasks.has(key(ns, id)) || this.creating.has(key(ns, id));
  }

  get(ns: string, id: string): Task {
    const t = this.tasks.get(key(ns, id));
    if (!t) throw notFound(`no running task found: task ${id}`);
    return t;
  }

  list(ns: string): string[] {
    return [...this.tasks.values()].filter((t) => t.namespace === ns).map((t) => t.id);
  }

  async create(r: CreateTask): Promise<number> {
    validateIdentifier('container_id', r.id);
    const k = key(r.namespace, r.id);
    if (this.has(r.namespace, r.id)) throw new ManagerError('ALREADY_EXISTS', `task ${r.id}: already exists`);
    this.creating.add(k);
    const bundle = this.bundleOf(r.namespace, r.id);
    const work = path.join(this.o.rootDir, r.namespace, r.id);
    let cmd: ShimCommand | undefined;
    let log: net.Socket | undefined;
    let shim: ShimConnection | undefined;
    try {
      const binary = r.runtimePath || resolveShim(r.runtime, this.o.runtimes, this.o.shimSearchDirs);
      if (fs.existsSync(bundle)) throw new ManagerError('ALREADY_EXISTS', `task ${r.id}: bundle ${bundle} already exists`);
      // The bundle, as containerd lays it out (runtime/v2/bundle.go).
      fs.mkdirSync(path.dirname(bundle), { recursive: true, mode: 0o711 });
      fs.mkdirSync(bundle, { mode: 0o700 });
      fs.mkdirSync(work, { recursive: true, mode: 0o711 });
      fs.symlinkSync(work, path.join(bundle, 'work'));
      fs.mkdirSync(path.join(bundle, 'rootfs'), { mode: 0o711 });
      fs.writeFileSync(path.join(bundle, 'config.json'), r.spec, { mode: 0o600 });
      fs.writeFileSync(path.join(bundle, 'shim-binary-path'), binary);
      log = openShimLog(bundle, (line) => this.o.log('debug', line, { id: r.id, namespace: r.namespace, source: 'shim' }));
      cmd = { binary, namespace: r.namespace, id: r.id, bundle, address: this.o.address, ttrpcAddress: this.o.ttrpcAddress, publishBinary: this.o.publishBinary, debug: this.o.debugShims };
      let checkpoint = '';
      if (r.restoreImages) {
        checkpoint = path.join(bundle, RESTORE_IMAGES_DIR);
        fs.mkdirSync(checkpoint, { mode: 0o700 });
        await r.restoreImages(checkpoint);
      }
      const options = runtimeOptions(r.runtime, this.o.runtimes, r.options, r.containerOptions);
      const address = await startShim(cmd, encodeOptions(options));
      shim = await ShimConnection.connect(address, 5_000, shimName(cmd));
      const res = await shim.call<{ pid: number }>('Create', {
        id: r.id,
        bundle,
        rootfs: r.rootfs,
        terminal: r.io.terminal,
        stdin: r.io.stdin,
        stdout: r.io.stdout,
        stderr: r.io.stderr,
        checkpoint,
        options,
      });
      const task: Task = { namespace: r.namespace, id: r.id, runtime: r.runtime, cmd, shim, pid: res.pid, log };
      this.tasks.set(k, task);
      shim.onLost(() => void this.shimLost(task));
      return res.pid;
    } catch (e) {
      // Leave nothing behind: the shim (if it started), its socket, the bundle and work dirs.
      if (shim) {
        await shim.call('Shutdown', { id: r.id, now: true }, 2_000).catch(() => {});
        shim.close();
      }
      if (cmd) await deleteShim(cmd).catch((de) => this.o.log('warn', `cleanup after failed create: ${(de as Error).message}`, { id: r.id }));
      log?.destroy();
      fs.rmSync(bundle, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
      throw toManagerError(e, `create task ${r.id}`);
    } finally {
      this.creating.delete(k);
    }
  }

  /** The restored task has started (or failed to): its CRIU images are no longer needed. */
  dropRestoreImages(ns: string, id: string): void {
    fs.rmSync(path.join(this.bundleOf(ns, id), RESTORE_IMAGES_DIR), { recursive: true, force: true });
  }

  /** Forward a Task API call to the task's shim (errors keep their gRPC kind). */
  async call<T = any>(ns: string, id: string, method: string, req: object): Promise<T> {
    const t = this.get(ns, id);
    try {
      return await t.shim.call<T>(method, { id, ...req });
    } catch (e) {
      throw toManagerError(e, `${method.toLowerCase()} task ${id}`);
    }
  }

  async state(ns: string, id: string, execId = ''): Promise<Process> {
    const s = await this.call<any>(ns, id, 'State', { execId });
    // containerd fills `id` with the process id: the container id for the init process, the
    // exec id for an exec (clients such as ctr read it; container_id stays informational).
    return {
      containerId: id,
      id: execId || id,
      pid: s.pid,
      status: s.status,
      stdin: s.stdin,
      stdout: s.stdout,
      stderr: s.stderr,
      terminal: s.terminal,
      exitStatus: s.exitStatus,
      exitedAt: s.exitedAt,
    };
  }

  /**
   * Delete the task: the shim deletes the container (runtime delete), then shuts down; then the
   * shim binary's `delete` runs (containerd 1.6 always does) and the bundle goes.
   */
  async delete(ns: string, id: string): Promise<{ pid: number; exitStatus: number; exitedAt?: Timestamp }> {
    const t = this.get(ns, id);
    const res = await this.call<{ pid: number; exitStatus: number; exitedAt?: Timestamp }>(ns, id, 'Delete', { execId: '' });
    this.tasks.delete(key(ns, id));
    await t.shim.call('Shutdown', { id, now: false }, 5_000).catch(() => {});
    t.shim.close();
    await this.cleanup(t.cmd, t.log);
    return res;
  }

  private async cleanup(cmd: ShimCommand, log?: net.Socket): Promise<{ pid: number; exitStatus: number; exitedAt?: Timestamp } | undefined> {
    let res;
    try {
      res = await deleteShim(cmd);
    } catch (e) {
      this.o.log('warn', `shim delete: ${(e as Error).message}`, { id: cmd.id, namespace: cmd.namespace });
    }
    log?.destroy();
    fs.rmSync(cmd.bundle, { recursive: true, force: true });
    fs.rmSync(path.join(this.o.rootDir, cmd.namespace, cmd.id), { recursive: true, force: true });
    // The namespace directories go with their last task (rmdir fails while others remain).
    for (const dir of [path.dirname(cmd.bundle), path.join(this.o.rootDir, cmd.namespace)]) {
      try {
        fs.rmdirSync(dir);
      } catch {
        /* not empty */
      }
    }
    return res;
  }

  /** The shim went away without Delete (killed): clean up like containerd's cleanupAfterDeadShim. */
  private async shimLost(t: Task): Promise<void> {
    if (this.tasks.get(key(t.namespace, t.id)) !== t) return;
    this.tasks.delete(key(t.namespace, t.id));
    this.o.log('warn', 'shim disconnected: cleaning up', { id: t.id, namespace: t.namespace });
    const res = await this.cleanup(t.cmd, t.log);
    this.publishDeadShim(t.namespace, t.id, t.pid, res);
  }

  private publishDeadShim(ns: string, id: string, pid: number, res?: { exitStatus: number; exitedAt?: Timestamp }): void {
    const exitedAt = res?.exitedAt ?? nowTs();
    this.o.events.publish(ns, '/tasks/exit', packAny(eventType('TaskExit'), { containerId: id, id, pid, exitStatus: res?.exitStatus ?? 255, exitedAt }));
    this.o.events.publish(ns, '/tasks/delete', packAny(eventType('TaskDelete'), { containerId: id, id: '', pid, exitStatus: res?.exitStatus ?? 255, exitedAt }));
  }

  /**
   * After a restart: every bundle on disk is a task. Reconnect to its shim (Connect) or, when
   * the shim is gone, run its `delete` and report the exit, as containerd does at start-up.
   */
  async recover(): Promise<{ reconnected: string[]; cleaned: string[] }> {
    const reconnected: string[] = [];
    const cleaned: string[] = [];
    for (const ns of safeReaddir(this.o.stateDir)) {
      for (const id of safeReaddir(path.join(this.o.stateDir, ns))) {
        const bundle = this.bundleOf(ns, id);
        let binary = readText(path.join(bundle, 'shim-binary-path'));
        const runtime = this.o.runtimeOf(ns, id) ?? '';
        if (!binary) {
          try {
            binary = resolveShim(runtime, this.o.runtimes, this.o.shimSearchDirs);
          } catch {
            binary = '';
          }
        }
        const cmd: ShimCommand = { binary, namespace: ns, id, bundle, address: this.o.address, ttrpcAddress: this.o.ttrpcAddress, publishBinary: this.o.publishBinary, debug: this.o.debugShims };
        const address = readText(path.join(bundle, 'address'));
        let shim: ShimConnection | undefined;
        try {
          if (!address) throw new Error('no address file');
          shim = await ShimConnection.connect(address, 5_000, shimName(cmd));
          const c = await shim.call<{ shimPid: number; taskPid: number }>('Connect', { id }, 5_000);
          const log = reopenShimLog(bundle, (line) => this.o.log('debug', line, { id, namespace: ns, source: 'shim' }));
          const task: Task = { namespace: ns, id, runtime, cmd, shim, pid: c.taskPid, log };
          this.tasks.set(key(ns, id), task);
          shim.onLost(() => void this.shimLost(task));
          reconnected.push(key(ns, id));
        } catch (e) {
          shim?.close();
          this.o.log('warn', `task ${ns}/${id}: shim unreachable (${(e as Error).message}): cleaning up`);
          const res = binary ? await this.cleanup(cmd) : (fs.rmSync(bundle, { recursive: true, force: true }), undefined);
          this.publishDeadShim(ns, id, 0, res);
          cleaned.push(key(ns, id));
        }
      }
    }
    return { reconnected, cleaned };
  }

  /** Disconnect from every shim (the shims and their containers keep running). */
  close(): void {
    for (const t of this.tasks.values()) {
      t.shim.close();
      t.log?.destroy();
    }
    this.tasks.clear();
  }
}

function nowTs(): Timestamp {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function readText(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
}

/**
 * The bundle's `log` FIFO: the shim daemon opens it write-only and writes its log there; the
 * manager reads it (containerd copies it into its own log). Opened read-write and non-blocking
 * so that neither side waits for the other, and so that it never sees EOF while the shim lives.
 */
function openShimLog(bundle: string, line: (s: string) => void): net.Socket {
  const p = path.join(bundle, 'log');
  mkfifo(p, 0o700);
  return reopenShimLog(bundle, line)!;
}

function reopenShimLog(bundle: string, line: (s: string) => void): net.Socket | undefined {
  const p = path.join(bundle, 'log');
  if (!fs.existsSync(p)) return undefined;
  const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const s = new net.Socket({ fd, readable: true, writable: false });
  let buf = '';
  s.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (l) line(l);
    }
  });
  s.on('error', () => {});
  return s;
}

/** ttrpc errors from a shim keep their status code as the matching manager error kind. */
function toManagerError(e: unknown, action: string): Error {
  if (e instanceof ManagerError) return e;
  const code = (e as { code?: number }).code;
  const msg = (e as Error).message ?? String(e);
  const kinds: Record<number, ManagerError['code']> = { 3: 'INVALID_ARGUMENT', 5: 'NOT_FOUND', 6: 'ALREADY_EXISTS', 9: 'FAILED_PRECONDITION', 12: 'UNIMPLEMENTED', 14: 'UNAVAILABLE' };
  if (typeof code === 'number' && kinds[code]) return new ManagerError(kinds[code], msg);
  return new ManagerError('INTERNAL', `${action}: ${msg}`);
}
