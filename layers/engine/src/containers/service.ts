// The container side of the engine (moby's daemon package, container parts): docker's container
// objects on top of the manager's containers and tasks, namespace "moby".
//
//   docker create  -> a record (config.v2.json) + the rootfs snapshot (key = container id)
//   docker start   -> network sandbox, /etc files, OCI spec, manager container, FIFOs, task
//   exit           -> task and manager container deleted (the snapshot stays), sandbox released,
//                     then the restart policy or --rm
//   docker rm      -> snapshot, volumes and record removed
//
// Every transition is checked against the state table (src/states.ts), persisted, and published
// as a docker event.
import fs from 'node:fs';
import path from 'node:path';
import { detectCgroupLayout, processCgroup } from '@strata/linux';
import { chainIds, getImage, ManagerError, resolveImage, specAny, unpackLayers, type Descriptor, type ManagerClient, type Mount } from '@strata/manager';
import { EngineError, invalidParam, notFound } from '../errors';
import type { Logger } from '../log';
import { assertAllowed, type ContainerState } from '../states';
import type { ContainerEvents, ContainerImages, ContainerNetworking, ContainerVolumes } from './deps';
import { validateCreate, mergeImageConfig, parseMounts } from './create';
import { JsonFileLog } from './jsonLog';
import { restartDecision } from './restartPolicy';
import { resolveUser, withSnapshotRoot } from './rootfs';
import { dockerSpec, INIT_CANDIDATES } from './spec';
import { fifoPaths, makeFifos, ProcessIO } from './stdio';
import { newId, validateName, ContainerStore } from './store';
import { writeOwnEtcFiles } from './etcFiles';
import { runcOptionsAny } from '../runtimes';
import { parseSignal } from './signals';
import { ZERO_TIME, type ContainerRecord, type MountPoint } from './types';

export interface ContainerServiceOptions {
  client: ManagerClient;
  dataRoot: string;
  execRoot: string;
  /** The default runtime name (--default-runtime). */
  runtime: string;
  /** Runtime names -> shim and binary (absent: every name is taken as a shim name). */
  runtimes?: { resolve(name: string | undefined): { shim: string; binary?: string } };
  snapshotter?: string;
  network?: ContainerNetworking;
  volumes?: ContainerVolumes;
  events?: ContainerEvents;
  images?: ContainerImages;
  log: Logger;
}

/** What a started container holds in the engine process. */
export interface Running {
  io: ProcessIO;
  log: JsonFileLog;
  /** Resolves once the exit was handled (state written, sandbox released). */
  exited: Promise<void>;
}

type Waiter = { cond: 'not-running' | 'next-exit' | 'removed'; resolve: (r: { StatusCode: number; Error: { Message: string } | null }) => void };

export class ContainerService {
  readonly store: ContainerStore;
  readonly running = new Map<string, Running>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly memoryCgroups = new Map<string, string>();
  readonly snapshotter: string;
  closing = false;
  /** Live attach clients per container (they may attach before the start, as `docker run` does). */
  private readonly attachers = new Map<string, Set<{ send: (s: 'stdout' | 'stderr', d: Buffer) => void; end: () => void }>>();
  /** Stdin sent by attach clients before the task exists: [bytes, eof]. */
  private readonly earlyStdin = new Map<string, { data: Buffer[]; eof: boolean }>();

  constructor(readonly o: ContainerServiceOptions) {
    this.store = new ContainerStore(path.join(o.dataRoot, 'containers'));
    this.snapshotter = o.snapshotter ?? 'overlayfs';
  }

  get client(): ManagerClient {
    return this.o.client;
  }

  get(ref: string): ContainerRecord {
    return this.store.get(ref);
  }

  /** One operation at a time per container (start, exit handling, removal). */
  async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(id, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(id) === next) this.locks.delete(id);
    }
  }

  event(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = { ...(c.Config.Labels ?? {}), image: c.Config.Image ?? '', name: c.Name.slice(1), ...extra };
    this.o.events?.publish({ Type: 'container', Action: action, Actor: { ID: c.Id, Attributes: attrs } });
  }

  setState(c: ContainerRecord, status: ContainerState): void {
    const s = c.State;
    s.Status = status;
    s.Running = status === 'running' || status === 'paused' || status === 'restarting';
    s.Paused = status === 'paused';
    s.Restarting = status === 'restarting';
    s.Dead = status === 'dead';
    this.store.save(c);
  }

  // --- create -----------------------------------------------------------------------------------
  async create(body: any, name: string | null): Promise<{ Id: string; Warnings: string[] }> {
    validateCreate(body);
    const image = await this.lookupImage(body.Image);
    const imgConfig = image.config;
    const id = newId();
    const nm = name ? validateName(name) : this.store.generateName();
    const hc = { ...(body.HostConfig ?? {}) };
    hc.NetworkMode ||= 'bridge';
    hc.RestartPolicy ??= { Name: 'no', MaximumRetryCount: 0 };
    if (hc.RestartPolicy.Name === '') hc.RestartPolicy.Name = 'no';
    hc.LogConfig ??= { Type: 'json-file', Config: {} };
    hc.Runtime ||= this.o.runtime;
    const runtime = this.o.runtimes ? this.o.runtimes.resolve(hc.Runtime) : { shim: hc.Runtime as string }; // 400 for an unknown name
    if (!['bridge', 'host', 'none', 'default'].includes(hc.NetworkMode) && !hc.NetworkMode.startsWith('container:')) {
      if (!this.o.network) throw notFound(`network ${hc.NetworkMode} not found`);
      this.o.network.inspect(hc.NetworkMode);
    }
    if (hc.NetworkMode === 'default') hc.NetworkMode = 'bridge';
    const config = mergeImageConfig(body, imgConfig.config ?? {});
    config.Hostname ||= id.slice(0, 12);
    if (!config.Cmd?.length && !config.Entrypoint?.length) throw invalidParam('no command specified');
    this.store.reserveName(nm, id);
    const dir = this.store.dir(id);
    const mounts: MountPoint[] = [];
    let snapshotMade = false;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      mounts.push(...(await this.resolveMounts(id, hc, config, !!body.HostConfig?.AutoRemove)));
      // the rootfs: a snapshot on top of the image's top layer, a GC root of its own (the engine,
      // not a manager container record, owns it while the container is not running). No lease is
      // needed around it: unpacking takes its own, the image's GC labels hold the parent, and the
      // new snapshot is a GC root from the moment it exists (a lease would cost two more calls).
      const top = await image.unpack();
      await this.client.snapshots(this.snapshotter).prepare(id, top, { 'containerd.io/gc.root': new Date().toISOString(), 'strata.engine/container': id });
      snapshotMade = true;
      const [p0, ...args] = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
      const now = new Date().toISOString();
      const c: ContainerRecord = {
        Id: id,
        Created: now,
        Path: p0,
        Args: args,
        State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME },
        Image: image.id,
        ResolvConfPath: '',
        HostnamePath: '',
        HostsPath: '',
        LogPath: path.join(dir, `${id}-json.log`),
        Name: nm,
        RestartCount: 0,
        Driver: this.snapshotter,
        Platform: 'linux',
        MountLabel: '',
        ProcessLabel: '',
        AppArmorProfile: '',
        ExecIDs: null,
        HostConfig: hc,
        Mounts: mounts,
        Config: config,
        NetworkSettings: { Ports: {}, SandboxKey: '', Networks: {} },
        Strata: { imageRef: image.name ?? image.id, snapshotter: this.snapshotter, runtime: runtime.shim, ...(runtime.binary ? { runtimeBinary: runtime.binary } : {}), manuallyStopped: false, hasBeenStarted: false },
      };
      this.store.add(c);
      this.event(c, 'create');
      return { Id: id, Warnings: [] };
    } catch (e) {
      this.store.releaseName(nm);
      if (snapshotMade) await this.client.snapshots(this.snapshotter).remove(id).catch(() => {});
      for (const m of mounts) if (m.Type === 'volume' && m.Name) await this.o.volumes?.release(m.Name, id, { remove: false }).catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** The image by docker's lookup rules: the image service's when there is one, else the manager's by name. */
  async lookupImage(ref: string): Promise<{ id: string; name?: string; config: { config?: any; rootfs: { diff_ids: string[] } }; unpack: () => Promise<string> }> {
    if (this.o.images) {
      const img = await this.o.images.resolve(ref);
      return { id: img.id, name: img.name, config: img.config, unpack: () => this.o.images!.ensureUnpacked(img) };
    }
    let image;
    try {
      image = await getImage(this.client, ref);
    } catch (e) {
      if (e instanceof ManagerError && e.code === 'NOT_FOUND') {
        const shown = /[:@]/.test(ref.split('/').pop() ?? '') ? ref : `${ref}:latest`;
        throw notFound(`No such image: ${shown}`);
      }
      throw e;
    }
    const { manifest, config } = await resolveImage(this.client, image.target as any);
    return {
      id: manifest.manifest.config.digest,
      name: image.name,
      config,
      unpack: async () => {
        const chain = chainIds(config.rootfs.diff_ids);
        const top = chain[chain.length - 1] ?? '';
        if (top && !(await this.client.snapshots(this.snapshotter).exists(top))) await this.client.withLease(() => unpackLayers(this.client, manifest.manifest.layers, config.rootfs.diff_ids, manifest.manifest.config.digest, this.snapshotter));
        return top;
      },
    };
  }

  private async resolveMounts(id: string, hc: any, config: any, autoRemove: boolean): Promise<MountPoint[]> {
    const specs = parseMounts(hc, config);
    const out: MountPoint[] = [];
    for (const m of specs) {
      if (m.Type === 'volume') {
        if (!this.o.volumes) throw new EngineError('system', 'volumes are not available in this engine');
        const v = await this.o.volumes.acquire(m.Source || undefined, id);
        out.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: m.Target, Driver: v.Driver, Mode: m.ReadOnly ? 'ro' : 'z', RW: !m.ReadOnly, Propagation: '' });
      } else if (m.Type === 'bind') {
        if (!fs.existsSync(m.Source!)) {
          if (!m.CreateSource) throw invalidParam(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
          fs.mkdirSync(m.Source!, { recursive: true, mode: 0o755 });
        }
        out.push({ Type: 'bind', Source: m.Source!, Destination: m.Target, Mode: m.ReadOnly ? 'ro' : '', RW: !m.ReadOnly, Propagation: 'rprivate' });
      } else {
        out.push({ Type: 'tmpfs', Source: '', Destination: m.Target, Mode: '', RW: true, Propagation: '' });
      }
    }
    void autoRemove;
    return out;
  }

  // --- start ------------------------------------------------------------------------------------
  async start(ref: string): Promise<void> {
    const c = this.get(ref);
    await this.locked(c.Id, async () => {
      assertAllowed('start', c.State.Status, { id: c.Id, name: c.Name });
      c.Strata.manuallyStopped = false;
      await this.startLocked(c);
    });
  }

  /**
   * The start itself (also used by restart policies, restart and restore). Caller holds the lock.
   * `checkpoint`: a CRIU image tar in the manager's content store (CreateTaskRequest.checkpoint):
   * the task is restored from it instead of created fresh (checkpoints/service.ts).
   */
  async startLocked(c: ContainerRecord, o: { checkpoint?: Descriptor } = {}): Promise<void> {
    const id = c.Id;
    const cleanup: (() => Promise<unknown> | unknown)[] = [];
    try {
      const mounts: Mount[] = await this.client.snapshots(this.snapshotter).mounts(id);
      const user = c.Config.User ? await withSnapshotRoot(mounts, path.join(this.o.execRoot, 'tmp'), { writable: false }, (root) => resolveUser(c.Config.User!, root)) : undefined;
      // network
      const mode = c.HostConfig.NetworkMode || 'bridge';
      const hostNetwork = mode === 'host';
      let netnsPath: string | undefined;
      const ips: string[] = [];
      c.NetworkSettings = { Ports: {}, SandboxKey: '', Networks: {} };
      if (mode.startsWith('container:')) {
        const other = this.get(mode.slice('container:'.length));
        if (!other.State.Running) throw new EngineError('conflict', `cannot join network of a non running container: ${other.Id}`);
        netnsPath = `/proc/${other.State.Pid}/ns/net`;
      } else if (!hostNetwork && this.o.network) {
        cleanup.push(() => this.o.network!.releaseSandbox(id));
        netnsPath = await this.o.network.createSandbox(id);
        c.NetworkSettings.SandboxKey = netnsPath;
        if (mode !== 'none') {
          const ep = await this.o.network.connect(id, netnsPath, mode, { portBindings: c.HostConfig.PortBindings ?? undefined, aliases: [id.slice(0, 12), c.Name.slice(1)], name: c.Name });
          const net = this.o.network.inspect(mode);
          c.NetworkSettings.Networks[net.Name] = { IPAMConfig: null, Links: null, Aliases: ep.Aliases ?? null, MacAddress: ep.MacAddress, NetworkID: ep.NetworkID, EndpointID: ep.EndpointID, Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: [c.Name.slice(1), id.slice(0, 12)] };
          ips.push(ep.IPAddress);
          // the default bridge's endpoint is also shown at the top of NetworkSettings (docker's legacy fields)
          if (net.Name === 'bridge') Object.assign(c.NetworkSettings, { Bridge: '', Gateway: ep.Gateway, IPAddress: ep.IPAddress, IPPrefixLen: ep.IPPrefixLen, MacAddress: ep.MacAddress, EndpointID: ep.EndpointID });
          c.NetworkSettings.Ports = { ...publishedPorts(c), ...(this.o.network.publishedPorts?.(id) ?? {}) };
        }
      } else if (!hostNetwork && mode !== 'none') {
        throw new EngineError('system', `network ${mode} is not available: this engine runs without a network controller`);
      }
      // /etc/hosts, /etc/resolv.conf, /etc/hostname
      const dir = this.store.dir(id);
      const hostname = c.Config.Hostname || id.slice(0, 12);
      const etcOpts = { hostname, domainname: c.Config.Domainname, ips, extraHosts: c.HostConfig.ExtraHosts ?? [], dns: c.HostConfig.Dns ?? [], dnsSearch: c.HostConfig.DnsSearch ?? [], dnsOptions: c.HostConfig.DnsOptions ?? [], hostNetwork, containerId: id };
      const etc = this.o.network ? this.o.network.etcFiles(dir, etcOpts) : writeOwnEtcFiles(dir, etcOpts);
      c.HostsPath = etc.hosts;
      c.ResolvConfPath = etc.resolvConf;
      c.HostnamePath = etc.hostname;
      const spec = dockerSpec({
        c,
        image: {},
        namespace: this.client.namespace,
        user,
        netnsPath,
        hostNetwork,
        mounts: specMounts(c.Mounts),
        etc,
        initBinary: c.HostConfig.Init ? initBinary() : undefined,
      });
      // the manager's container record; a leftover from a crash is replaced (deleting it first on
      // every start would cost a call each time for what is rare)
      const record = { id, labels: { 'com.docker/engine.bundle.path': '', ...(c.Config.Labels ?? {}) }, image: c.Strata.imageRef, runtime: { name: c.Strata.runtime, ...(c.Strata.runtimeBinary ? { options: runcOptionsAny(c.Strata.runtimeBinary) } : {}) }, spec: specAny(spec), snapshotter: this.snapshotter, snapshotKey: id, extensions: {} };
      await this.client.containers.create(record).catch(async (e) => {
        if (!(e instanceof ManagerError && e.code === 'ALREADY_EXISTS')) throw e;
        await this.client.containers.delete(id);
        await this.client.containers.create(record);
      });
      cleanup.push(() => this.client.containers.delete(id));
      // stdio
      const fifos = fifoPaths(path.join(this.o.execRoot, 'containers', id), 'init', { stdin: !!c.Config.OpenStdin, tty: !!c.Config.Tty });
      makeFifos(fifos);
      const log = new JsonFileLog(c.LogPath);
      const io = this.fanOut(id, new ProcessIO(fifos, true, log));
      cleanup.push(() => {
        io.close();
        io.removeFifos();
        log.close();
      });
      await this.client.tasks.create({ containerId: id, rootfs: mounts, stdin: fifos.stdin, stdout: fifos.stdout, stderr: fifos.stderr, terminal: !!c.Config.Tty, checkpoint: o.checkpoint });
      cleanup.push(() => this.client.tasks.delete(id));
      // The terminal's size before the process runs (`docker run -it busybox stty size` must see
      // it): the pty exists from Create on.
      const con = c.HostConfig.ConsoleSize;
      if (c.Config.Tty && con && con[0] && con[1]) await this.client.tasks.resize(id, con[1], con[0]).catch(() => {});
      io.opened();
      const waited = this.client.tasks.wait(id);
      waited.catch(() => {});
      const pid = await this.client.tasks.start(id);
      cleanup.length = 0;
      const early = this.earlyStdin.get(id);
      this.earlyStdin.delete(id);
      for (const d of early?.data ?? []) io.writeStdin(d);
      if (early?.eof) {
        io.endStdin();
        await this.client.tasks.closeIO(id).catch(() => {});
      }
      this.adopt(c, io, log, waited);
      c.State.Pid = pid;
      this.noteCgroup(id, pid);
      c.State.StartedAt = new Date().toISOString();
      c.State.ExitCode = 0;
      c.State.Error = '';
      c.State.OOMKilled = false;
      c.Strata.hasBeenStarted = true;
      this.setState(c, 'running');
      this.event(c, 'start');
    } catch (e) {
      for (const f of cleanup.reverse()) await Promise.resolve().then(f).catch(() => {});
      c.State.Error = (e as Error).message;
      if (/executable file not found|no such file or directory/i.test(c.State.Error)) c.State.ExitCode = 127;
      else if (/permission denied/i.test(c.State.Error)) c.State.ExitCode = 126;
      else c.State.ExitCode = 128;
      this.store.save(c);
      // `docker run --rm` of a command that cannot start: dockerd removes the container, and the
      // CLI waits for exactly that (wait?condition=removed) before it prints the error.
      if (c.HostConfig.AutoRemove) await this.removeLocked(c, { volumes: true, collected: true }).catch((err) => this.o.log('warn', 'auto-remove after a failed start', { id, err: String(err) }));
      if (e instanceof ManagerError) throw new EngineError(e.code === 'NOT_FOUND' || e.code === 'INVALID_ARGUMENT' ? 'invalid' : 'system', `failed to create task for container: ${e.message}`);
      throw e;
    }
  }

  /** Follow a container's live output until its task exits (or now, when it is not running and not about to start). */
  attachLive(id: string, send: (s: 'stdout' | 'stderr', d: Buffer) => void): Promise<void> & { detach(): void } {
    let entry!: { send: typeof send; end: () => void };
    const p = new Promise<void>((resolve) => (entry = { send, end: resolve })) as Promise<void> & { detach(): void };
    const c = this.store.find(id);
    if (c && (c.State.Status === 'exited' || c.State.Status === 'dead') && !this.running.has(id)) entry.end();
    let set = this.attachers.get(id);
    if (!set) this.attachers.set(id, (set = new Set()));
    set.add(entry);
    p.detach = () => set!.delete(entry);
    return p;
  }

  pendingStdin(id: string, d: Buffer): void {
    const e = this.earlyStdin.get(id) ?? { data: [], eof: false };
    e.data.push(d);
    this.earlyStdin.set(id, e);
  }

  /** The attached client's stdin ended and the container has StdinOnce: close the process's stdin. */
  async closeStdin(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) {
      const e = this.earlyStdin.get(id) ?? { data: [], eof: false };
      e.eof = true;
      this.earlyStdin.set(id, e);
      return;
    }
    r.io.endStdin();
    await this.client.tasks.closeIO(id).catch(() => {});
  }

  /** Every chunk of output goes to the attached clients too (registered before the task starts). */
  fanOut(id: string, io: ProcessIO): ProcessIO {
    io.on('data', (name: 'stdout' | 'stderr', d: Buffer) => {
      for (const a of this.attachers.get(id) ?? []) a.send(name, d);
    });
    return io;
  }

  private endAttachers(id: string): void {
    const set = this.attachers.get(id);
    this.attachers.delete(id);
    for (const a of set ?? []) a.end();
  }

  /** Track a task the engine started, or found running after a restart. */
  adopt(c: ContainerRecord, io: ProcessIO, log: JsonFileLog, waited: Promise<{ exitStatus: number; exitedAt?: any }>): void {
    let done!: () => void;
    const exited = new Promise<void>((r) => (done = r));
    this.running.set(c.Id, { io, log, exited });
    waited.then(
      (r) => this.locked(c.Id, () => this.handleExit(c, r.exitStatus)).finally(done),
      (e) => {
        // the manager went away (or the engine is closing): the task is not known to have exited
        if (!this.closing) this.o.log('warn', 'lost the wait on a task', { id: c.Id, err: String(e) });
        done();
      },
    );
  }

  /** The task ended: collect it, write the state, then apply --restart or --rm. Caller holds the lock. */
  async handleExit(c: ContainerRecord, exitStatus: number): Promise<void> {
    if (this.closing) return;
    const id = c.Id;
    const r = this.running.get(id);
    const oom = exitStatus === 137 && this.oomKilled(id);
    this.memoryCgroups.delete(id);
    // The container's processes are gone, so its network sandbox can go while the manager
    // deletes the task (the shim closes the FIFOs then, which ends io.finish); the manager's
    // container record goes once the task is gone. Overlapped, not one after the other: this
    // is on the path of every `docker run --rm`.
    const released = this.o.network?.releaseSandbox(id).catch((e) => this.o.log('warn', 'releasing the network sandbox failed', { id, err: String(e) }));
    const collected = this.client.tasks
      .delete(id)
      .catch(() => {})
      .then(() => this.client.containers.delete(id).catch(() => {}));
    // the outputs end when the shim closes its FIFO ends (at the process's exit, at the latest
    // at Tasks.Delete): waited for, but never longer than 2 s after the task is gone
    const drained = r && Promise.race([r.io.done, collected.then(() => new Promise((res) => setTimeout(res, 2_000).unref()))]).then(() => r.io.close());
    await Promise.all([collected, drained, released]);
    r?.io.removeFifos();
    fs.rmSync(path.join(this.o.execRoot, 'containers', id), { recursive: true, force: true });
    this.running.delete(id);
    const startedAt = Date.parse(c.State.StartedAt);
    c.State.Pid = 0;
    c.State.ExitCode = exitStatus;
    c.State.FinishedAt = new Date().toISOString();
    c.State.OOMKilled = oom;
    const removing = c.State.Status === 'removing';
    if (!removing) this.setState(c, 'exited');
    // followers (logs -f, attach) end only now, so what they see next is the exited state
    r?.log.close();
    this.endAttachers(id);
    if (c.State.OOMKilled) this.event(c, 'oom');
    this.event(c, 'die', { exitCode: String(exitStatus), execDuration: String(Math.max(0, Math.round((Date.now() - startedAt) / 1000))) });
    this.notify(id, ['not-running', 'next-exit'], exitStatus);
    if (removing) return;
    const d = restartDecision(c, Date.now() - startedAt);
    if (d.restart && !this.closing) {
      c.RestartCount++;
      this.setState(c, 'restarting');
      const t = setTimeout(() => {
        this.restartTimers.delete(id);
        void this.locked(id, async () => {
          if (c.State.Status !== 'restarting') return;
          await this.startLocked(c).catch((e) => {
            this.o.log('warn', 'restart policy: start failed', { id, err: String(e) });
            this.setState(c, 'exited');
          });
        });
      }, d.delayMs);
      this.restartTimers.set(id, t);
      return;
    }
    if (c.HostConfig.AutoRemove) await this.removeLocked(c, { volumes: true, collected: true });
  }

  /**
   * Whether the kernel's OOM killer fired in the container's memory cgroup (v1
   * memory.oom_control, v2 memory.events: "oom_kill N"). Read before Tasks.Delete, which
   * removes the cgroup; its directory was noted while the task ran.
   */
  private oomKilled(id: string): boolean {
    const dir = this.memoryCgroups.get(id);
    if (!dir) return false;
    for (const f of ['memory.oom_control', 'memory.events']) {
      try {
        const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(path.join(dir, f), 'utf8'));
        if (m) return Number(m[1]) > 0;
      } catch {
        /* not this cgroup version */
      }
    }
    return false;
  }

  /** Note where the task's memory cgroup is (for OOM detection at its exit). */
  noteCgroup(id: string, pid: number): void {
    try {
      const layout = detectCgroupLayout();
      const base = layout.version === 2 ? layout.unified! : layout.mounts.memory;
      if (base) this.memoryCgroups.set(id, path.join(base, processCgroup(pid, layout, 'memory')));
    } catch {
      /* the process is gone already */
    }
  }

  notify(id: string, conds: Waiter['cond'][], code: number): void {
    const list = this.waiters.get(id) ?? [];
    const keep: Waiter[] = [];
    for (const w of list) {
      if (conds.includes(w.cond)) w.resolve({ StatusCode: code, Error: null });
      else keep.push(w);
    }
    if (keep.length) this.waiters.set(id, keep);
    else this.waiters.delete(id);
  }

  /** POST /containers/{id}/wait: resolves with the exit code when the condition is met. */
  wait(c: ContainerRecord, cond: Waiter['cond']): Promise<{ StatusCode: number; Error: { Message: string } | null }> {
    if (cond === 'not-running' && !c.State.Running && c.State.Status !== 'removing') return Promise.resolve({ StatusCode: c.State.ExitCode, Error: null });
    return new Promise((resolve) => {
      const list = this.waiters.get(c.Id) ?? [];
      list.push({ cond, resolve });
      this.waiters.set(c.Id, list);
    });
  }

  // --- stop, kill, restart, pause ------------------------------------------------------------------
  async kill(ref: string, signal: string | undefined): Promise<void> {
    const c = this.get(ref);
    const sig = parseSignal(signal || 'KILL');
    assertAllowed('kill', c.State.Status, { id: c.Id, name: c.Name });
    c.Strata.manuallyStopped = true;
    this.store.save(c);
    await this.signal(c, sig);
  }

  private async signal(c: ContainerRecord, sig: number): Promise<void> {
    try {
      await this.client.tasks.kill(c.Id, sig, { all: sig === 9 });
    } catch (e) {
      if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
    }
    this.event(c, 'kill', { signal: String(sig) });
    if (c.State.Paused && sig === 9) await this.client.tasks.resume(c.Id).catch(() => {});
  }

  async stop(ref: string, timeoutS?: number, signal?: string): Promise<void> {
    const c = this.get(ref);
    if (c.State.Status === 'restarting') {
      clearTimeout(this.restartTimers.get(c.Id));
      this.restartTimers.delete(c.Id);
      c.Strata.manuallyStopped = true;
      this.setState(c, 'exited');
      this.event(c, 'stop');
      return;
    }
    assertAllowed('stop', c.State.Status, { id: c.Id, name: c.Name });
    c.Strata.manuallyStopped = true;
    this.store.save(c);
    await this.stopRunning(c, timeoutS, signal);
    this.event(c, 'stop');
  }

  /** StopSignal (SIGTERM by default), then SIGKILL after the timeout (10 s by default). */
  async stopRunning(c: ContainerRecord, timeoutS?: number, signal?: string): Promise<void> {
    const r = this.running.get(c.Id);
    if (!r) return;
    const sig = parseSignal(signal || c.Config.StopSignal || 'SIGTERM');
    const t = timeoutS ?? c.Config.StopTimeout ?? 10;
    if (sig !== 9) {
      await this.signal(c, sig);
      if (c.State.Paused) await this.client.tasks.resume(c.Id).catch(() => {});
      if (t < 0) return void (await r.exited);
      const exited = await Promise.race([r.exited.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), t * 1000).unref())]);
      if (exited) return;
    }
    await this.signal(c, 9);
    await Promise.race([r.exited, new Promise((res) => setTimeout(res, 30_000).unref())]);
  }

  async restart(ref: string, timeoutS?: number, signal?: string): Promise<void> {
    const c = this.get(ref);
    assertAllowed('restart', c.State.Status, { id: c.Id, name: c.Name });
    if (c.State.Status === 'restarting') {
      clearTimeout(this.restartTimers.get(c.Id));
      this.restartTimers.delete(c.Id);
      this.setState(c, 'exited');
    }
    if (this.running.has(c.Id)) {
      c.Strata.manuallyStopped = true;
      await this.stopRunning(c, timeoutS, signal);
    }
    await this.locked(c.Id, async () => {
      if (c.State.Status === 'restarting') {
        clearTimeout(this.restartTimers.get(c.Id));
        this.setState(c, 'exited');
      }
      c.Strata.manuallyStopped = false;
      await this.startLocked(c);
    });
    this.event(c, 'restart');
  }

  async pause(ref: string): Promise<void> {
    const c = this.get(ref);
    assertAllowed('pause', c.State.Status, { id: c.Id, name: c.Name });
    await this.client.tasks.pause(c.Id);
    this.setState(c, 'paused');
    this.event(c, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const c = this.get(ref);
    assertAllowed('unpause', c.State.Status, { id: c.Id, name: c.Name });
    await this.client.tasks.resume(c.Id);
    this.setState(c, 'running');
    this.event(c, 'unpause');
  }

  async rename(ref: string, newName: string): Promise<void> {
    const c = this.get(ref);
    if (!newName) throw invalidParam('Neither old nor new names may be empty');
    const nm = validateName(newName);
    assertAllowed('rename', c.State.Status, { id: c.Id, name: c.Name });
    if (nm === c.Name) throw invalidParam(`Renaming a container with the same name as its current name`);
    const old = c.Name;
    this.store.reserveName(nm, c.Id);
    this.store.releaseName(old);
    c.Name = nm;
    this.store.save(c);
    this.event(c, 'rename', { oldName: old });
  }

  async resize(ref: string, h: number, w: number): Promise<void> {
    const c = this.get(ref);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw invalidParam('invalid resize: h and w must be non-negative integers');
    if (!c.State.Running) throw new EngineError('conflict', `Container ${c.Id} is not running`);
    await this.client.tasks.resize(c.Id, w, h);
    this.event(c, 'resize', { height: String(h), width: String(w) });
  }

  // --- remove -----------------------------------------------------------------------------------
  async remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void> {
    const c = this.get(ref);
    assertAllowed(o.force ? 'forceRemove' : 'remove', c.State.Status, { id: c.Id, name: c.Name });
    if (c.State.Status === 'restarting') {
      clearTimeout(this.restartTimers.get(c.Id));
      this.restartTimers.delete(c.Id);
    }
    const r = this.running.get(c.Id);
    if (r) {
      this.setState(c, 'removing');
      await this.signal(c, 9);
      await Promise.race([r.exited, new Promise((res) => setTimeout(res, 30_000).unref())]);
    }
    await this.locked(c.Id, () => this.removeLocked(c, o));
  }

  /** `collected`: the exit handling just deleted the task, the manager container and the sandbox. */
  async removeLocked(c: ContainerRecord, o: { volumes: boolean; collected?: boolean }): Promise<void> {
    if (!this.store.find(c.Id)) return;
    this.setState(c, 'removing');
    const id = c.Id;
    try {
      if (!o.collected) {
        await this.client.tasks.delete(id).catch(() => {});
        await this.client.containers.delete(id).catch(() => {});
      }
      await this.client.snapshots(this.snapshotter).remove(id).catch((e) => {
        if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
      });
      if (!o.collected) await this.o.network?.releaseSandbox(id).catch(() => {});
      for (const m of c.Mounts) {
        // docker removes anonymous volumes with -v (and --rm); named ones stay
        if (m.Type === 'volume' && m.Name) await this.o.volumes?.release(m.Name, id, { remove: o.volumes }).catch((e) => this.o.log('warn', 'releasing a volume failed', { id, err: String(e) }));
      }
    } catch (e) {
      this.setState(c, 'dead');
      throw e;
    }
    fs.rmSync(path.join(this.o.execRoot, 'containers', id), { recursive: true, force: true });
    this.store.delete(c);
    this.event(c, 'destroy');
    this.notify(id, ['not-running', 'next-exit', 'removed'], c.State.ExitCode);
  }

  /** Engine shutdown with live restore: containers keep running, the engine lets go of them. */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.restartTimers.values()) clearTimeout(t);
    for (const r of this.running.values()) {
      r.io.close();
      r.log.close();
    }
  }
}

/** The init for --init: a static tini (a dynamic one would need the image's libc). */
function initBinary(): string {
  const found = INIT_CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw invalidParam(`--init needs an init binary on the host (one of ${INIT_CANDIDATES.join(', ')}; Debian: apt-get install tini)`);
  return found;
}

function specMounts(mounts: MountPoint[]) {
  return mounts.map((m) =>
    m.Type === 'tmpfs'
      ? { source: 'tmpfs', destination: m.Destination, type: 'tmpfs', options: ['nosuid', 'nodev', 'noexec'] }
      : { source: m.Source, destination: m.Destination, type: 'bind', options: ['rbind', m.RW ? 'rw' : 'ro', 'rprivate'] },
  );
}

/** NetworkSettings.Ports: every exposed port, with its host bindings (null when not published). */
function publishedPorts(c: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of Object.keys(c.Config.ExposedPorts ?? {})) out[p] = null;
  for (const [p, binds] of Object.entries(c.HostConfig.PortBindings ?? {})) out[p] = (binds ?? []).map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort ?? '' }));
  return out;
}
