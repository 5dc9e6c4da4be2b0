// The harness of the image, volume and event tests: a private strata-manager (namespace "moby"),
// the engine's ImageService, VolumeStore and EngineEvents mounted on the engine's ApiServer on a
// private unix socket, and the real docker CLI pointed at it (DOCKER_HOST, a private HOME and
// DOCKER_CONFIG). The docker CLI runs as a child process without blocking this process, which
// serves its requests.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagerClient } from '@strata/manager';
import { ManagerDaemon } from '@strata/manager/testing';
import { ApiServer } from '../src/api/server';
import type { Route } from '../src/api/types';
import { EngineEvents } from '../src/events';
import { ImageService } from '../src/images';
import { VolumeStore } from '../src/volumes';

export interface EngineHarness {
  dir: string;
  sock: string;
  manager: ManagerDaemon;
  client: ManagerClient;
  events: EngineEvents;
  images: ImageService;
  volumes: VolumeStore;
  /** image id -> container id, for the in-use callback */
  inUse: Map<string, string>;
  docker: DockerRun;
  stop(): Promise<void>;
}

/** What docker's client needs before any call: HEAD/GET /_ping answering the API version. */
const pingRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/_ping',
    handler: (_req, res) => {
      res.raw.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' });
      res.raw.end('OK');
    },
  },
];

export type DockerRun = (args: string[], o?: { input?: Buffer | string; timeout?: number }) => Promise<{ status: number | null; stdout: string; stderr: string; out: Buffer }>;

/** Serve routes on a private socket and return a docker CLI runner pointed at it. */
export async function serveRoutes(dir: string, routes: Route[]): Promise<{ sock: string; docker: DockerRun; close(): Promise<void> }> {
  const server = new ApiServer({ routes: [...pingRoutes, ...routes], log: () => {}, serverHeader: 'strata-engine-test' });
  const sock = path.join(dir, 'engine.sock');
  await server.listen(sock);
  const home = path.join(dir, 'home');
  fs.mkdirSync(path.join(home, '.docker'), { recursive: true });
  const docker: DockerRun = (args, opt = {}) =>
    new Promise((resolve) => {
      const child = spawn('docker', args, {
        env: { PATH: process.env.PATH, HOME: home, DOCKER_CONFIG: path.join(home, '.docker'), DOCKER_HOST: `unix://${sock}` },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d) => (stderr += d));
      child.stdin.on('error', () => {});
      if (opt.input !== undefined) child.stdin.end(opt.input);
      else child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), opt.timeout ?? 60_000);
      child.on('close', (status) => {
        clearTimeout(t);
        const buf = Buffer.concat(out);
        resolve({ status, stdout: buf.toString('utf8'), stderr, out: buf });
      });
    });
  return { sock, docker, close: () => server.close() };
}

export async function startEngine(o: { insecureRegistries?: string[]; preloadDir?: string } = {}): Promise<EngineHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-engine-img-'));
  const manager = new ManagerDaemon();
  manager.start();
  const client = new ManagerClient(manager.sock, 'moby');
  const events = new EngineEvents();
  const inUse = new Map<string, string>();
  const images = new ImageService({ client, events, preloadDir: o.preloadDir, insecureRegistries: o.insecureRegistries, isInUse: (id) => inUse.get(id) });
  const volumes = new VolumeStore({ root: path.join(dir, 'volumes'), events });
  await images.init();
  await volumes.init();
  const served = await serveRoutes(dir, [...images.routes(), ...volumes.routes(), ...events.routes()]);
  return {
    dir,
    sock: served.sock,
    manager,
    client,
    events,
    images,
    volumes,
    inUse,
    docker: served.docker,
    async stop() {
      await served.close();
      client.close();
      manager.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Content, snapshots and leases left in the manager's namespace (for leak checks). */
export async function managerLeftovers(client: ManagerClient, snapshotter = 'overlayfs') {
  return {
    images: (await client.images.list()).map((i) => i.name),
    content: (await client.content.list()).map((i) => i.digest),
    snapshots: (await client.snapshots(snapshotter).list()).map((s) => s.name),
    leases: (await client.leases.list()).map((l) => l.id),
    ingests: (await client.content.statuses()).map((s) => s.ref),
  };
}
