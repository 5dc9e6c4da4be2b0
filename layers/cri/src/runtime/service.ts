// CriRuntimeService: the CRI RuntimeService (cri-api v1) on top of the manager API, like
// containerd's CRI plugin (internal/cri/server). One method per RPC, named as the RPC, taking
// and returning the decoded messages; the gRPC wiring lives in ../server.ts. It also implements
// the streaming helper's StreamingRuntime (execStream/attachStream/portForwardStream), which does
// the real work behind the URLs that Exec/Attach/PortForward hand out.
//
// Every RPC reads: find the object -> guard with the state table (states.ts) -> effect -> save.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { isManagerError, managerApi, specAny, type ManagerClient } from '@strata/manager';
import { ContainerIO, ioPaths } from './containerIO';
import { CriError, invalidField, toCriError } from './errors';
import { execProcess, forwardResize } from './exec';
import { findImage, imageUserFiles } from './image';
import { PodNetworking, writePodFiles } from './network';
import { mountPodShm, unmountPodShm } from './podShm';
import { portForwardIn } from './portForward';
import { criContainerSpec, linuxResources, sandboxSpec } from './spec';
import { netDev, sampleCgroup, forgetSample, cgroupOf } from './stats';
import { RecordStore, type ContainerRecord, type SandboxRecord } from './store';
import { assertContainer, assertSandbox, CONTAINER_STATE_NUMBER, SANDBOX_STATE_NUMBER, type ContainerOp, type ContainerStateName, type SandboxOp, type SandboxStateName } from './states';
import { NamespaceMode } from './types';
import type * as cri from './types';

export interface StreamOpts {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty: boolean;
  resize?: AsyncIterable<{ width: number; height: number }> | NodeJS.EventEmitter;
}

export interface CriRuntimeOptions {
  /** A manager client in namespace k8s.io (strata-manager or real containerd). */
  client: ManagerClient;
  /** Persistent metadata (sandboxes, containers): survives a restart of strata-cri. */
  root: string;
  /** Volatile state (FIFOs, the pods' resolv.conf/hosts/hostname). */
  state: string;
  cni: { binDirs: string[]; confDir: string; cacheDir?: string };
  /** The manager runtime for the default handler (io.containerd.strata.v2). */
  runtime: string;
  /** runtime_handler -> manager runtime name ("runc" -> io.containerd.runc.v2). */
  runtimeHandlers?: Record<string, string>;
  /** The image whose rootfs the pause process runs in (default strata.local/busybox:latest). */
  pauseImage?: string;
  snapshotter?: string;
  streaming: { urlFor(kind: 'exec' | 'attach' | 'portforward', req: object): Promise<string> };
  log?: (msg: string) => void;
}

type Empty = Record<string, never>;
const KIND_LABEL = 'io.strata.cri/kind';
const SIGKILL = 9;
const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15, SIGSTOP: 19, SIGWINCH: 28 };
/** containerd's values for a container whose task could not start. */
const START_ERROR = { exitCode: 128, reason: 'StartError' };
const nowNs = () => Date.now() * 1_000_000;
const newId = () => crypto.randomBytes(32).toString('hex');
const timestampNs = (t: { seconds?: number; nanos?: number } | undefined) => (t ? (t.seconds ?? 0) * 1e9 + (t.nanos ?? 0) : nowNs());

export class CriRuntimeService {
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly ios = new Map<string, ContainerIO>();
  /** Per task id: resolves once its exit has been recorded. */
  private readonly exits = new Map<string, Promise<void>>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly sandboxStore: RecordStore<SandboxRecord>;
  private readonly containerStore: RecordStore<ContainerRecord>;
  readonly network: PodNetworking;
  private podCidr = '';
  private closed = false;

  constructor(readonly o: CriRuntimeOptions) {
    for (const d of [o.root, o.state]) if (!path.isAbsolute(d)) throw invalidField('root/state', `${d} must be an absolute path`);
    this.sandboxStore = new RecordStore(path.join(o.root, 'sandboxes'));
    this.containerStore = new RecordStore(path.join(o.root, 'containers'));
    this.network = new PodNetworking(o.cni);
  }

  private get c(): ManagerClient {
    return this.o.client;
  }
  private get snapshotter(): string {
    return this.o.snapshotter ?? 'overlayfs';
  }
  private log(m: string): void {
    this.o.log?.(m);
  }
  private sandboxDir(id: string): string {
    return path.join(this.o.state, 'sandboxes', id);
  }
  private containerDir(id: string): string {
    return path.join(this.o.state, 'containers', id);
  }

  /** One operation at a time per object (the kubelet may retry while a call is still running). */
  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(id) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const tail = run.catch(() => {});
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  // --- lookups -------------------------------------------------------------------------------------

  /** Exact id or a unique prefix (crictl accepts truncated ids). */
  private resolve<T>(map: Map<string, T>, id: string | undefined, field: string): string | undefined {
    if (!id) throw invalidField(field, 'must not be empty');
    if (map.has(id)) return id;
    const hits = [...map.keys()].filter((k) => k.startsWith(id));
    if (hits.length > 1) throw invalidField(field, `${JSON.stringify(id)} is ambiguous (${hits.length} matches)`);
    return hits[0];
  }
  private sandboxState(id: string | undefined): SandboxStateName {
    return id ? (this.sandboxes.get(id)?.state ?? 'none') : 'none';
  }
  private containerState(id: string | undefined): ContainerStateName {
    return id ? (this.containers.get(id)?.state ?? 'none') : 'none';
  }
  private sandboxFor(op: SandboxOp, raw: string | undefined, field = 'pod_sandbox_id'): { id: string; rec?: SandboxRecord; action: 'run' | 'noop' } {
    const id = this.resolve(this.sandboxes, raw, field);
    const action = assertSandbox(op, this.sandboxState(id), raw!);
    return { id: id ?? raw!, rec: id ? this.sandboxes.get(id) : undefined, action };
  }
  private containerFor(op: ContainerOp, raw: string | undefined): { id: string; rec?: ContainerRecord; action: 'run' | 'noop' } {
    const id = this.resolve(this.containers, raw, 'container_id');
    const action = assertContainer(op, this.containerState(id), raw!);
    return { id: id ?? raw!, rec: id ? this.containers.get(id) : undefined, action };
  }
  private saveSandbox(r: SandboxRecord): void {
    this.sandboxes.set(r.id, r);
    this.sandboxStore.save(r);
  }
  private saveContainer(r: ContainerRecord): void {
    this.containers.set(r.id, r);
    this.containerStore.save(r);
  }

  private runtimeFor(handler: string | undefined): string {
    const h = handler ?? '';
    if (!h) return this.o.runtime;
    const mapped = { strata: 'io.containerd.strata.v2', runc: 'io.containerd.runc.v2', ...(this.o.runtimeHandlers ?? {}) }[h];
    if (mapped) return mapped;
    if (/^io\.containerd\.[a-z0-9]+\.v[0-9]+$/.test(h)) return h; // a manager runtime name used directly
    throw invalidField('runtime_handler', `no runtime for ${JSON.stringify(h)} is configured`);
  }

  // --- start-up and shut-down ----------------------------------------------------------------------

  /** Load the records and reconcile them with the manager's tasks (a restart of strata-cri). */
  async init(): Promise<void> {
    fs.mkdirSync(this.o.state, { recursive: true, mode: 0o700 });
    for (const s of this.sandboxStore.loadAll()) this.sandboxes.set(s.id, s);
    for (const r of this.containerStore.loadAll()) this.containers.set(r.id, r);
    for (const s of this.sandboxes.values()) {
      if (s.state !== 'ready') continue;
      const p = await this.taskOf(s.id);
      if (p && p.status === managerApi.ProcessStatus.RUNNING) {
        s.pid = p.pid;
        this.watchSandbox(s.id);
      } else await this.onSandboxExit(s.id);
    }
    for (const r of this.containers.values()) {
      if (!this.sandboxes.has(r.podSandboxId)) this.log(`container ${r.id}: its pod ${r.podSandboxId} is gone`);
      const io = new ContainerIO(ioPaths(path.join(this.containerDir(r.id), 'io'), { stdin: !!r.config.stdin, tty: !!r.config.tty }), r.logPath, !!r.config.stdinOnce);
      this.ios.set(r.id, io);
      if (r.state !== 'running') continue;
      const p = await this.taskOf(r.id);
      if (!p) {
        Object.assign(r, { state: 'unknown', reason: 'Unknown', message: 'the task was gone when strata-cri restarted', finishedAt: nowNs(), exitCode: 255 });
        this.saveContainer(r);
        continue;
      }
      if (fs.existsSync(io.paths.stdout)) io.start(false);
      else this.log(`container ${r.id}: its output FIFOs are gone (state dir wiped); output is no longer logged`);
      this.watchContainer(r.id);
    }
    // Manager containers we made but never recorded (a crash between the two): remove them.
    for (const ct of await this.c.containers.list().catch(() => [])) {
      const kind = ct.labels?.[KIND_LABEL];
      if (!kind || this.sandboxes.has(ct.id) || this.containers.has(ct.id)) continue;
      this.log(`removing ${kind} ${ct.id}: no record of it (interrupted create)`);
      await this.deleteManagerContainer(ct.id).catch((e) => this.log(`cleanup ${ct.id}: ${(e as Error).message}`));
    }
  }

  /** Stop copying output and watching tasks; the containers keep running (a restart picks them up). */
  async close(): Promise<void> {
    this.closed = true;
    for (const io of this.ios.values()) io.close();
    this.ios.clear();
  }

  private async taskOf(id: string): Promise<managerApi.Process | undefined> {
    try {
      return await this.c.tasks.get(id);
    } catch (e) {
      if (isManagerError(e, 'NOT_FOUND')) return undefined;
      throw e;
    }
  }

  /** Task, record and snapshot of a manager container; each step tolerates "already gone". */
  private async deleteManagerContainer(id: string): Promise<void> {
    const gone = (e: unknown) => {
      if (!isManagerError(e, 'NOT_FOUND')) throw e;
    };
    const p = await this.taskOf(id);
    if (p && p.status !== managerApi.ProcessStatus.STOPPED) {
      await this.c.tasks.kill(id, SIGKILL, { all: true }).catch(gone);
      await this.c.tasks.wait(id).catch(gone);
    }
    if (p) await this.c.tasks.delete(id).catch(gone);
    await this.c.containers.delete(id).catch(gone);
    await this.c.snapshots(this.snapshotter).remove(id).catch(gone);
  }

  // --- exits ---------------------------------------------------------------------------------------

  /** Tasks.Wait in the background; retried while the manager is unreachable (bounded). */
  private watch(id: string, onExit: (status: number, exitedAt: number) => Promise<void>): void {
    const run = async () => {
      for (let attempt = 0; attempt < 120 && !this.closed; attempt++) {
        try {
          const r = await this.c.tasks.wait(id);
          if (this.closed) return;
          await onExit(r.exitStatus, timestampNs(r.exitedAt));
          return;
        } catch (e) {
          if (this.closed) return;
          if (isManagerError(e, 'NOT_FOUND')) return onExit(255, nowNs());
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    };
    const p = run().catch((e) => this.log(`watching ${id}: ${(e as Error).message}`));
    this.exits.set(id, p);
  }

  private watchSandbox(id: string): void {
    this.watch(id, () => this.onSandboxExit(id));
  }

  /** The pause process ended: the pod is NOTREADY (its namespaces are gone with it). */
  private async onSandboxExit(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    await this.c.tasks.delete(id).catch(() => {});
    if (!s) return;
    s.state = 'notready';
    delete s.pid;
    this.saveSandbox(s);
  }

  private watchContainer(id: string): void {
    this.watch(id, (status, at) => this.onContainerExit(id, status, at));
  }

  /**
   * The container's process ended: read the OOM-kill counter before the task (and with it the
   * cgroup) is deleted, let the output drain into the log, record exit code and reason.
   */
  private async onContainerExit(id: string, status: number, exitedAt: number): Promise<void> {
    const r = this.containers.get(id);
    let oom = false;
    if (r) {
      try {
        oom = cgroupOf(r.cgroupsPath, id).oomKillCount() > 0;
      } catch {
        // cgroup already gone
      }
      forgetSample(r.cgroupsPath);
    }
    await this.c.tasks.delete(id).catch(() => {});
    const io = this.ios.get(id);
    if (io) {
      await Promise.race([io.done, new Promise((res) => setTimeout(res, 2_000))]);
      io.close();
    }
    if (!r) return;
    r.state = 'exited';
    r.exitCode = status;
    r.finishedAt = exitedAt;
    r.reason = oom ? 'OOMKilled' : status === 0 ? 'Completed' : 'Error';
    delete r.pid;
    if (!this.closed) this.saveContainer(r);
  }

  // --- runtime -------------------------------------------------------------------------------------

  async Version(_req: { version?: string }): Promise<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    let manager = 'unknown';
    try {
      manager = (await this.c.version()).version;
    } catch {
      // the manager is down: still answer (crictl calls Version first)
    }
    return { version: '0.1.0', runtimeName: 'strata', runtimeVersion: `0.1.0 (manager ${manager})`, runtimeApiVersion: 'v1' };
  }

  async Status(req: { verbose?: boolean }): Promise<{ status: { conditions: cri.RuntimeCondition[] }; info: Record<string, string> }> {
    let runtimeReady: cri.RuntimeCondition = { type: 'RuntimeReady', status: true, reason: '', message: '' };
    try {
      await this.c.version();
    } catch (e) {
      runtimeReady = { type: 'RuntimeReady', status: false, reason: 'ManagerUnreachable', message: (e as Error).message };
    }
    let net: cri.RuntimeCondition = { type: 'NetworkReady', status: true, reason: '', message: '' };
    try {
      if (!this.network.defaultNetwork()) net = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: cni plugin not initialized (no network config in ${this.o.cni.confDir})` };
    } catch (e) {
      net = { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${(e as Error).message}` };
    }
    const info: Record<string, string> = {};
    if (req.verbose) info.config = JSON.stringify({ runtime: this.o.runtime, runtimeHandlers: this.o.runtimeHandlers ?? {}, cni: this.o.cni, pauseImage: this.pauseImage, podCidr: this.podCidr, root: this.o.root, state: this.o.state });
    return { status: { conditions: [runtimeReady, net] }, info };
  }

  async UpdateRuntimeConfig(req: { runtimeConfig?: { networkConfig?: { podCidr?: string } } }): Promise<Empty> {
    const cidr = req.runtimeConfig?.networkConfig?.podCidr ?? '';
    if (cidr && !/^[0-9a-fA-F:.]+\/\d{1,3}(,[0-9a-fA-F:.]+\/\d{1,3})*$/.test(cidr)) throw invalidField('runtime_config.network_config.pod_cidr', `not a CIDR list: ${JSON.stringify(cidr)}`);
    // containerd writes a CNI config from a template with it; without a template (ours) it is recorded only
    this.podCidr = cidr;
    return {};
  }

  async RuntimeConfig(_req: object): Promise<{ linux: { cgroupDriver: number } }> {
    return { linux: { cgroupDriver: 1 /* CGROUPFS */ } };
  }

  private get pauseImage(): string {
    return this.o.pauseImage ?? 'strata.local/busybox:latest';
  }

  // --- pod sandboxes -------------------------------------------------------------------------------

  async RunPodSandbox(req: { config?: cri.PodSandboxConfig; runtimeHandler?: string }): Promise<{ podSandboxId: string }> {
    const config = req.config;
    if (!config) throw invalidField('config', 'must be set');
    const md = config.metadata;
    if (!md?.name) throw invalidField('config.metadata.name', 'must not be empty');
    if (!md.namespace) throw invalidField('config.metadata.namespace', 'must not be empty');
    const key = (m: cri.PodSandboxMetadata | undefined) => `${m?.name}_${m?.namespace}_${m?.uid ?? ''}_${m?.attempt ?? 0}`;
    const dup = [...this.sandboxes.values()].find((s) => key(s.config.metadata) === key(md));
    if (dup) throw new CriError('ALREADY_EXISTS', `pod sandbox name ${JSON.stringify(key(md))} is reserved for ${dup.id}`);
    const runtime = this.runtimeFor(req.runtimeHandler);
    const options: cri.NamespaceOption = { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD, ...(config.linux?.securityContext?.namespaceOptions ?? {}) };
    const hostNetwork = options.network === NamespaceMode.NODE;
    const parent = config.linux?.cgroupParent ?? '';
    if (parent && (parent.split('/').includes('..') || parent.includes(':'))) throw invalidField('config.linux.cgroup_parent', `${JSON.stringify(parent)}: must be a cgroupfs path without ".." (the systemd driver is not supported)`);
    if (config.hostname && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/.test(config.hostname)) throw invalidField('config.hostname', `${JSON.stringify(config.hostname)} is not a valid hostname`);
    const id = newId();
    const rec: SandboxRecord = {
      id,
      config,
      runtimeHandler: req.runtimeHandler ?? '',
      runtime,
      createdAt: nowNs(),
      state: 'ready',
      additionalIps: [],
      cgroupsPath: `${parent ? `/${parent.replace(/^\/+|\/+$/g, '')}` : '/k8s.io'}/${id}`,
    };
    const undo: (() => Promise<unknown> | void)[] = [];
    try {
      const image = await findImage(this.c, this.pauseImage, this.snapshotter, 'pause image');
      // The CNI plugins run while the pause container is created and started in the (empty)
      // netns: the two slowest steps of a pod start overlap instead of following each other.
      let attached: Promise<unknown> | undefined;
      if (!hostNetwork) {
        const pre = this.network.prepare(id, config);
        undo.push(() => this.network.tearDown(id, config, pre));
        Object.assign(rec, { netns: pre.netns, network: pre.network });
        attached = this.network.attach(id, config, pre).then((n) => Object.assign(rec, { ip: n.ip, additionalIps: n.additionalIps }));
        attached.catch(() => {}); // awaited below; failures are handled there
      }
      undo.push(() => fs.rmSync(this.sandboxDir(id), { recursive: true, force: true }));
      if (options.ipc !== NamespaceMode.NODE) {
        undo.push(() => unmountPodShm(this.sandboxDir(id)));
        mountPodShm(this.sandboxDir(id));
      }
      const spec = sandboxSpec({ id, config, pod: { netns: rec.netns, options }, cgroupsPath: rec.cgroupsPath, image: image.config, warn: (m) => this.log(m) });
      undo.push(() => this.deleteManagerContainer(id));
      await this.c.withLease(async () => {
        const mounts = await this.c.snapshots(this.snapshotter).prepare(id, image.topSnapshot);
        await this.c.containers.create({ id, labels: { [KIND_LABEL]: 'sandbox', ...(config.labels ?? {}) }, image: image.name, runtime: { name: runtime }, spec: specAny(spec), snapshotter: this.snapshotter, snapshotKey: id, extensions: {} });
        await this.c.tasks.create({ containerId: id, rootfs: mounts });
      });
      rec.pid = await this.c.tasks.start(id);
      if (attached) await attached;
      // hosts names the pod's IP: written once the network is up (app containers mount these files)
      writePodFiles(this.sandboxDir(id), config, hostNetwork, rec.ip);
      this.saveSandbox(rec);
      this.watchSandbox(id);
      return { podSandboxId: id };
    } catch (e) {
      for (const u of undo.reverse()) await Promise.resolve(u()).catch((err) => this.log(`RunPodSandbox ${id} cleanup: ${(err as Error).message}`));
      throw toCriError(e, `RunPodSandbox ${md.namespace}/${md.name}`);
    }
  }

  async StopPodSandbox(req: { podSandboxId?: string }): Promise<Empty> {
    const { id, action } = this.sandboxFor('StopPodSandbox', req.podSandboxId);
    await this.locked(id, async () => {
      const s = this.sandboxes.get(id);
      if (!s) return;
      // every container first (the kubelet has stopped them with grace already; this is the backstop)
      for (const r of [...this.containers.values()].filter((x) => x.podSandboxId === id && x.state === 'running')) await this.stopContainer(r.id, 0);
      if (action === 'run' || s.pid) {
        if (await this.taskOf(id)) {
          await this.kill(id, SIGKILL, true);
          await this.exitRecorded(id);
        }
        await this.onSandboxExit(id);
      }
      if (s.netns && s.network) {
        await this.network.tearDown(id, s.config, { netns: s.netns, network: s.network });
        delete s.netns;
        this.saveSandbox(s);
      }
    });
    return {};
  }

  async RemovePodSandbox(req: { podSandboxId?: string }): Promise<Empty> {
    const { id, action } = this.sandboxFor('RemovePodSandbox', req.podSandboxId);
    if (action === 'noop') return {};
    if (this.sandboxes.get(id)?.state === 'ready' || this.sandboxes.get(id)?.netns) await this.StopPodSandbox({ podSandboxId: id });
    await this.locked(id, async () => {
      for (const r of [...this.containers.values()].filter((x) => x.podSandboxId === id)) await this.RemoveContainer({ containerId: r.id });
      await this.deleteManagerContainer(id);
      unmountPodShm(this.sandboxDir(id));
      fs.rmSync(this.sandboxDir(id), { recursive: true, force: true });
      this.sandboxStore.remove(id);
      this.sandboxes.delete(id);
      this.exits.delete(id);
    });
    return {};
  }

  private sandboxStatus(s: SandboxRecord): cri.PodSandboxStatus {
    const ns = s.config.linux?.securityContext?.namespaceOptions ?? {};
    return {
      id: s.id,
      metadata: s.config.metadata,
      state: SANDBOX_STATE_NUMBER[s.state],
      createdAt: s.createdAt,
      network: { ip: s.ip ?? '', additionalIps: s.additionalIps.map((ip) => ({ ip })) },
      linux: { namespaces: { options: { network: ns.network ?? 0, pid: ns.pid ?? 1, ipc: ns.ipc ?? 0, targetId: '' } } },
      labels: s.config.labels ?? {},
      annotations: s.config.annotations ?? {},
      runtimeHandler: s.runtimeHandler,
    };
  }

  async PodSandboxStatus(req: { podSandboxId?: string; verbose?: boolean }): Promise<{ status: cri.PodSandboxStatus; info: Record<string, string>; containersStatuses: cri.ContainerStatus[]; timestamp: number }> {
    const { rec } = this.sandboxFor('PodSandboxStatus', req.podSandboxId);
    const s = rec!;
    const info: Record<string, string> = {};
    if (req.verbose) info.info = JSON.stringify({ pid: s.pid ?? 0, netns: s.netns ?? '', runtime: s.runtime, runtimeHandler: s.runtimeHandler, cgroupsPath: s.cgroupsPath, network: s.network?.name ?? '', config: s.config });
    return { status: this.sandboxStatus(s), info, containersStatuses: [], timestamp: nowNs() };
  }

  async ListPodSandbox(req: { filter?: { id?: string; state?: { state?: number }; labelSelector?: cri.Labels } }): Promise<{ items: cri.PodSandbox[] }> {
    const f = req.filter ?? {};
    const items = [...this.sandboxes.values()]
      .filter((s) => !f.id || s.id.startsWith(f.id))
      .filter((s) => f.state === undefined || f.state === null || SANDBOX_STATE_NUMBER[s.state] === (f.state.state ?? 0))
      .filter((s) => Object.entries(f.labelSelector ?? {}).every(([k, v]) => s.config.labels?.[k] === v))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((s) => {
        const st = this.sandboxStatus(s);
        return { id: st.id, metadata: st.metadata, state: st.state, createdAt: st.createdAt, labels: st.labels, annotations: st.annotations, runtimeHandler: st.runtimeHandler };
      });
    return { items };
  }

  // --- containers ----------------------------------------------------------------------------------

  /** What every container of the pod gets bind-mounted: the pod's /etc files and its /dev/shm. */
  private podFiles(podId: string, options: cri.NamespaceOption): Record<string, string> {
    const dir = this.sandboxDir(podId);
    const files: Record<string, string> = { '/etc/resolv.conf': path.join(dir, 'resolv.conf'), '/etc/hostname': path.join(dir, 'hostname'), '/etc/hosts': path.join(dir, 'hosts') };
    files['/dev/shm'] = options.ipc === NamespaceMode.NODE ? '/dev/shm' : path.join(dir, 'shm');
    return files;
  }

  async CreateContainer(req: { podSandboxId?: string; config?: cri.ContainerConfig; sandboxConfig?: cri.PodSandboxConfig }): Promise<{ containerId: string }> {
    const { id: podId, rec } = this.sandboxFor('CreateContainer', req.podSandboxId);
    const s = rec!;
    const config = req.config;
    if (!config) throw invalidField('config', 'must be set');
    if (!config.metadata?.name) throw invalidField('config.metadata.name', 'must not be empty');
    if (!config.image?.image) throw invalidField('config.image.image', 'must name an image');
    const nameKey = `${config.metadata.name}_${config.metadata.attempt ?? 0}`;
    const dup = [...this.containers.values()].find((r) => r.podSandboxId === podId && `${r.config.metadata?.name}_${r.config.metadata?.attempt ?? 0}` === nameKey);
    if (dup) throw new CriError('ALREADY_EXISTS', `container name ${JSON.stringify(nameKey)} in pod ${podId} is reserved for ${dup.id}`);
    let logPath = '';
    if (config.logPath) {
      const dir = s.config.logDirectory ?? '';
      if (!dir || !path.isAbsolute(dir)) throw invalidField('sandbox_config.log_directory', 'must be an absolute path when config.log_path is set');
      logPath = path.resolve(dir, config.logPath);
      if (!logPath.startsWith(`${path.resolve(dir)}/`)) throw invalidField('config.log_path', `${JSON.stringify(config.logPath)} leaves the pod's log directory`);
    }
    const id = newId();
    const options: cri.NamespaceOption = { network: NamespaceMode.POD, pid: NamespaceMode.CONTAINER, ipc: NamespaceMode.POD, ...(s.config.linux?.securityContext?.namespaceOptions ?? {}) };
    if (!s.pid) throw new CriError('FAILED_PRECONDITION', `pod sandbox ${podId}: its pause process is not running`);
    const cgroupsPath = `${path.dirname(s.cgroupsPath) === '/k8s.io' ? '/k8s.io' : path.dirname(s.cgroupsPath)}/${id}`;
    try {
      const image = await findImage(this.c, config.image.image, this.snapshotter);
      const users = await imageUserFiles(this.c, image).catch(() => ({ passwd: [], group: [] }));
      const spec = criContainerSpec({
        id,
        sandboxId: podId,
        config,
        sandboxConfig: s.config,
        pod: { netns: s.netns, pid: s.pid, options },
        image: image.config,
        imageName: image.name,
        userFiles: () => users,
        cgroupsPath,
        podFiles: this.podFiles(podId, options),
        warn: (m) => this.log(m),
      });
      const r: ContainerRecord = {
        id,
        podSandboxId: podId,
        config,
        image: image.name,
        imageRef: image.id,
        snapshotter: this.snapshotter,
        createdAt: nowNs(),
        startedAt: 0,
        finishedAt: 0,
        exitCode: 0,
        reason: '',
        message: '',
        state: 'created',
        logPath,
        cgroupsPath,
      };
      await this.c.withLease(async () => {
        await this.c.snapshots(this.snapshotter).prepare(id, image.topSnapshot);
        try {
          await this.c.containers.create({ id, labels: { [KIND_LABEL]: 'container', ...(config.labels ?? {}) }, image: image.name, runtime: { name: s.runtime }, spec: specAny(spec), snapshotter: this.snapshotter, snapshotKey: id, extensions: {} });
        } catch (e) {
          await this.c.snapshots(this.snapshotter).remove(id).catch(() => {});
          throw e;
        }
      });
      const io = new ContainerIO(ioPaths(path.join(this.containerDir(id), 'io'), { stdin: !!config.stdin, tty: !!config.tty }), logPath, !!config.stdinOnce);
      try {
        io.create();
        this.saveContainer(r);
      } catch (e) {
        await this.deleteManagerContainer(id).catch(() => {});
        fs.rmSync(this.containerDir(id), { recursive: true, force: true });
        throw e;
      }
      this.ios.set(id, io);
      return { containerId: id };
    } catch (e) {
      throw toCriError(e, `CreateContainer ${config.metadata.name} in pod ${podId}`);
    }
  }

  async StartContainer(req: { containerId?: string }): Promise<Empty> {
    const { id } = this.containerFor('StartContainer', req.containerId);
    await this.locked(id, async () => {
      const r = this.containers.get(id)!;
      assertContainer('StartContainer', r.state, id);
      const s = this.sandboxes.get(r.podSandboxId);
      if (s?.state !== 'ready') throw new CriError('FAILED_PRECONDITION', `container ${id}: its pod sandbox ${r.podSandboxId} is not ready`);
      const io = this.ios.get(id)!;
      let created = false;
      try {
        io.create();
        io.start(true);
        const mounts = await this.c.snapshots(r.snapshotter).mounts(id);
        await this.c.tasks.create({ containerId: id, rootfs: mounts, stdin: io.paths.stdin, stdout: io.paths.stdout, stderr: io.paths.stderr, terminal: io.paths.terminal });
        created = true;
        io.opened();
        r.pid = await this.c.tasks.start(id);
      } catch (e) {
        if (created) await this.c.tasks.delete(id).catch(() => {});
        io.close();
        Object.assign(r, { state: 'exited', exitCode: START_ERROR.exitCode, reason: START_ERROR.reason, message: (e as Error).message, finishedAt: nowNs() });
        this.saveContainer(r);
        throw toCriError(e, `StartContainer ${id}`);
      }
      r.state = 'running';
      r.startedAt = nowNs();
      this.saveContainer(r);
      this.watchContainer(id);
    });
    return {};
  }

  /** Stop signal, then SIGKILL after `timeout` seconds (0: SIGKILL at once); waits for the exit record. */
  private async stopContainer(id: string, timeout: number): Promise<void> {
    const r = this.containers.get(id);
    if (!r || r.state !== 'running') return;
    const exited = this.exits.get(id) ?? Promise.resolve();
    if (timeout > 0) {
      let sig = 15;
      try {
        const img = await findImage(this.c, r.imageRef, r.snapshotter);
        const name = img.config.StopSignal ?? '';
        sig = /^\d+$/.test(name) ? Number(name) : (SIGNALS[name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`] ?? 15);
      } catch {
        // image removed meanwhile: SIGTERM
      }
      await this.kill(id, sig, false);
      const t = new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), timeout * 1000).unref());
      if ((await Promise.race([exited.then(() => 'exited' as const), t])) === 'exited') return;
    }
    await this.kill(id, SIGKILL, true);
    await this.exitRecorded(id);
  }

  /** Tasks.Kill; "not found" means it already exited (the exit watch records it). */
  private async kill(id: string, signal: number, all: boolean): Promise<void> {
    try {
      await this.c.tasks.kill(id, signal, { all });
    } catch (e) {
      if (!isManagerError(e, 'NOT_FOUND')) throw toCriError(e, `kill ${id} with signal ${signal}`);
    }
  }

  /** Wait (bounded) until the exit of a killed task has been recorded. */
  private async exitRecorded(id: string, ms = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), ms)));
    const r = await Promise.race([this.exits.get(id) ?? Promise.resolve(), late]);
    clearTimeout(timer);
    if (r === 'late') throw new CriError('INTERNAL', `${id}: killed, but no exit was reported within ${ms / 1000}s`);
  }

  async StopContainer(req: { containerId?: string; timeout?: number }): Promise<Empty> {
    const { id, action } = this.containerFor('StopContainer', req.containerId);
    if (action === 'noop') return {};
    const timeout = req.timeout ?? 0;
    if (timeout < 0) throw invalidField('timeout', 'must be >= 0');
    await this.stopContainer(id, timeout);
    return {};
  }

  async RemoveContainer(req: { containerId?: string }): Promise<Empty> {
    const { id, action } = this.containerFor('RemoveContainer', req.containerId);
    if (action === 'noop') return {};
    await this.locked(id, async () => {
      const r = this.containers.get(id);
      if (!r) return;
      if (r.state === 'running') await this.stopContainer(id, 0);
      await this.deleteManagerContainer(id);
      this.ios.get(id)?.close();
      this.ios.delete(id);
      fs.rmSync(this.containerDir(id), { recursive: true, force: true });
      forgetSample(r.cgroupsPath);
      this.containerStore.remove(id);
      this.containers.delete(id);
      this.exits.delete(id);
    });
    return {};
  }

  private containerSummary(r: ContainerRecord): cri.Container {
    return {
      id: r.id,
      podSandboxId: r.podSandboxId,
      metadata: r.config.metadata,
      image: { image: r.config.image?.image ?? r.image },
      imageRef: r.imageRef,
      state: CONTAINER_STATE_NUMBER[r.state],
      createdAt: r.createdAt,
      labels: r.config.labels ?? {},
      annotations: r.config.annotations ?? {},
    };
  }

  async ListContainers(req: { filter?: { id?: string; state?: { state?: number }; podSandboxId?: string; labelSelector?: cri.Labels } }): Promise<{ containers: cri.Container[] }> {
    const f = req.filter ?? {};
    const containers = [...this.containers.values()]
      .filter((r) => !f.id || r.id.startsWith(f.id))
      .filter((r) => !f.podSandboxId || r.podSandboxId.startsWith(f.podSandboxId))
      .filter((r) => f.state === undefined || f.state === null || CONTAINER_STATE_NUMBER[r.state] === (f.state.state ?? 0))
      .filter((r) => Object.entries(f.labelSelector ?? {}).every(([k, v]) => r.config.labels?.[k] === v))
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((r) => this.containerSummary(r));
    return { containers };
  }

  async ContainerStatus(req: { containerId?: string; verbose?: boolean }): Promise<{ status: cri.ContainerStatus; info: Record<string, string> }> {
    const { rec } = this.containerFor('ContainerStatus', req.containerId);
    const r = rec!;
    const status: cri.ContainerStatus = {
      ...this.containerSummary(r),
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      exitCode: r.exitCode,
      reason: r.reason,
      message: r.message,
      mounts: r.config.mounts ?? [],
      logPath: r.logPath,
      resources: { linux: r.config.linux?.resources ?? {} },
    };
    const info: Record<string, string> = {};
    if (req.verbose) info.info = JSON.stringify({ pid: r.pid ?? 0, sandboxID: r.podSandboxId, runtime: this.sandboxes.get(r.podSandboxId)?.runtime ?? '', cgroupsPath: r.cgroupsPath, snapshotter: r.snapshotter, config: r.config });
    return { status, info };
  }

  async UpdateContainerResources(req: { containerId?: string; linux?: cri.LinuxContainerResources; annotations?: cri.Labels }): Promise<Empty> {
    const { id } = this.containerFor('UpdateContainerResources', req.containerId);
    const resources = linuxResources(req.linux, 'linux');
    await this.locked(id, async () => {
      const r = this.containers.get(id)!;
      assertContainer('UpdateContainerResources', r.state, id);
      // the stored spec first (a later start uses it), then the live cgroup
      const ct = await this.c.containers.get(id);
      const spec = JSON.parse(Buffer.from(ct.spec.value).toString('utf8'));
      spec.linux.resources = { ...spec.linux.resources, ...resources };
      await this.c.containers.update({ ...ct, spec: specAny(spec) }, ['spec']);
      if (r.state === 'running') {
        const any = { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/LinuxResources', value: new Uint8Array(Buffer.from(JSON.stringify(resources))) };
        await this.c.grpc.call(managerApi.TASKS_SERVICE, 'Update', { containerId: id, resources: any, annotations: req.annotations ?? {} }).catch((e: unknown) => {
          throw toCriError(e, `UpdateContainerResources ${id}`);
        });
      }
      r.config = { ...r.config, linux: { ...r.config.linux, resources: { ...(r.config.linux?.resources ?? {}), ...(req.linux ?? {}) } } };
      this.saveContainer(r);
    });
    return {};
  }

  async ReopenContainerLog(req: { containerId?: string }): Promise<Empty> {
    const { id } = this.containerFor('ReopenContainerLog', req.containerId);
    const io = this.ios.get(id);
    if (!io) throw new CriError('FAILED_PRECONDITION', `container ${id}: its output is not being copied (restarted without its FIFOs)`);
    try {
      io.reopenLog();
    } catch (e) {
      throw toCriError(e, `ReopenContainerLog ${id}`);
    }
    return {};
  }

  // --- exec, attach, port-forward ------------------------------------------------------------------

  async ExecSync(req: { containerId?: string; cmd?: string[]; timeout?: number }): Promise<{ stdout: Uint8Array; stderr: Uint8Array; exitCode: number }> {
    const { id } = this.containerFor('ExecSync', req.containerId);
    if (!req.cmd?.length) throw invalidField('cmd', 'must not be empty');
    const MAX = 16 << 20; // as containerd, output beyond 16 MiB per stream is dropped
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const timeout = req.timeout ?? 0;
    let res;
    try {
      res = await execProcess(this.c, path.join(this.o.state, 'exec'), id, req.cmd, {
        tty: false,
        onStdout: (b) => outLen < MAX && (out.push(b), (outLen += b.length)),
        onStderr: (b) => errLen < MAX && (err.push(b), (errLen += b.length)),
        timeoutMs: timeout > 0 ? timeout * 1000 : undefined,
      });
    } catch (e) {
      throw toCriError(e, `ExecSync in ${id}`);
    }
    // containerd returns DEADLINE_EXCEEDED (the kubelet's exec probe reads it as a probe timeout)
    if (res.timedOut) throw new CriError('DEADLINE_EXCEEDED', `ExecSync ${JSON.stringify(req.cmd)} in ${id}: timeout ${timeout}s exceeded (the process was killed)`);
    return { stdout: new Uint8Array(Buffer.concat(out)), stderr: new Uint8Array(Buffer.concat(err)), exitCode: res.exitCode };
  }

  async Exec(req: { containerId?: string; cmd?: string[]; tty?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean }): Promise<{ url: string }> {
    const { id } = this.containerFor('Exec', req.containerId);
    if (!req.cmd?.length) throw invalidField('cmd', 'must not be empty');
    if (!req.stdin && !req.stdout && !req.stderr) throw invalidField('stdin/stdout/stderr', 'one of them must be true');
    if (req.tty && req.stderr) throw invalidField('stderr', 'tty and stderr cannot both be true');
    return { url: await this.o.streaming.urlFor('exec', { ...req, containerId: id }) };
  }

  async Attach(req: { containerId?: string; stdin?: boolean; tty?: boolean; stdout?: boolean; stderr?: boolean }): Promise<{ url: string }> {
    const { id, rec } = this.containerFor('Attach', req.containerId);
    if (!req.stdin && !req.stdout && !req.stderr) throw invalidField('stdin/stdout/stderr', 'one of them must be true');
    if (req.stdin && !rec!.config.stdin) throw invalidField('stdin', `container ${id} was not created with stdin`);
    return { url: await this.o.streaming.urlFor('attach', { ...req, containerId: id, tty: !!rec!.config.tty }) };
  }

  async PortForward(req: { podSandboxId?: string; port?: number[] }): Promise<{ url: string }> {
    const { id } = this.sandboxFor('PortForward', req.podSandboxId);
    for (const [i, p] of (req.port ?? []).entries()) if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidField(`port[${i}]`, `must be 1-65535 (got ${p})`);
    return { url: await this.o.streaming.urlFor('portforward', { ...req, podSandboxId: id }) };
  }

  async execStream(containerId: string, cmd: string[], o: StreamOpts): Promise<number> {
    const { id } = this.containerFor('Exec', containerId);
    const res = await execProcess(this.c, path.join(this.o.state, 'exec'), id, cmd, {
      tty: o.tty,
      stdin: o.stdin,
      onStdout: (b) => o.stdout?.write(b),
      onStderr: (b) => (o.stderr ?? o.stdout)?.write(b),
      resize: o.resize as never,
    });
    return res.exitCode;
  }

  async attachStream(containerId: string, o: StreamOpts): Promise<void> {
    const { id } = this.containerFor('Attach', containerId);
    const io = this.ios.get(id);
    if (!io) throw new CriError('FAILED_PRECONDITION', `container ${id}: its output is not available to attach to`);
    const r = this.containers.get(id)!;
    const unsubscribe = io.subscribe((stream, data) => {
      const w = stream === 'stderr' && !r.config.tty ? o.stderr : o.stdout;
      w?.write(data);
    });
    const stopResize = forwardResize(o.resize as never, (w, h) => this.c.tasks.resize(id, w, h).catch(() => {}));
    const stdinDone = o.stdin && io.hasStdin ? io.feedStdin(o.stdin) : new Promise<void>(() => {});
    const clientGone = new Promise<void>((res) => {
      for (const w of [o.stdout, o.stderr]) (w as unknown as NodeJS.EventEmitter | undefined)?.once?.('close', () => res());
    });
    // ends when the container's output ends (it exited), the client goes away, or stdin_once closed stdin
    // with stdin_once the session ends with its stdin (after a short grace for the answer to it)
    const ended = r.config.stdinOnce ? stdinDone.then(() => Promise.race([io.done, new Promise((res) => setTimeout(res, 2_000))])) : new Promise<void>(() => {});
    try {
      await Promise.race([io.done, clientGone, ended]);
    } finally {
      unsubscribe();
      stopResize();
    }
  }

  async portForwardStream(podSandboxId: string, port: number, conn: Duplex): Promise<void> {
    const { rec } = this.sandboxFor('PortForward', podSandboxId);
    await portForwardIn(rec!.netns, port, conn);
  }

  // --- stats ---------------------------------------------------------------------------------------

  private async containerStats(r: ContainerRecord): Promise<cri.ContainerStats> {
    const attributes = { id: r.id, metadata: r.config.metadata, labels: r.config.labels ?? {}, annotations: r.config.annotations ?? {} };
    const out: cri.ContainerStats = { attributes };
    if (r.state === 'running') {
      const s = sampleCgroup(r.cgroupsPath, r.id);
      if (s) Object.assign(out, { cpu: s.cpu, memory: s.memory });
    }
    try {
      const u = await this.c.snapshots(r.snapshotter).usage(r.id);
      out.writableLayer = { timestamp: nowNs(), fsId: { mountpoint: r.snapshotter }, usedBytes: { value: u.size }, inodesUsed: { value: u.inodes } };
    } catch {
      // snapshot gone with the container
    }
    return out;
  }

  async ContainerStats(req: { containerId?: string }): Promise<{ stats: cri.ContainerStats }> {
    const { rec } = this.containerFor('ContainerStatus', req.containerId);
    return { stats: await this.containerStats(rec!) };
  }

  async ListContainerStats(req: { filter?: { id?: string; podSandboxId?: string; labelSelector?: cri.Labels } }): Promise<{ stats: cri.ContainerStats[] }> {
    const { containers } = await this.ListContainers({ filter: { id: req.filter?.id, podSandboxId: req.filter?.podSandboxId, labelSelector: req.filter?.labelSelector } });
    const stats: cri.ContainerStats[] = [];
    for (const c of containers) {
      const r = this.containers.get(c.id);
      if (r) stats.push(await this.containerStats(r));
    }
    return { stats };
  }

  private async sandboxStats(s: SandboxRecord): Promise<cri.PodSandboxStats> {
    const attributes = { id: s.id, metadata: s.config.metadata, labels: s.config.labels ?? {}, annotations: s.config.annotations ?? {} };
    const members = [...this.containers.values()].filter((r) => r.podSandboxId === s.id);
    const containers = await Promise.all(members.map((r) => this.containerStats(r)));
    if (s.state !== 'ready') return { attributes, linux: { containers } };
    // the pod's usage: the pod cgroup when the kubelet gave one (it holds every container), else pause + containers
    const parent = path.dirname(s.cgroupsPath);
    const parts = [parent !== '/k8s.io' ? sampleCgroup(parent, s.id) : undefined].filter(Boolean);
    if (!parts.length) parts.push(sampleCgroup(s.cgroupsPath, s.id), ...members.filter((r) => r.state === 'running').map((r) => sampleCgroup(r.cgroupsPath, r.id)));
    const t = nowNs();
    const sum = (f: (x: NonNullable<(typeof parts)[number]>) => number | undefined) => parts.reduce((a, x) => a + (x ? (f(x) ?? 0) : 0), 0);
    const ifaces = s.pid ? netDev(s.pid) : [];
    return {
      attributes,
      linux: {
        cpu: { timestamp: t, usageCoreNanoSeconds: { value: sum((x) => x.cpu.usageCoreNanoSeconds?.value) }, usageNanoCores: { value: sum((x) => x.cpu.usageNanoCores?.value) } },
        memory: { timestamp: t, usageBytes: { value: sum((x) => x.memory.usageBytes?.value) }, workingSetBytes: { value: sum((x) => x.memory.workingSetBytes?.value) }, rssBytes: { value: sum((x) => x.memory.rssBytes?.value) }, pageFaults: { value: sum((x) => x.memory.pageFaults?.value) }, majorPageFaults: { value: sum((x) => x.memory.majorPageFaults?.value) } },
        network: { timestamp: t, defaultInterface: ifaces.find((i) => i.name === 'eth0'), interfaces: ifaces },
        process: { timestamp: t, processCount: { value: sum((x) => x.pids) } },
        containers,
      },
    };
  }

  async PodSandboxStats(req: { podSandboxId?: string }): Promise<{ stats: cri.PodSandboxStats }> {
    const { rec } = this.sandboxFor('PodSandboxStatus', req.podSandboxId);
    return { stats: await this.sandboxStats(rec!) };
  }

  async ListPodSandboxStats(req: { filter?: { id?: string; labelSelector?: cri.Labels } }): Promise<{ stats: cri.PodSandboxStats[] }> {
    const { items } = await this.ListPodSandbox({ filter: { id: req.filter?.id, labelSelector: req.filter?.labelSelector } });
    const stats: cri.PodSandboxStats[] = [];
    for (const it of items) {
      const s = this.sandboxes.get(it.id);
      if (s) stats.push(await this.sandboxStats(s));
    }
    return { stats };
  }
}
