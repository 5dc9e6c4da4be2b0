// strata-manager: load the config, open the manager (stores, snapshotters, reconnect to shims),
// serve the API until SIGTERM/SIGINT. Shims and their containers outlive the daemon.
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'smol-toml';
import { DEFAULTS, loadConfig, normalizeLevel, type ManagerConfig } from '../config';
import { ManagerError } from '../errors';
import { createLogger } from '../log';
import { Manager } from '../manager';
import { ApiServer } from '../api/server';
import { REVISION, VERSION } from '../api/services/version';
import { DAEMON_USAGE, parseDaemonArgs, UsageError } from './daemonArgs';

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseDaemonArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`strata-manager: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (args.command === 'help') {
    process.stdout.write(DAEMON_USAGE);
    return 0;
  }
  if (args.command === 'version') {
    process.stdout.write(`strata-manager ${VERSION} ${REVISION}\n`);
    return 0;
  }
  let config: ManagerConfig;
  try {
    config = loadConfig(args.config);
    if (args.address) config.address = path.resolve(args.address);
    if (args.root) config.root = path.resolve(args.root);
    if (args.state) config.state = path.resolve(args.state);
    if (args.logLevel) config.logLevel = normalizeLevel(args.logLevel, '--log-level');
    if (args.logFormat) config.logFormat = args.logFormat;
  } catch (e) {
    process.stderr.write(`strata-manager: ${(e as Error).message}\n`);
    return 1;
  }
  if (args.command === 'config-default') {
    process.stdout.write(defaultConfigToml());
    return 0;
  }
  if (args.command === 'publish') return publish(config.address, args.topic!, args.namespace!);

  const log = createLogger(config.logLevel, config.logFormat);
  if (process.getuid?.() !== 0) {
    log('error', 'strata-manager must run as root (it mounts snapshots and starts shims)');
    return 1;
  }
  log('info', `starting strata-manager ${VERSION}`, { root: config.root, state: config.state });
  let manager: Manager;
  try {
    manager = await Manager.open(config, log, {
      publishBinary: process.argv[1] ?? 'strata-manager',
      ttrpcAddress: `${config.address}.ttrpc`,
      // containerd looks for shims next to its own binary first
      shimSearchDirs: [path.dirname(fs.realpathSync(process.argv[1] ?? '.'))],
    });
  } catch (e) {
    log('error', `cannot start: ${(e as Error).message}`);
    return 1;
  }
  const server = new ApiServer(manager);
  try {
    await server.listen();
  } catch (e) {
    log('error', `cannot listen on ${config.address}: ${(e as Error).message}`);
    manager.close();
    return 1;
  }
  log('info', `serving on ${config.address}`, { ttrpc: `${config.address}.ttrpc` });
  log('info', 'strata-manager successfully booted');
  if (config.gcIntervalSeconds > 0) setInterval(() => manager.gc.schedule(0), config.gcIntervalSeconds * 1000).unref();
  manager.gc.schedule(1_000);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log('info', `received ${sig}, shutting down`);
      await server.close();
      manager.close();
      log('info', 'strata-manager stopped (shims and their tasks keep running)');
      resolve(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
  });
}

function defaultConfigToml(): string {
  const d = DEFAULTS;
  return `${stringify({
    version: 2,
    root: d.root,
    state: d.state,
    default_runtime: d.defaultRuntime,
    grpc: { address: d.address },
    debug: { level: d.logLevel, format: d.logFormat },
    snapshotter: { default: d.snapshotter },
    gc: { interval_seconds: d.gcIntervalSeconds },
    runtimes: {
      'io.containerd.strata.v2': { shim: 'containerd-shim-strata-v2' },
      'io.containerd.runc.v2': { shim: 'containerd-shim-runc-v2' },
    },
  })}\n`;
}

/** `publish`: read an encoded Any from stdin and hand it to the daemon's Events.Publish. */
async function publish(address: string, topic: string, namespace: string): Promise<number> {
  const [{ GrpcClient }, { EVENTS_SERVICE }, { decode, AnyType }] = await Promise.all([import('../api/grpc'), import('../api/protos'), import('@strata/shim/proto')]);
  const data = fs.readFileSync(0);
  const c = new GrpcClient(address, namespace);
  try {
    await c.call(EVENTS_SERVICE, 'Forward', { envelope: { timestamp: undefined, namespace, topic, event: data.length ? decode(AnyType, data) : undefined } });
    return 0;
  } catch (e) {
    process.stderr.write(`strata-manager publish: ${e instanceof ManagerError ? e.message : String(e)}\n`);
    return 1;
  } finally {
    c.close();
  }
}
