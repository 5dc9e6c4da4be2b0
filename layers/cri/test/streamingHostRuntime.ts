// A StreamingRuntime over plain host processes, for testing the streaming transport for real
// (real pipes, a real pseudo-terminal, real TCP) without containers; the CRI runtime service
// tests the same interface with real containers. "Containers" are names: exec runs `cmd` on the
// host; attach talks to a long-running process registered under the container id; port-forward
// connects to 127.0.0.1:PORT.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { onResize, type StreamOpts, type StreamingRuntime } from '../src/streaming';

// A pty relay (node has no pty API): runs argv in a new pseudo-terminal, copies stdin/stdout, and
// applies JSON resize lines read from fd 3 with TIOCSWINSZ, which makes the kernel send SIGWINCH.
// Resizes are applied before stdin in each round so "resize, then input" keeps its order.
const PTY_RELAY = `
import os, pty, sys, json, select, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
inputs = [0, 3]
buf3 = b''
def resize(line):
    s = json.loads(line)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', s['height'], s['width'], 0, 0))
while True:
    r, _, _ = select.select(inputs + [fd], [], [])
    if 3 in r:
        d = os.read(3, 4096)
        if not d:
            inputs.remove(3)
        buf3 += d
        while b'\\n' in buf3:
            line, buf3 = buf3.split(b'\\n', 1)
            resize(line)
    if 0 in r:
        d = os.read(0, 4096)
        if d:
            os.write(fd, d)
        else:
            inputs.remove(0)
            os.write(fd, b'\\x04')
    if fd in r:
        try:
            d = os.read(fd, 65536)
        except OSError:
            d = b''
        if not d:
            break
        os.write(1, d)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

export class HostRuntime implements StreamingRuntime {
  readonly children = new Set<ChildProcess>();
  readonly attachable = new Map<string, ChildProcess>();
  readonly aborted: string[] = [];

  execStream(containerId: string, cmd: string[], o: StreamOpts): Promise<number> {
    if (containerId === 'missing') return Promise.reject(new Error(`container "${containerId}" not found`));
    const child = o.tty
      ? spawn('python3', ['-c', PTY_RELAY, ...cmd], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
      : spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    if (o.tty) {
      const resizeFd = child.stdio[3] as Writable;
      resizeFd.on('error', () => {});
      const stop = onResize(o.resize, (s) => resizeFd.write(JSON.stringify(s) + '\n'));
      child.on('exit', stop);
    }
    o.signal?.addEventListener('abort', () => {
      this.aborted.push(cmd.join(' '));
      child.kill('SIGKILL');
    });
    return this.connect(child, o).then(() => new Promise<number>((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.on('exit', (code, sig) => resolve(code ?? 128 + (sig === 'SIGKILL' ? 9 : 15)));
    })).finally(() => this.children.delete(child));
  }

  /** Start a long-running process that attach sessions connect to. */
  startAttachable(id: string, script: string): ChildProcess {
    const child = spawn('sh', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    this.attachable.set(id, child);
    return child;
  }

  async attachStream(containerId: string, o: StreamOpts): Promise<void> {
    const child = this.attachable.get(containerId);
    if (!child) throw new Error(`container "${containerId}" not found`);
    await this.connect(child, o);
  }

  async portForwardStream(_pod: string, port: number, conn: Duplex): Promise<void> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.pipe(conn);
    conn.pipe(sock);
    await new Promise<void>((resolve) => {
      let n = 0;
      const one = () => ++n === 2 && resolve();
      sock.once('end', one);
      conn.once('end', one);
      sock.once('close', () => resolve());
      conn.once('close', () => resolve());
    });
    sock.destroy();
  }

  /** Wire the streams to a process; resolves when its output has been fully copied. */
  private connect(child: ChildProcess, o: StreamOpts): Promise<void> {
    if (o.stdin) (o.stdin as Readable).pipe(child.stdin!);
    else child.stdin!.end();
    child.stdin!.on('error', () => {});
    const copy = (from: Readable | null, to: NodeJS.WritableStream | undefined) =>
      new Promise<void>((resolve) => {
        if (!from) return resolve();
        if (to) from.pipe(to as Writable, { end: false });
        else from.resume();
        from.once('end', resolve);
        from.once('close', resolve);
      });
    return Promise.all([copy(child.stdout, o.stdout), copy(child.stderr, o.tty ? o.stdout : o.stderr)]).then(() => {
      if (o.stdin) (o.stdin as Readable).unpipe(child.stdin!);
    });
  }
}
