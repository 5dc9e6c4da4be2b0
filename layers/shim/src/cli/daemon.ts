// The shim daemon: `start` launched it with the listening socket on fd 3. It serves the Task API
// until Shutdown finds no container left.
import fs from 'node:fs';
import net from 'node:net';
import { EventPublisher } from '../events';
import { TASK_SERVICE } from '../proto';
import { reaper } from '../reaper';
import { TaskService } from '../service';
import { peerAllowed, peerProcessName, TtrpcServer, type CallContext } from '../ttrpc';
import { SHIM, shimCall, traced, tracing } from '../trace';
import { socketPath } from './address';
import type { ShimFlags } from './flags';

/** The daemon: serve the Task API on the socket inherited as fd 3 until Shutdown. */
export async function daemon(f: ShimFlags): Promise<number> {
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
  // Traces name the caller after its binary: containerd, or strata-manager standing in for it.
  if (tracing()) server.describePeer = peerProcessName;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const service = new TaskService(f.namespace, events, () => done());
  // With -debug every call lands in containerd's log (through the log FIFO): the Task API as it
  // happens, which is most of what a student wants to see.
  const handlers = Object.fromEntries(
    Object.entries(service.handlers()).map(([name, h]) => [
      name,
      async (req: any, ctx?: CallContext) => {
        log('debug', `${name} ${describeRequest(req)}`);
        try {
          const call = shimCall({ from: ctx?.peer ?? 'containerd', to: SHIM, protocol: 'ttrpc', op: `Task.${name}`, ids: { container: req?.id, exec: req?.execId }, by: 'callee' });
          return await traced(call, () => h(req));
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
