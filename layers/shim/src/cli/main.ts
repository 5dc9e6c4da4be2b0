// containerd-shim-strata-v2: the three ways containerd runs the shim binary (runtime v2 contract).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Cgroup, close, listenUnix } from '@strata/linux';
import { DEFAULT_RUNTIME, DEFAULT_RUNTIME_ROOT } from '../container';
import { EventPublisher } from '../events';
import { OciRuntime } from '../ociRuntime';
import { decode, encode, schema, AnyType, toTimestamp } from '../proto';
import { reaper } from '../reaper';
import { unmountRootfs } from '../rootfs';
import { runtimeOptions } from '../runtimeOptions';
import { SHIM_VERSION, TaskService } from '../service';
import { peerAllowed, TtrpcServer } from '../ttrpc';
import { TASK_SERVICE } from '../proto';
import { FlagError, parseShimFlags, USAGE, type ShimFlags } from './flags';

/** containerd's state dir for shim sockets (/run/containerd/s), whatever its --state. */
export const SOCKET_DIR = '/run/containerd/s';
/** Annotations that put containers into one shim (containerd's runc shim groups on these). */
const GROUP_LABELS = ['io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id'];

export async function main(argv: string[]): Promise<number> {
  let flags: ShimFlags;
  try {
    flags = parseShimFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`containerd-shim-strata-v2: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`containerd-shim-strata-v2:\n  Version:  ${SHIM_VERSION}\n  Runtime:  ${DEFAULT_RUNTIME} (default)\n  Go-compatible task API: containerd.task.v2.Task over ttrpc\n`);
    return 0;
  }
  try {
    if (!flags.namespace) throw new FlagError('shim namespace cannot be empty (-namespace)');
    if (!flags.id) throw new FlagError('shim id cannot be empty (-id)');
    if (flags.action === 'start') return await start(flags);
    if (flags.action === 'delete') return await deleteAction(flags);
    return await daemon(flags);
  } catch (e) {
    // containerd shows start's combined output as the error: keep it to one line.
    process.stderr.write(`containerd-shim-strata-v2: ${(e as Error).message}\n`);
    return 1;
  }
}

/** unix:///run/containerd/s/<sha256 of "<containerd address>/<namespace>/<group id>"> */
export function socketAddress(containerdAddress: string, namespace: string, group: string): string {
  const digest = createHash('sha256').update(path.join(containerdAddress, namespace, group)).digest('hex');
  return `unix://${path.join(SOCKET_DIR, digest)}`;
}

const socketPath = (address: string) => address.replace(/^unix:\/\//, '');

function groupOf(id: string): string {
  try {
    const spec = JSON.parse(fs.readFileSync('config.json', 'utf8')) as { annotations?: Record<string, string> };
    for (const l of GROUP_LABELS) if (spec.annotations?.[l]) return spec.annotations[l];
  } catch {
    // no readable config: one shim for this container
  }
  return id;
}

function canConnect(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(p);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1_000);
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

/**
 * `start`: make the listening socket, launch the daemon with it on fd 3 (in its own process
 * group, so that it survives containerd), print the address. If a shim for the same group is
 * already listening, print its address instead: that is how pods share one shim.
 */
async function start(f: ShimFlags): Promise<number> {
  const address = socketAddress(f.address, f.namespace, groupOf(f.id));
  const sock = socketPath(address);
  fs.mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });
  let fd: number;
  try {
    fd = listenUnix(sock);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    if (await canConnect(sock)) {
      fs.writeFileSync('address', address);
      process.stdout.write(address);
      return 0;
    }
    fs.rmSync(sock, { force: true }); // left by a shim that died
    fd = listenUnix(sock);
  }
  fs.chmodSync(sock, 0o600);
  try {
    fs.writeFileSync('address', address);
    const options = readStartOptions();
    const args = ['-namespace', f.namespace, '-id', f.id, '-address', f.address, ...(f.debug ? ['-debug'] : [])];
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], {
      cwd: process.cwd(),
      detached: true,
      // stdout/stderr must not be containerd's pipe: containerd reads it until EOF.
      stdio: ['ignore', 'ignore', 'ignore', fd],
      env: process.env,
    });
    close(fd);
    if (!child.pid) throw new Error('could not start the shim daemon');
    if (options?.shimCgroup) Cgroup.open(options.shimCgroup).addProcess(child.pid);
    adjustOomScore(child.pid);
    child.unref();
    process.stdout.write(address);
    return 0;
  } catch (e) {
    fs.rmSync(sock, { force: true });
    throw e;
  }
}

/** The runtime options containerd writes to start's stdin (a serialized Any), if any. */
function readStartOptions(): { shimCgroup?: string } | undefined {
  if (process.stdin.isTTY) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(0);
  } catch {
    return undefined;
  }
  if (data.length === 0) return undefined;
  return runtimeOptions(decode(AnyType, data));
}

/** One point above containerd's OOM score, as containerd's shims do, so the shim dies after. */
function adjustOomScore(pid: number): void {
  try {
    const parent = Number(fs.readFileSync(`/proc/${process.ppid}/oom_score_adj`, 'utf8').trim());
    fs.writeFileSync(`/proc/${pid}/oom_score_adj`, String(Math.min(1000, parent + 1)));
  } catch {
    // not allowed (no CAP_SYS_RESOURCE for negative values): keep the default
  }
}

/**
 * `delete`: containerd runs it when the shim is gone (or after every removal in 1.6). Force-delete
 * the container with the runtime recorded in the bundle, unmount the rootfs, and answer with a
 * DeleteResponse on stdout.
 */
async function deleteAction(f: ShimFlags): Promise<number> {
  const bundle = f.bundle || process.cwd();
  const read = (name: string) => {
    try {
      return fs.readFileSync(path.join(bundle, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const binary = read('runtime')?.trim() || DEFAULT_RUNTIME;
  const opts = JSON.parse(read('options.json') || '{}') as { root?: string };
  const runtime = new OciRuntime({ binary, root: path.join(opts.root || DEFAULT_RUNTIME_ROOT, f.namespace), logFile: path.join(bundle, 'log.json'), timeoutMs: 10_000 });
  await runtime.delete(f.id, true).catch(() => undefined); // "does not exist" is the clean case
  unmountRootfs(bundle);
  // A shim that was killed left its socket: remove it when nothing listens there any more (a
  // grouped shim that is still alive keeps serving the other containers).
  const address = read('address')?.trim();
  if (address?.startsWith('unix://') && !(await canConnect(socketPath(address)))) fs.rmSync(socketPath(address), { force: true });
  const pid = Number(read('init.pid')?.trim() || 0);
  const out = encode(schema.message('containerd.task.v2.DeleteResponse'), { pid, exitStatus: 128 + 9, exitedAt: toTimestamp(new Date()) });
  process.stdout.write(out);
  return 0;
}

/** The daemon: serve the Task API on the socket inherited as fd 3 until Shutdown. */
async function daemon(f: ShimFlags): Promise<number> {
  const log = openLog(f.debug);
  // `start` wrote the socket's address into the bundle it ran in (our cwd); read it now, as the
  // bundle may be gone by the time we shut down.
  let sock: string | undefined;
  try {
    sock = socketPath(fs.readFileSync('address', 'utf8').trim());
  } catch {
    sock = undefined;
  }
  reaper.install();
  process.on('SIGPIPE', () => undefined);
  const events = new EventPublisher(process.env.TTRPC_ADDRESS, f.namespace, (m) => log('warning', m));
  const server = new TtrpcServer();
  server.authorize = peerAllowed;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const service = new TaskService(f.namespace, events, () => done());
  // With -debug every call lands in containerd's log (through the log FIFO): the Task API as it
  // happens, which is most of what a student wants to see.
  const handlers = Object.fromEntries(
    Object.entries(service.handlers()).map(([name, h]) => [
      name,
      async (req: any) => {
        log('debug', `${name} ${describeRequest(req)}`);
        try {
          return await h(req);
        } catch (e) {
          log('debug', `${name} failed: ${(e as Error).message}`);
          throw e;
        }
      },
    ]),
  );
  server.register(TASK_SERVICE, handlers);
  const listener = net.createServer();
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen({ fd: 3 }, () => resolve());
  });
  server.serve(listener);
  log('info', `serving containerd.task.v2.Task for ${f.namespace}/${f.id} (pid ${process.pid})`);
  await finished;
  await events.flush();
  events.close();
  await server.close();
  if (sock) fs.rmSync(sock, { force: true });
  log('info', 'shim shut down');
  return 0;
}

/** A short, readable form of a request: ids and scalar fields, no nested Any payloads. */
function describeRequest(req: Record<string, unknown>): string {
  const parts = Object.entries(req ?? {})
    .filter(([, v]) => v !== '' && v !== 0 && v !== false && v !== undefined && (typeof v !== 'object' || v === null))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return parts.join(' ');
}

/**
 * The bundle's `log` FIFO: containerd reads it and copies the lines into its own log. Opened
 * non-blocking (containerd opened its end before starting us); without it, log to nowhere.
 */
function openLog(debug: boolean): (level: string, msg: string) => void {
  let fd = -1;
  try {
    fd = fs.openSync('log', fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch {
    fd = -1;
  }
  return (level, msg) => {
    if (fd < 0 || (level === 'debug' && !debug)) return;
    try {
      fs.writeSync(fd, `time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}\n`);
    } catch {
      // containerd stopped reading
    }
  };
}
