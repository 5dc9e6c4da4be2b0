// Daemon auto-start (a Strata convenience docker does not have): when no DOCKER_HOST/-H was given,
// the default socket does not answer and we are root, `strata` starts strata-manager (unless its
// socket answers) and strata-engine in the background — detached in their own sessions, output to
// /var/log/strata/{manager,engine}.log — waits for the engine's socket and goes on with the
// command. The engine gets --experimental (checkpoint/restore). STRATA_NO_AUTOSTART=1 turns it
// off. `strata daemon status|stop` reports and stops them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './command';
import { CliError } from './errors';

/** Where the daemons live. The defaults are the real ones; tests pass private ones. */
export interface DaemonPaths {
  engineSocket: string;
  managerSocket: string;
  enginePidfile: string;
  managerPidfile: string;
  logDir: string;
  /** Extra arguments (tests: private --data-root/--exec-root for the engine, --root/--state for the manager). */
  engineArgs?: string[];
  managerArgs?: string[];
}

export const DEFAULT_PATHS: DaemonPaths = {
  engineSocket: '/run/strata-engine/strata-engine.sock',
  managerSocket: '/run/strata-manager/strata-manager.sock',
  enginePidfile: '/run/strata-engine/strata-engine.pid',
  managerPidfile: '/run/strata-manager/strata-manager.pid',
  logDir: '/var/log/strata',
};

/** Does something accept connections on this unix socket? */
export function socketAnswers(sock: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(sock);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

/** A binary next to this bundle, in the repository's dist folders, or on PATH. */
export function findBinary(name: 'strata-engine' | 'strata-manager'): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, `${name}.mjs`), path.join(here, name)];
  // From the bundle (layers/engine/dist) or the sources (layers/engine/src/cli/strata) up to layers/.
  for (let dir = here, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    if (path.basename(dir) === 'layers') {
      candidates.push(path.join(dir, name === 'strata-engine' ? 'engine' : 'manager', 'dist', `${name}.mjs`));
      break;
    }
  }
  for (const p of (process.env.PATH ?? '').split(':').filter(Boolean)) candidates.push(path.join(p, name));
  return candidates.find((c) => fs.existsSync(c));
}

function startDetached(bin: string, args: string[], log: string): number {
  fs.mkdirSync(path.dirname(log), { recursive: true, mode: 0o755 });
  const fd = fs.openSync(log, 'a', 0o640);
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const cmd = bin.endsWith('.mjs') ? process.execPath : bin;
  const argv = bin.endsWith('.mjs') ? ['--no-warnings', bin, ...args] : args;
  const child = spawn(cmd, argv, { detached: true, stdio: ['ignore', fd, fd], env, cwd: '/' });
  fs.closeSync(fd);
  child.unref();
  if (!child.pid) throw new CliError(`strata: could not start ${bin}`);
  return child.pid;
}

async function waitForSocket(sock: string, pid: number, what: string, log: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await socketAnswers(sock)) return;
    if (!alive(pid)) throw new CliError(`strata: ${what} exited during start-up (see ${log})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new CliError(`strata: ${what} did not answer on ${sock} within ${timeoutMs / 1000}s (see ${log})`);
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

/** Called before a command when the default host is used. Returns true if it started the engine. */
export async function autostart(stderr: NodeJS.WritableStream, p: DaemonPaths = DEFAULT_PATHS, env = process.env): Promise<boolean> {
  if (env.STRATA_NO_AUTOSTART === '1') return false;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  if (await socketAnswers(p.engineSocket)) return false;
  const engine = findBinary('strata-engine');
  if (!engine) return false;
  if (!(await socketAnswers(p.managerSocket))) {
    const manager = findBinary('strata-manager');
    if (!manager) throw new CliError('strata: strata-manager not found (next to strata, in layers/manager/dist or on PATH)');
    const log = path.join(p.logDir, 'manager.log');
    const pid = startDetached(manager, ['--address', p.managerSocket, ...(p.managerArgs ?? [])], log);
    fs.mkdirSync(path.dirname(p.managerPidfile), { recursive: true, mode: 0o711 });
    fs.writeFileSync(p.managerPidfile, `${pid}\n`, { mode: 0o644 });
    await waitForSocket(p.managerSocket, pid, 'strata-manager', log);
  }
  const log = path.join(p.logDir, 'engine.log');
  fs.mkdirSync(path.dirname(p.enginePidfile), { recursive: true, mode: 0o711 });
  // --experimental: `strata checkpoint` and `strata start --checkpoint` work out of the box (a
  // dockerd needs it set by hand; strata's own daemons are a teaching setup, CRIU included)
  const pid = startDetached(engine, ['-H', `unix://${p.engineSocket}`, '--containerd', p.managerSocket, '--pidfile', p.enginePidfile, '--experimental', ...(p.engineArgs ?? [])], log);
  await waitForSocket(p.engineSocket, pid, 'strata-engine', log);
  stderr.write(`strata: started strata-engine (log: ${log})\n`);
  return true;
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

const daemons = (p: DaemonPaths) => [
  { name: 'strata-engine', pidfile: p.enginePidfile, socket: p.engineSocket, log: path.join(p.logDir, 'engine.log') },
  { name: 'strata-manager', pidfile: p.managerPidfile, socket: p.managerSocket, log: path.join(p.logDir, 'manager.log') },
];

/** Only signal a pid that is really the daemon (a stale pidfile may name a recycled pid). */
function isDaemon(pid: number, name: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return false;
  }
}

export async function daemonStatus(out: (s: string) => void, p: DaemonPaths = DEFAULT_PATHS): Promise<void> {
  for (const d of daemons(p)) {
    const pid = readPid(d.pidfile);
    const running = pid !== undefined && alive(pid) && isDaemon(pid, d.name);
    const answers = await socketAnswers(d.socket);
    out(`${d.name}: ${running ? `running (pid ${pid})` : answers ? 'running (not started by strata)' : 'stopped'}, socket ${d.socket} ${answers ? 'answers' : 'does not answer'}, log ${d.log}\n`);
  }
}

/** SIGTERM the engine, then the manager (pids from our pidfiles only); SIGKILL after 15 s. */
export async function daemonStop(out: (s: string) => void, p: DaemonPaths = DEFAULT_PATHS): Promise<void> {
  for (const d of daemons(p)) {
    const pid = readPid(d.pidfile);
    if (pid === undefined || !alive(pid) || !isDaemon(pid, d.name)) {
      out(`${d.name}: not running (no live pid in ${d.pidfile})\n`);
      continue;
    }
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) {
      process.kill(pid, 'SIGKILL');
      out(`${d.name}: killed (pid ${pid}) after 15s\n`);
    } else out(`${d.name}: stopped (pid ${pid})\n`);
    fs.rmSync(d.pidfile, { force: true });
  }
}

export const daemonCommand: Command = {
  name: 'daemon',
  usage: 'status|stop',
  desc: 'Show or stop the strata-engine and strata-manager daemons that strata started',
  flags: [],
  args: { min: 1, max: 1 },
  local: true,
  async run(ctx, _f, [verb]) {
    if (verb === 'status') return daemonStatus(ctx.out);
    if (verb === 'stop') return daemonStop(ctx.out);
    throw new CliError(`strata daemon: unknown subcommand "${verb}" (status or stop)`);
  },
};
