// The engine as a library: one object holding the manager client (namespace "moby"), the event
// log, images, volumes, networks and containers, and the HTTP API serving all of their routes.
// daemon.ts runs it as a process; tests can run it in-process too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagerClient } from '@strata/manager';
import { networkRoutes } from './api/networkRoutes';
import { ApiServer } from './api/server';
import { Builder, serveBuild } from './build';
import { checkpointRoutes } from './checkpoints/routes';
import { CheckpointService } from './checkpoints/service';
import type { Route } from './api/types';
import { socketPath, runtimesOf, type EngineConfig } from './config';
import type { Runtimes } from './runtimes';
import { recoverContainers } from './containers/recover';
import { containerRoutes } from './containers/routes';
import { ContainerService } from './containers/service';
import { EngineEvents } from './events';
import { ExecService } from './exec/exec';
import { ImageService } from './images';
import type { Logger } from './log';
import { NetworkController } from './network';
import { systemRoutes } from './system/routes';
import { VolumeStore } from './volumes';
import { traceManagerCalls } from './trace';
import { VERSION } from './version';

export class Engine {
  readonly client: ManagerClient;
  readonly events = new EngineEvents();
  readonly images: ImageService;
  readonly volumes: VolumeStore;
  readonly network: NetworkController;
  readonly containers: ContainerService;
  readonly execs: ExecService;
  readonly checkpoints: CheckpointService;
  readonly builder: Builder;
  readonly runtimes: Runtimes;
  server?: ApiServer;
  /** strata-manager or containerd: told apart by the Version call's revision (traces name the callee). */
  managerName = 'strata-manager';

  constructor(
    readonly config: EngineConfig,
    readonly log: Logger,
  ) {
    this.runtimes = runtimesOf(config);
    this.client = new ManagerClient(config.containerd, config.namespace);
    traceManagerCalls(this.client.grpc as unknown as { call: (...a: any[]) => Promise<any> }, () => this.managerName);
    this.images = new ImageService({
      client: this.client,
      events: this.events,
      snapshotter: config.snapshotter,
      isInUse: (imageId) => this.containers.store.all().find((c) => c.Image === imageId)?.Id,
      log: (l, m, f) => log(l, m, f),
    });
    this.volumes = new VolumeStore({ root: path.join(config.dataRoot, 'volumes'), events: this.events });
    this.network = new NetworkController({ root: path.join(config.dataRoot, 'network'), execRoot: path.join(config.execRoot, 'network'), bridge: config.bridge, iptables: config.iptables });
    this.containers = new ContainerService({
      client: this.client,
      dataRoot: config.dataRoot,
      execRoot: config.execRoot,
      runtime: config.defaultRuntime,
      runtimes: this.runtimes,
      snapshotter: config.snapshotter,
      network: this.network,
      volumes: { acquire: (n, id) => this.volumes.acquire(n, id), release: (n, id, o) => this.volumes.release(n, id, o) },
      events: this.events,
      images: this.images,
      log,
    });
    this.execs = new ExecService(this.containers);
    this.checkpoints = new CheckpointService(this.containers, config.experimental);
    this.builder = new Builder({
      client: this.client,
      workDir: path.join(config.dataRoot, 'builder'),
      snapshotter: config.snapshotter,
      // RUN steps use the default runtime's shim (an --add-runtime binary is not passed to builds)
      runtime: this.runtimes.resolve(undefined).shim,
      pull: async (ref) => {
        await this.images.pull(ref, {});
      },
      setName: (name, target) => this.images.setName(name, target),
    });
  }

  /** The engine's id (dockerd keeps one in <data-root>/engine-id). */
  private engineId(): string {
    const f = path.join(this.config.dataRoot, 'engine-id');
    try {
      return fs.readFileSync(f, 'utf8').trim();
    } catch {
      const id = crypto.randomUUID();
      fs.writeFileSync(f, `${id}\n`, { mode: 0o600 });
      return id;
    }
  }

  routes(): Route[] {
    const c = this.config;
    const optional = (o: object): Route[] => ('routes' in o && typeof o.routes === 'function' ? (o.routes as () => Route[])() : []);
    return [
      ...systemRoutes({
        svc: this.containers,
        name: os.hostname(),
        id: this.engineId(),
        dataRoot: c.dataRoot,
        defaultRuntime: c.defaultRuntime,
        runtimes: this.runtimes.info(),
        managerAddress: c.containerd,
        iptables: c.iptables,
        experimental: c.experimental,
        imageCount: async () => (await this.client.images.list()).filter((i) => !i.name.includes('@')).length,
      }),
      ...containerRoutes(this.containers, this.execs, this.checkpoints),
      ...checkpointRoutes(this.checkpoints),
      ...this.events.routes(),
      ...this.images.routes(),
      ...this.volumes.routes(),
      // the controller's own /networks routes when it has them, else the engine's
      ...('routes' in this.network ? optional(this.network) : networkRoutes(this.network, this.containers)),
      // docker build: the builder streams its own JSON messages on the response
      { method: 'POST', pattern: '/build', handler: (req, res) => serveBuild(this.builder, req.raw, res.raw, req.query) },
    ];
  }

  /** Prepare the directories, check the manager, load state, recover containers, then serve. */
  async start(): Promise<void> {
    const c = this.config;
    for (const d of [c.dataRoot, c.execRoot]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    const v = await this.client.version().catch((e) => {
      throw new Error(`cannot reach the manager at ${c.containerd}: ${(e as Error).message}`);
    });
    this.managerName = v.revision === 'strata-manager' ? 'strata-manager' : 'containerd';
    await this.client.namespaces.create(c.namespace).catch(() => {});
    await this.volumes.init();
    await this.network.init();
    await this.images.init().catch((e) => this.log('warn', 'preloading default images failed', { err: String(e) }));
    await recoverContainers(this.containers);
    this.checkpoints.sweep();
    // volumes remember their users across restarts; users whose containers are gone must not keep
    // a volume from `docker volume rm` forever
    this.volumes.keepUsers(new Set(this.containers.store.all().map((x) => x.Id)));
    this.server = new ApiServer({ routes: this.routes(), log: this.log, serverHeader: `Strata-Engine/${VERSION} (linux)`, experimental: c.experimental });
    for (const h of c.hosts) await this.server.listen(socketPath(h));
  }

  /**
   * Stop serving. Containers keep running (like dockerd with --live-restore): the next engine
   * start re-adopts them. This is what makes an engine upgrade or crash harmless to them.
   */
  async stop(): Promise<void> {
    await this.server?.close();
    await this.containers.close();
    this.network.close(); // the embedded DNS servers of user-defined networks
    for (const h of this.config.hosts) fs.rmSync(socketPath(h), { force: true });
    this.client.close();
  }
}
