// strata-cri: read the configuration, connect to the manager, start the streaming server and the
// runtime and image services, serve the CRI socket until SIGTERM/SIGINT. Pods and containers
// outlive the daemon (they belong to the manager's shims); a restart recovers them from --root.
import fs from 'node:fs';
import { ManagerClient } from '@strata/manager';
import { configToml, CRI_NAMESPACE, VERSION, type CriConfig } from './config';
import { createLogger, type Logger } from './log';
import { CriServer } from './server';
import { CriImageService } from './image/service';
import { CriRuntimeService } from './runtime/service';
import { StreamingServer } from './streaming';
import { CRI_USAGE, parseCriArgs, UsageError } from './cli/criArgs';

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseCriArgs(argv);
  } catch (e) {
    // A bad flag or config file: exit 2 like a usage error, naming the flag or key.
    process.stderr.write(`strata-cri: ${(e as Error).message}\n`);
    return 2;
  }
  if (args.command === 'help') {
    process.stdout.write(CRI_USAGE);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(`strata-cri version ${VERSION}\nCRI API version v1\n`);
    return 0;
  }
  if (args.command === 'config') {
    process.stdout.write(configToml(args.config));
    return 0;
  }
  const c = args.config;
  const log = createLogger(c.logLevel, c.logFormat);
  if (process.getuid?.() !== 0) {
    log('error', 'strata-cri must run as root (it creates network namespaces and talks to a root-only manager socket)');
    return 1;
  }
  return serve(c, log);
}

/** Wait (bounded) for the manager: it may be starting at the same time as we are. */
async function connect(c: CriConfig, log: Logger): Promise<ManagerClient | undefined> {
  const client = new ManagerClient(c.managerAddress, CRI_NAMESPACE);
  const deadline = Date.now() + 10_000;
  for (let attempt = 0; ; attempt++) {
    try {
      const v = await client.version();
      log('info', 'connected to the manager', { address: c.managerAddress, version: v.version });
      return client;
    } catch (e) {
      if (Date.now() > deadline) {
        log('error', `cannot reach the manager at ${c.managerAddress}: ${(e as Error).message}`);
        client.close();
        return undefined;
      }
      if (attempt === 0) log('info', `waiting for the manager at ${c.managerAddress}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function serve(c: CriConfig, log: Logger): Promise<number> {
  log('info', `starting strata-cri ${VERSION}`, { root: c.root, runroot: c.runroot, manager: c.managerAddress });
  fs.mkdirSync(c.root, { recursive: true, mode: 0o700 });
  fs.mkdirSync(c.runroot, { recursive: true, mode: 0o700 });
  const client = await connect(c, log);
  if (!client) return 1;

  // The runtime hands out streaming URLs; the streaming server runs the streams through the
  // runtime. Each needs the other: the runtime gets a late-bound urlFor.
  let streaming: StreamingServer | undefined;
  const runtime = new CriRuntimeService({
    client,
    root: c.root,
    state: c.runroot,
    cni: { binDirs: c.cniBinDirs, confDir: c.cniConfDir },
    runtime: c.runtime,
    runtimeHandlers: c.runtimeHandlers,
    pauseImage: c.pauseImage,
    streaming: { urlFor: (kind, req) => streaming!.urlFor(kind, req) },
    log: (msg) => log('info', msg),
  });
  streaming = new StreamingServer({ address: c.streamAddress, port: c.streamPort, runtime });
  const images = new CriImageService({
    client,
    mirrors: c.mirrors,
    insecure: c.insecureRegistries,
    offline: c.registryOffline,
    snapshotter: c.snapshotter,
    snapshotterRoot: c.snapshotterRoot,
    pauseImage: c.pauseImage,
    log: (msg) => log('info', msg),
  });
  const server = new CriServer({ runtime, images, log });
  const closeAll = async () => {
    await server.close().catch(() => {});
    await streaming!.close().catch(() => {});
    await runtime.close().catch(() => {});
    client.close();
  };
  try {
    await streaming.start();
    await runtime.init();
    await server.listen(c.listen);
  } catch (e) {
    log('error', `cannot start: ${(e as Error).message}`);
    await closeAll();
    return 1;
  }
  log('info', `serving the CRI on ${c.listen}`, { mirrors: Object.keys(c.mirrors).join(',') || undefined });
  log('info', 'strata-cri successfully booted');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log('info', `received ${sig}, shutting down`);
      await closeAll();
      log('info', 'strata-cri stopped (pods and containers keep running)');
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}
