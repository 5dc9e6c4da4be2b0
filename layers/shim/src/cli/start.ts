// `containerd-shim-strata-v2 start`: containerd runs it in the bundle directory and reads one line,
// the address, from its stdout; it waits for this process to exit. Kept light (no FFI, no
// protobuf schema unless options arrive on stdin) because it is on the path of every task start.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { canConnect, groupOf, SOCKET_DIR, socketAddress, socketPath } from './address';
import type { ShimFlags } from './flags';

/**
 * `start`: make the listening socket, launch the daemon with it on fd 3 (in its own process
 * group, so that it survives containerd), print the address. If a shim for the same group is
 * already listening, print its address instead: that is how pods share one shim.
 */
export async function start(f: ShimFlags): Promise<number> {
  const address = socketAddress(f.address, f.namespace, groupOf(f.id));
  const sock = socketPath(address);
  fs.mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });
  let server: net.Server;
  try {
    server = await listen(sock);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    if (await canConnect(sock)) {
      fs.writeFileSync('address', address);
      process.stdout.write(address);
      return 0;
    }
    fs.rmSync(sock, { force: true }); // left by a shim that died
    server = await listen(sock);
  }
  // The daemon inherits the listening socket. This process must then end with process.exit():
  // closing a listening unix socket in Node (as a natural exit does) unlinks its path.
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  fs.chmodSync(sock, 0o600);
  let child: ReturnType<typeof spawn> | undefined;
  try {
    fs.writeFileSync('address', address);
    const args = ['-namespace', f.namespace, '-id', f.id, '-address', f.address, ...(f.debug ? ['-debug'] : [])];
    child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], {
      cwd: process.cwd(),
      detached: true,
      // stdout/stderr must not be containerd's pipe: containerd reads it until EOF.
      stdio: ['ignore', 'ignore', 'ignore', fd],
      env: process.env,
    });
    if (!child.pid) throw new Error('could not start the shim daemon');
    // The options (containerd writes them to our stdin) matter only for the shim's cgroup: read
    // them once the daemon is on its way, as decoding them loads the protobuf schema.
    const options = await readStartOptions();
    if (options?.shimCgroup) {
      const { Cgroup } = await import('@strata/linux');
      Cgroup.open(options.shimCgroup).addProcess(child.pid);
    }
    adjustOomScore(child.pid);
    child.unref();
    process.stdout.write(address);
    return 0;
  } catch (e) {
    child?.kill('SIGKILL'); // e.g. unreadable options: no daemon may outlive a failed start
    fs.rmSync(sock, { force: true });
    throw e;
  }
}

/** The runtime options containerd writes to start's stdin (a serialized Any), if any. */
async function readStartOptions(): Promise<{ shimCgroup?: string } | undefined> {
  if (process.stdin.isTTY) return undefined;
  let data: Buffer;
  try {
    data = fs.readFileSync(0);
  } catch {
    return undefined;
  }
  if (data.length === 0) return undefined;
  const [{ runtimeOptions }, { decode, AnyType }] = await Promise.all([import('../runtimeOptions'), import('../proto')]);
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

function listen(sock: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(sock, () => resolve(server));
  });
}
