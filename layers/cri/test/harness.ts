// The CRI integration harness: a private strata-manager (ManagerDaemon) and a private strata-cri
// on its own socket, root, runroot and CNI conf dir (a bridge named after this process, so that
// parallel runs do not collide), a private docker-registry holding busybox, and strata-crictl
// pointed at it all. Images come through --registry-mirror registry.k8s.io=<local registry>, so
// a pull of registry.k8s.io/busybox never leaves the machine. Everything is started by pid and
// stopped by pid, every wait is bounded, and leaks are reported by `leaks()`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagerDaemon, mountsBelow, startRegistry, type RunningRegistry, type RegistryAuth } from '@strata/manager/testing';
import { defaultImage, sleep } from '@strata/shim/testing';
import { CriClient } from '../src/cli/crictl/client';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const criBin = path.join(repo, 'layers/cri/dist/strata-cri.mjs');
export const crictlBin = path.join(repo, 'layers/cri/dist/strata-crictl.mjs');
/** The image the harness serves from its registry, as a pod spec names it. */
export const BUSYBOX = 'registry.k8s.io/busybox:latest';
/** The default image archive's name once imported (the sandbox image of the harness). */
export const LOCAL_BUSYBOX = 'strata.local/busybox:latest';
export const built = (): boolean => fs.existsSync(criBin) && fs.existsSync(crictlBin);

export interface CriDaemonOptions {
  /** Extra strata-cri flags. */
  args?: string[];
  /** Registry auth for the harness registry (the mirror then needs credentials). */
  registryAuth?: RegistryAuth;
  /** Credentials to push with when registryAuth is set ("user:password"). */
  pushUser?: string;
  /** Import the default image into k8s.io (the pause image of the runtime; default true). */
  importPause?: boolean;
  /** The test started the manager already (to push to its own registries first). */
  managerStarted?: boolean;
  /** Extra environment for strata-cri (e.g. STRATA_TRACE). */
  env?: Record<string, string>;
}

/** Push the default busybox archive into `reg` as busybox:latest (through a staging namespace). */
export async function pushBusybox(manager: ManagerDaemon, reg: RunningRegistry, user?: string): Promise<void> {
  const imp = manager.strataCtr(['import', defaultImage]);
  if (imp.status !== 0) throw new Error(`import failed: ${imp.stderr}`);
  // Not spawnSync: a token server of the test itself may have to answer the push.
  const push = await manager.strataCtrAsync(['push', ...(user ? ['--user', user] : []), LOCAL_BUSYBOX, `${reg.host}/busybox:latest`]);
  if (push.status !== 0) throw new Error(`push failed: ${push.stderr}${push.stdout}`);
}

export class CriDaemon {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cri-'));
  readonly sock = path.join(this.dir, 'cri.sock');
  readonly root = path.join(this.dir, 'root');
  readonly runroot = path.join(this.dir, 'run');
  readonly cniConfDir = path.join(this.dir, 'net.d');
  readonly logFile = path.join(this.dir, 'strata-cri.log');
  /** A bridge and subnet for this process only (IFNAMSIZ: at most 15 characters). */
  readonly bridge = `scri${process.pid % 1_000_000}`;
  readonly subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}.0/24`;
  readonly manager = new ManagerDaemon();
  registry?: RunningRegistry;
  proc?: ChildProcess;
  private exited?: Promise<void>;

  get endpoint(): string {
    return `unix://${this.sock}`;
  }

  async start(o: CriDaemonOptions = {}): Promise<void> {
    writeCniConf(this.cniConfDir, this.bridge, this.subnet, path.join(this.dir, 'ipam'));
    if (!o.managerStarted) this.manager.start();
    this.registry = await startRegistry(o.registryAuth ? { auth: o.registryAuth } : {});
    await pushBusybox(this.manager, this.registry, o.pushUser);
    if (o.importPause !== false) {
      const r = this.manager.strataCtr(['import', defaultImage], { namespace: 'k8s.io' });
      if (r.status !== 0) throw new Error(`import into k8s.io failed: ${r.stderr}`);
    }
    this.launch(o.args ?? [], o.env);
    await this.waitReady();
  }

  /** Start (or restart) the strata-cri process. */
  launch(extra: string[] = [], env: Record<string, string> = {}): void {
    const args = [
      criBin,
      '--listen', this.sock,
      '--root', this.root,
      '--runroot', this.runroot,
      '--manager-address', this.manager.sock,
      '--cni-conf-dir', this.cniConfDir,
      '--cni-bin-dir', '/usr/lib/cni',
      '--registry-mirror', `registry.k8s.io=${this.registry!.url}`,
      // Tests talk to 127.0.0.1 only: a name the mirrors lack must not send us to the internet.
      '--registry-offline',
      '--pause-image', LOCAL_BUSYBOX,
      '--log-level', 'debug',
      ...extra,
    ];
    const log = fs.openSync(this.logFile, 'a');
    this.proc = spawn(process.execPath, args, { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
    fs.closeSync(log);
    const p = this.proc;
    this.exited = new Promise((resolve) => p.once('exit', () => resolve()));
  }

  async waitReady(timeoutMs = 20_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.proc?.exitCode !== null) throw new Error(`strata-cri exited with ${this.proc?.exitCode}:\n${this.log()}`);
      if (fs.existsSync(this.sock)) {
        const c = this.client();
        try {
          await c.runtime('Version', { version: 'v1' });
          return;
        } catch {
          /* not yet */
        } finally {
          c.close();
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`strata-cri did not answer within ${timeoutMs} ms:\n${this.log()}`);
  }

  /** SIGTERM strata-cri and wait (bounded) for it to exit; returns its exit code. */
  async terminate(): Promise<number | null> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return p?.exitCode ?? null;
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(t);
    return p.exitCode;
  }

  client(timeoutMs = 30_000): CriClient {
    return new CriClient(this.endpoint, this.endpoint, timeoutMs);
  }

  /** strata-crictl at this daemon (`endpoint: null`: no -r flag, the environment decides). */
  crictl(args: string[], o: { timeout?: number; input?: string; endpoint?: string | null; env?: Record<string, string> } = {}) {
    const ep = o.endpoint === null ? [] : ['-r', o.endpoint ?? this.endpoint];
    return spawnSync(process.execPath, [crictlBin, ...ep, '--timeout', '30s', ...args], {
      encoding: 'utf8',
      timeout: o.timeout ?? 60_000,
      killSignal: 'SIGKILL',
      input: o.input,
      env: { ...process.env, ...o.env },
    });
  }

  /** strata-crictl without blocking the event loop (when the test serves something it talks to). */
  crictlAsync(args: string[], o: { timeout?: number; endpoint?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [crictlBin, '-r', o.endpoint ?? this.endpoint, '--timeout', '30s', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => child.kill('SIGKILL'), o.timeout ?? 60_000);
      child.on('close', (status) => {
        clearTimeout(t);
        resolve({ status, stdout, stderr });
      });
    });
  }

  log(lines = 60): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** What a run may leave behind: our processes, mounts below our dirs, the socket, the bridge. */
  leaks(): string[] {
    const out: string[] = [];
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) out.push(`strata-cri pid ${this.proc.pid} still running`);
    if (fs.existsSync(this.sock)) out.push(`socket ${this.sock} left`);
    for (const m of mountsBelow(this.dir)) out.push(`mount ${m}`);
    return out;
  }

  /** Remove pods through the CRI, stop everything, remove the dirs and the bridge. */
  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      const c = this.client(20_000);
      try {
        const pods = await c.runtime('ListPodSandbox', {}).catch(() => ({ items: [] as { id: string }[] }));
        for (const p of pods.items) {
          await c.runtime('StopPodSandbox', { podSandboxId: p.id }).catch(() => {});
          await c.runtime('RemovePodSandbox', { podSandboxId: p.id }).catch(() => {});
        }
      } finally {
        c.close();
      }
      await this.terminate();
    }
    // Anything the manager still runs in k8s.io goes with it.
    for (const id of (this.manager.strataCtr(['t', 'ls', '-q'], { namespace: 'k8s.io' }).stdout ?? '').split('\n').filter(Boolean)) this.manager.strataCtr(['t', 'kill', '-s', '9', id], { namespace: 'k8s.io' });
    sleep(200);
    for (const id of (this.manager.strataCtr(['t', 'ls', '-q'], { namespace: 'k8s.io' }).stdout ?? '').split('\n').filter(Boolean)) this.manager.strataCtr(['t', 'rm', '-f', id], { namespace: 'k8s.io' });
    for (const id of (this.manager.strataCtr(['c', 'ls', '-q'], { namespace: 'k8s.io' }).stdout ?? '').split('\n').filter(Boolean)) this.manager.strataCtr(['c', 'rm', id], { namespace: 'k8s.io' });
    this.manager.stop();
    await this.registry?.stop();
    spawnSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
    for (const m of mountsBelow(this.dir).reverse()) spawnSync('umount', ['-l', m]);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A pause image for runtimes that run the sandbox image's own command (containerd's CRI plugin):
 * busybox with its config's Cmd replaced by a long sleep, pushed as <reg>/pause:3.9 with the
 * registry API (layers mounted from the busybox repository, new config, new manifest).
 */
export async function pushPauseImage(reg: RunningRegistry, tag = '3.9'): Promise<void> {
  const base = `${reg.url}/v2`;
  const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  const mres = await fetch(`${base}/busybox/manifests/latest`, { headers: { Accept: accept } });
  if (!mres.ok) throw new Error(`manifest: HTTP ${mres.status}`);
  const mediaType = (mres.headers.get('content-type') ?? '').split(';')[0];
  const manifest = (await mres.json()) as { config: { digest: string; size: number; mediaType: string }; layers: { digest: string }[] };
  const config = (await (await fetch(`${base}/busybox/blobs/${manifest.config.digest}`)).json()) as { config: { Cmd?: string[] } };
  config.config.Cmd = ['sleep', '2147483647'];
  const configBytes = Buffer.from(JSON.stringify(config));
  const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(configBytes).digest('hex')}`;
  for (const l of manifest.layers) {
    const r = await fetch(`${base}/pause/blobs/uploads/?mount=${l.digest}&from=busybox`, { method: 'POST' });
    if (r.status !== 201) throw new Error(`mount ${l.digest}: HTTP ${r.status}`);
  }
  const up = await fetch(`${base}/pause/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(up.headers.get('location')!, reg.url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: configBytes, headers: { 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`config upload: HTTP ${put.status}`);
  const m2 = { ...manifest, config: { ...manifest.config, digest, size: configBytes.length } };
  const pm = await fetch(`${base}/pause/manifests/${tag}`, { method: 'PUT', body: JSON.stringify(m2), headers: { 'Content-Type': mediaType } });
  if (pm.status !== 201) throw new Error(`manifest upload: HTTP ${pm.status} ${await pm.text()}`);
}

/** A CNI conflist for a bridge of this process (tests of strata-cri and of containerd's CRI). */
export function writeCniConf(dir: string, bridge: string, subnet: string, ipamDir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, '10-strata-test.conflist'),
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: `strata-test-${bridge}`,
        plugins: [
          { type: 'bridge', bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: ipamDir } },
          { type: 'portmap', capabilities: { portMappings: true } },
        ],
      },
      null,
      2,
    ),
  );
}
