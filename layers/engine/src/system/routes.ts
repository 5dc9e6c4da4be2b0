// /_ping, /version, /info and /system/df (moby's api/server/router/system). /_ping is what every
// docker command calls first: its Api-Version header is the version the client then uses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectCgroupLayout } from '@strata/linux';
import type { Route } from '../api/types';
import { API_VERSION, MIN_API_VERSION } from '../api/version';
import type { ContainerService } from '../containers/service';
import { VERSION } from '../version';

export interface SystemInfoSource {
  svc: ContainerService;
  name: string;
  id: string;
  dataRoot: string;
  defaultRuntime: string;
  /** docker info's Runtimes (name -> {path} or {runtimeType}). */
  runtimes: Record<string, { path?: string; runtimeType?: string }>;
  managerAddress: string;
  iptables: boolean;
  /** --experimental: /_ping's Docker-Experimental header, /info's ExperimentalBuild, /version's Experimental. */
  experimental: boolean;
  /** Number of images (from the image service, or the manager's list). */
  imageCount(): Promise<number>;
}

// The docker CLI reads Docker-Experimental here to decide whether experimental commands
// (docker checkpoint, docker start --checkpoint) exist at all.
const pingHeaders = (experimental: boolean) => ({ 'Api-Version': API_VERSION, 'Docker-Experimental': String(experimental), Ostype: 'linux', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Builder-Version': '1' });

function kernelVersion(): string {
  return os.release();
}

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export function systemRoutes(s: SystemInfoSource): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/_ping',
      handler: (req, res) => {
        res.raw.writeHead(200, { ...pingHeaders(s.experimental), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
        res.raw.end(req.method === 'HEAD' ? undefined : 'OK');
      },
    },
    {
      method: 'HEAD',
      pattern: '/_ping',
      handler: (_req, res) => {
        res.raw.writeHead(200, { ...pingHeaders(s.experimental), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 });
        res.raw.end();
      },
    },
    {
      method: 'GET',
      pattern: '/version',
      handler: (_req, res) => {
        const arch = os.arch() === 'x64' ? 'amd64' : os.arch();
        res.json(200, {
          Platform: { Name: 'Strata Engine' },
          Components: [
            { Name: 'Engine', Version: VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, Os: 'linux', Arch: arch, KernelVersion: kernelVersion(), GitCommit: 'strata', GoVersion: `node ${process.version}`, BuildTime: '', Experimental: String(s.experimental) } },
            { Name: 'strata-manager', Version: VERSION, Details: { GitCommit: 'strata', Address: s.managerAddress } },
          ],
          Version: VERSION,
          ApiVersion: API_VERSION,
          MinAPIVersion: MIN_API_VERSION,
          GitCommit: 'strata',
          GoVersion: `node ${process.version}`,
          Os: 'linux',
          Arch: arch,
          KernelVersion: kernelVersion(),
          Experimental: s.experimental,
          BuildTime: '',
        });
      },
    },
    {
      method: 'GET',
      pattern: '/info',
      handler: async (_req, res) => {
        const all = s.svc.store.all();
        const count = (st: string) => all.filter((c) => c.State.Status === st).length;
        const running = count('running') + count('restarting');
        const paused = count('paused');
        const layout = detectCgroupLayout();
        const arch = os.arch() === 'x64' ? 'x86_64' : os.arch();
        res.json(200, {
          ID: s.id,
          Containers: all.length,
          ContainersRunning: running,
          ContainersPaused: paused,
          ContainersStopped: all.length - running - paused,
          Images: await s.imageCount().catch(() => 0),
          Driver: s.svc.snapshotter,
          DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
          Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
          MemoryLimit: true,
          SwapLimit: layout.version === 2 || fs.existsSync(path.join(layout.mounts.memory ?? '/nonexistent', 'memory.memsw.limit_in_bytes')),
          CpuCfsPeriod: true,
          CpuCfsQuota: true,
          CPUShares: true,
          CPUSet: true,
          PidsLimit: true,
          IPv4Forwarding: readTrim('/proc/sys/net/ipv4/ip_forward') === '1',
          Debug: false,
          NFd: safeCount('/proc/self/fd'),
          OomKillDisable: layout.version === 1,
          NGoroutines: 0,
          SystemTime: new Date().toISOString(),
          LoggingDriver: 'json-file',
          CgroupDriver: 'cgroupfs',
          CgroupVersion: String(layout.version),
          NEventsListener: 0,
          KernelVersion: kernelVersion(),
          OperatingSystem: osName(),
          OSVersion: '',
          OSType: 'linux',
          Architecture: arch,
          IndexServerAddress: 'https://index.docker.io/v1/',
          RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
          NCPU: os.cpus().length,
          MemTotal: os.totalmem(),
          DockerRootDir: s.dataRoot,
          HttpProxy: '',
          HttpsProxy: '',
          NoProxy: '',
          Name: s.name,
          Labels: [],
          ExperimentalBuild: s.experimental,
          ServerVersion: VERSION,
          Runtimes: s.runtimes,
          DefaultRuntime: s.defaultRuntime,
          Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
          LiveRestoreEnabled: true,
          Isolation: '',
          InitBinary: '',
          ContainerdCommit: { ID: 'strata' },
          RuncCommit: { ID: 'strata' },
          InitCommit: { ID: '' },
          SecurityOptions: [`name=cgroupns`],
          Warnings: s.iptables ? [] : ['WARNING: --iptables=false: published ports and masquerading are not set up'],
          Containerd: { Address: s.managerAddress, Namespaces: { Containers: s.svc.client.namespace, Plugins: 'plugins.moby' } },
        });
      },
    },
    {
      method: 'GET',
      pattern: '/system/df',
      handler: async (_req, res) => {
        const containers = s.svc.store.all();
        const out = [];
        for (const c of containers) {
          let size = 0;
          try {
            size = (await s.svc.client.snapshots(s.svc.snapshotter).usage(c.Id)).size;
          } catch {
            /* gone meanwhile */
          }
          out.push({ Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, Command: [c.Path, ...c.Args].join(' '), Created: Math.floor(Date.parse(c.Created) / 1000), State: c.State.Status, Status: c.State.Status, SizeRw: size, SizeRootFs: 0, Labels: c.Config.Labels ?? {}, Mounts: c.Mounts });
        }
        res.json(200, { LayersSize: 0, Images: [], Containers: out, Volumes: [], BuildCache: [] });
      },
    },
  ];
}

function readTrim(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
}

function safeCount(dir: string): number {
  try {
    return fs.readdirSync(dir).length;
  } catch {
    return 0;
  }
}
