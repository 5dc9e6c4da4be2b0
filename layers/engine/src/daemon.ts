// strata-engine as a process: parse dockerd-like flags, write the pidfile, start the engine,
// and on SIGTERM/SIGINT stop serving and exit 0, leaving containers running (live restore: the
// next start re-adopts them; `docker stop` them first to stop them).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, USAGE } from './config';
import { Engine } from './engine';
import { createLogger } from './log';
import { VERSION } from './version';

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`strata-engine: ${(e as Error).message}\n`);
    return 125;
  }
  if (parsed.kind === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`Strata Engine version ${VERSION}\n`);
    return 0;
  }
  const config = parsed.config;
  const log = createLogger(config.logLevel);
  if (process.getuid?.() !== 0) {
    process.stderr.write('strata-engine: must run as root (it mounts, makes network namespaces and talks to the manager)\n');
    return 1;
  }
  // one daemon per pidfile (dockerd refuses to start when the pid in it is alive)
  try {
    const old = Number(fs.readFileSync(config.pidfile, 'utf8').trim());
    if (old > 0 && old !== process.pid && fs.existsSync(`/proc/${old}`)) {
      process.stderr.write(`strata-engine: pid file found, ensure strata-engine is not running or delete ${config.pidfile}\n`);
      return 1;
    }
  } catch {
    /* no pidfile */
  }
  fs.mkdirSync(path.dirname(config.pidfile), { recursive: true });
  fs.writeFileSync(config.pidfile, `${process.pid}\n`);
  const engine = new Engine(config, log);
  try {
    await engine.start();
  } catch (e) {
    log('fatal', 'engine failed to start', { err: (e as Error).message });
    await engine.stop().catch(() => {});
    fs.rmSync(config.pidfile, { force: true });
    return 1;
  }
  log('info', 'API listen on', { hosts: config.hosts.join(',') });
  log('info', 'Daemon has completed initialization', { version: VERSION, manager: config.containerd });
  return new Promise<number>((resolve) => {
    const shutdown = (sig: string) => {
      log('info', 'Processing signal', { signal: sig });
      const bounded = Promise.race([engine.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]);
      void bounded.finally(() => {
        fs.rmSync(config.pidfile, { force: true });
        resolve(0);
      });
    };
    process.once('SIGTERM', () => shutdown('terminated'));
    process.once('SIGINT', () => shutdown('interrupt'));
  });
}
