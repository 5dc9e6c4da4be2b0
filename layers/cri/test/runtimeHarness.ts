// The runtime service's integration harness: a private strata-manager (namespace k8s.io) with
// the default busybox image imported, a private CNI setup (conf dir with a bridge network whose
// bridge name, subnet and host-local dir are unique to this test process), and a
// CriRuntimeService in-process on temp root/state dirs. Leak checks look for what a pod leaves
// behind on the host: netns files, veths on our bridge, host-local reservations, portmap rules.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bridgeConfList } from '@strata/cni';
import { ManagerClient } from '@strata/manager';
import { ManagerDaemon, managerBin } from '@strata/manager/testing';
import { defaultImage, has, isRoot, PrivateContainerd } from '@strata/shim/testing';
import { CriRuntimeService } from '../src/runtime/service';

export const IMAGE = 'strata.local/busybox:latest';
export const ready = isRoot && has('ctr') && fs.existsSync(managerBin) && fs.existsSync(defaultImage) && fs.existsSync('/usr/lib/cni/bridge') && fs.existsSync('/usr/bin/catatonit');

const n = process.pid % 200;
export const BRIDGE = `scri${process.pid}`.slice(0, 15);
export const SUBNET = `10.${100 + (n % 100)}.${Math.floor(n / 100) + 7}.0/24`;

/** The manager under the CRI: strata-manager, or real containerd (its API is the same). */
interface Manager {
  sock: string;
  start(): void;
  stop(): void;
  bundles?(): string[];
}

export class RuntimeHarness {
  readonly manager: Manager;
  constructor(o: { containerd?: boolean } = {}) {
    this.manager = o.containerd ? new PrivateContainerd() : new ManagerDaemon();
  }
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cri-rt-'));
  readonly confDir = path.join(this.dir, 'net.d');
  readonly ipamDir = path.join(this.dir, 'ipam');
  readonly cacheDir = path.join(this.dir, 'cni-cache');
  readonly root = path.join(this.dir, 'root');
  readonly state = path.join(this.dir, 'state');
  readonly logDir = path.join(this.dir, 'logs');
  client!: ManagerClient;
  svc!: CriRuntimeService;
  logs: string[] = [];

  start(): void {
    this.manager.start();
    const imp = spawnSync('ctr', ['-a', this.manager.sock, '-n', 'k8s.io', 'images', 'import', defaultImage], { encoding: 'utf8', timeout: 60_000 });
    if (imp.status !== 0) throw new Error(`import: ${imp.stderr}`);
    fs.mkdirSync(this.confDir, { recursive: true });
    const net = bridgeConfList({ name: `strata-cri-test-${process.pid}`, bridge: BRIDGE, subnet: SUBNET, portMap: true, dataDir: this.ipamDir });
    fs.writeFileSync(path.join(this.confDir, '10-bridge.conflist'), JSON.stringify(net, null, 1));
    this.client = new ManagerClient(this.manager.sock, 'k8s.io');
  }

  /** A new service instance on the same root/state (a restart of strata-cri). */
  async service(o: { runtime?: string } = {}): Promise<CriRuntimeService> {
    this.svc = new CriRuntimeService({
      client: this.client,
      root: this.root,
      state: this.state,
      cni: { binDirs: ['/usr/lib/cni'], confDir: this.confDir, cacheDir: this.cacheDir },
      runtime: o.runtime ?? 'io.containerd.strata.v2',
      streaming: { urlFor: async (kind, req) => `http://127.0.0.1:0/${kind}/${encodeURIComponent(JSON.stringify(req))}` },
      log: (m) => this.logs.push(m),
    });
    await this.svc.init();
    return this.svc;
  }

  podConfig(name: string, extra: Record<string, unknown> = {}) {
    return { metadata: { name, namespace: 'default', uid: `uid-${name}-${process.pid}`, attempt: 0 }, hostname: name, logDirectory: path.join(this.logDir, name), ...extra };
  }

  containerConfig(name: string, args: string[], extra: Record<string, unknown> = {}) {
    return { metadata: { name, attempt: 0 }, image: { image: IMAGE }, command: args.slice(0, 1), args: args.slice(1), logPath: `${name}.log`, ...extra };
  }

  /** What pods may leak on the host. */
  leaks(podIds: string[], containerIds: string[] = []): { netns: string[]; veths: string[]; ips: string[]; portmapRules: string[]; managerContainers: string; cgroups?: string[]; mounts?: string[] } {
    const mine = new Set(podIds.map((id) => `cni-strata-${id.slice(0, 24)}`));
    const netns = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns').filter((x) => mine.has(x)) : [];
    const veths = (spawnSync('ip', ['-o', 'link', 'show', 'master', BRIDGE], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
    const ipDir = path.join(this.ipamDir, `strata-cri-test-${process.pid}`);
    const ips = fs.existsSync(ipDir) ? fs.readdirSync(ipDir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
    const nat = spawnSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' }).stdout ?? '';
    const portmapRules = nat.split('\n').filter((l) => l.includes(`strata-cri-test-${process.pid}`));
    const managerContainers = (spawnSync('ctr', ['-a', this.manager.sock, '-n', 'k8s.io', 'c', 'ls', '-q'], { encoding: 'utf8' }).stdout ?? '').trim();
    const out: ReturnType<RuntimeHarness['leaks']> = { netns, veths, ips, portmapRules, managerContainers };
    // the pods' /dev/shm tmpfs mounts live below our state dir
    const shm = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(`${this.state}/`));
    if (shm.length) out.mounts = shm;
    if (containerIds.length) {
      // the runtime removes a container's cgroup at task delete: none of ours may remain (v1 or v2 layout)
      const bases = ['/sys/fs/cgroup/memory/k8s.io', '/sys/fs/cgroup/pids/k8s.io', '/sys/fs/cgroup/k8s.io'];
      out.cgroups = bases.flatMap((b) => [...podIds, ...containerIds].map((id) => path.join(b, id))).filter((d) => fs.existsSync(d));
    }
    return out;
  }

  async stop(): Promise<void> {
    try {
      const svc = this.svc;
      if (svc) {
        for (const p of (await svc.ListPodSandbox({})).items) await svc.RemovePodSandbox({ podSandboxId: p.id }).catch(() => {});
        await svc.close();
      }
    } finally {
      this.client?.close();
      this.manager.stop();
      spawnSync('ip', ['link', 'delete', BRIDGE]);
      for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((x) => x?.startsWith(`${this.dir}/`)).reverse()) spawnSync('umount', ['-l', m]);
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Run a shell command in a container through ExecSync; returns stdout (trimmed), stderr and code. */
export async function sh(svc: CriRuntimeService, id: string, script: string, timeout = 10) {
  const r = await svc.ExecSync({ containerId: id, cmd: ['sh', '-c', script], timeout });
  return { out: Buffer.from(r.stdout).toString().trim(), err: Buffer.from(r.stderr).toString().trim(), code: r.exitCode };
}
