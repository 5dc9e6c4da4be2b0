// A process's standard streams, between the container and containerd.
//
// containerd (or ctr) names the streams in CreateTaskRequest/ExecProcessRequest:
//   - a FIFO path: containerd holds the other end (the usual case);
//   - file:///abs/path: append to a file (logs);
//   - binary:///abs/path?arg=value: start a logging binary with the streams on its fds 3 and 4;
//   - "": nothing (/dev/null).
// The container never gets containerd's FIFOs directly. It gets pipes, and the shim copies
// (pkg/process/io.go in containerd does the same), so that a client going away (ctr exiting)
// never sends SIGPIPE or EOF into the container. Output FIFOs are opened read-write (the runc
// shim keeps a reader open too): writes then wait when nobody reads, they do not fail. The stdin
// FIFO is opened read-only and non-blocking: Linux reports hang-up on such a FIFO only after a
// writer has come and gone (pipe_poll compares the writer counter), so the copy waits for the
// client, and the client closing its end is the process's EOF. When an output copy reaches EOF (the
// process and every child holding the pipe closed it), the shim flushes and closes that FIFO
// end, as the runc shim's copyPipes does: the client reads EOF as soon as the output is complete,
// not only at Delete (CRI's ExecSync and `ctr task exec` wait for that EOF). CloseIO ends stdin too; ctr
// relies on the EOF, as it may see its own stdin end before it has the task to call CloseIO on.
// With a terminal the runtime sends the pty master over a console socket (ConsoleSocket below)
// and the shim copies stdin -> master -> stdout.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { acceptFd, close, listenUnix, pipe, recvFds, setFdFlags, setWinsize } from '@strata/linux';
import { ShimError } from './errors';
import { reaper } from './reaper';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

type Fd = number | 'ignore';

export interface IoContext {
  id: string;
  namespace: string;
}

export class ProcessIO {
  /** fds 0-2 to hand to the runtime (it passes them on to the container process). */
  readonly runtimeStdio: [Fd, Fd, Fd] = ['ignore', 'ignore', 'ignore'];
  /** The container's ends: closed in the shim once the runtime has started the process. */
  private containerEnds: number[] = [];
  private stdinWriter?: net.Socket;
  private stdinSource?: net.Socket;
  private copies: Promise<void>[] = [];
  /** The FIFO ends the shim writes into; each closed (after a flush) at its copy's EOF, the rest at Delete. */
  private dests: net.Socket[] = [];
  private cleanups: (() => void)[] = [];
  private master = -1;
  private loggers: ChildProcess[] = [];

  private constructor(readonly paths: StdioPaths) {}

  static async open(paths: StdioPaths, ctx: IoContext): Promise<ProcessIO> {
    const io = new ProcessIO(paths);
    try {
      if (paths.terminal) return io; // streams attach to the pty master later (attachConsole)
      if (paths.stdin) io.openStdin(paths.stdin);
      const logger = parseBinaryUri(paths.stdout) ?? parseBinaryUri(paths.stderr);
      if (logger) await io.startLogger(logger, ctx);
      else {
        if (paths.stdout) io.runtimeStdio[1] = io.openOutput(paths.stdout);
        if (paths.stderr) io.runtimeStdio[2] = io.openOutput(paths.stderr);
      }
      return io;
    } catch (e) {
      io.abort();
      if (e instanceof ShimError) throw e;
      throw new ShimError('INVALID_ARGUMENT', `stdio: ${(e as Error).message}`);
    }
  }

  private openStdin(p: string): void {
    const [r, w] = pipe();
    this.runtimeStdio[0] = r;
    this.containerEnds.push(r);
    const fifo = openFifo(p, 'read');
    this.stdinSource = new net.Socket({ fd: fifo, readable: true, writable: false });
    this.stdinWriter = new net.Socket({ fd: w, readable: false, writable: true });
    this.stdinWriter.on('error', () => undefined); // EPIPE: the process closed its stdin
    this.stdinSource.on('error', () => undefined);
    this.stdinSource.pipe(this.stdinWriter);
  }

  /** A pipe whose write end the container gets, copied into the FIFO or file at `target`. */
  private openOutput(target: string): number {
    const file = parseFileUri(target);
    if (file) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
      this.containerEnds.push(fd);
      return fd;
    }
    const [r, w] = pipe();
    this.containerEnds.push(w);
    const dest = this.fifoWriter(target);
    this.copies.push(copy(new net.Socket({ fd: r, readable: true, writable: false }), dest).then(() => closeAfterFlush(dest)));
    return w;
  }

  /**
   * binary:// logging (containerd's "logging binary" contract): the binary gets the container's
   * stdout on fd 3, stderr on fd 4, and closes fd 5 when it is ready to read.
   */
  private async startLogger(uri: { path: string; args: string[] }, ctx: IoContext): Promise<void> {
    const [outR, outW] = pipe();
    const [errR, errW] = pipe();
    const [readyR, readyW] = pipe();
    this.runtimeStdio[1] = outW;
    this.runtimeStdio[2] = errW;
    this.containerEnds.push(outW, errW);
    const child = spawn(uri.path, uri.args, {
      stdio: ['ignore', 'ignore', 'ignore', outR, errR, readyW],
      env: { ...process.env, CONTAINER_ID: ctx.id, CONTAINER_NAMESPACE: ctx.namespace },
      detached: true,
    });
    this.loggers.push(child);
    if (child.pid) {
      reaper.nodeChildren.add(child.pid);
      child.on('exit', () => reaper.nodeChildren.delete(child.pid!));
    }
    for (const fd of [outR, errR, readyW]) close(fd);
    // Ready when the logger closes its end of the ready pipe (read returns EOF), bounded.
    await new Promise<void>((resolve, reject) => {
      const ready = new net.Socket({ fd: readyR, readable: true, writable: false });
      const timer = setTimeout(() => {
        ready.destroy();
        reject(new ShimError('RUNTIME', `logging binary ${uri.path} did not become ready within 10s`));
      }, 10_000);
      ready.on('data', () => undefined);
      ready.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ready.on('error', () => undefined);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ShimError('INVALID_ARGUMENT', `logging binary ${uri.path}: ${e.message}`));
      });
    });
  }

  /** After `runtime create/exec` returned: the container holds its ends, we drop ours. */
  closeContainerEnds(): void {
    for (const fd of this.containerEnds.splice(0)) {
      try {
        close(fd);
      } catch {
        // already closed
      }
    }
  }

  /** Terminal: copy stdin FIFO -> pty master -> stdout FIFO. */
  attachConsole(master: number): void {
    this.master = master;
    const reader = new tty.ReadStream(master);
    reader.on('error', () => undefined); // EIO when the last slave closes: the process ended
    if (this.paths.stdout) {
      const dest = this.fifoWriter(this.paths.stdout);
      this.copies.push(copy(reader, dest).then(() => closeAfterFlush(dest)));
    } else reader.resume();
    if (this.paths.stdin) {
      const src = new net.Socket({ fd: openFifo(this.paths.stdin, 'read'), readable: true, writable: false });
      src.on('error', () => undefined);
      src.on('data', (b: Buffer) => writeAll(master, b));
      this.stdinSource = src;
    }
    this.cleanups.push(() => reader.destroy());
  }

  private fifoWriter(p: string): net.Socket {
    const dest = new net.Socket({ fd: openFifo(p), readable: false, writable: true });
    dest.on('error', () => undefined);
    this.dests.push(dest);
    return dest;
  }

  /** TIOCSWINSZ on the master. Without a terminal (none asked, or closed at exit) a no-op, as in the runc shim. */
  resize(width: number, height: number): void {
    if (this.master < 0) return;
    try {
      setWinsize(this.master, height, width);
    } catch {
      // the terminal closed as the process ended
    }
  }

  /** CloseIO(stdin): the process reads EOF. */
  closeStdin(): void {
    this.stdinSource?.unpipe();
    this.stdinSource?.destroy();
    this.stdinSource = undefined;
    if (this.stdinWriter) {
      this.stdinWriter.end();
      this.stdinWriter = undefined;
    } else if (this.master >= 0) writeAll(this.master, Buffer.from([4])); // ^D on a terminal
  }

  /** Wait (bounded) until everything the process wrote has been copied out. */
  async drain(timeoutMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.copies), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /**
   * Task.Delete: wait (bounded) for the output copies, flush into the FIFOs, close everything.
   * Closing our FIFO ends is what lets the client (ctr) read EOF and finish.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    await this.drain(timeoutMs);
    await Promise.all(
      this.dests.map(
        (d) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, timeoutMs);
            d.end(() => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
    this.abort();
  }

  /** Close everything now (failure paths). */
  abort(): void {
    for (const d of this.dests.splice(0)) d.destroy();
    for (const l of this.loggers) l.unref();
    this.closeContainerEnds();
    this.stdinSource?.destroy();
    this.stdinWriter?.destroy();
    for (const c of this.cleanups.splice(0)) c();
    if (this.master >= 0) {
      try {
        close(this.master);
      } catch {
        // the ReadStream closed it
      }
      this.master = -1;
    }
  }
}

/** Copy until the source ends; resolves then (never rejects). Backpressure pauses the source. */
function copy(src: NodeJS.ReadableStream & { on: net.Socket['on'] }, dest: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    src.on('error', () => resolve());
    src.on('end', () => resolve());
    src.on('close', () => resolve());
    src.pipe(dest, { end: false });
  });
}

/**
 * The copy into `dest` is over: close our FIFO end once what is queued has been written, so the
 * reader sees EOF. Not awaited: with nobody reading a full FIFO the flush waits, and Delete's
 * close() ends the wait (it destroys what is still open).
 */
function closeAfterFlush(dest: net.Socket): void {
  if (dest.destroyed) return;
  dest.end(() => dest.destroy());
}

function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  for (let tries = 0; off < b.length && tries < 1000; tries++) {
    try {
      off += fs.writeSync(fd, b, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return; // the terminal is gone
    }
  }
}

/** A FIFO opened read-write: never blocks on open, never sees EOF/EPIPE when a peer leaves. */
/** `read`: the stdin side (EOF when the client closes); `write`: an output (never EOF/EPIPE). */
function openFifo(p: string, use: 'read' | 'write' = 'write'): number {
  const st = fs.statSync(p);
  if (!st.isFIFO()) throw new ShimError('INVALID_ARGUMENT', `${p} is not a FIFO (or give file:// or binary:// URIs)`);
  return fs.openSync(p, (use === 'read' ? fs.constants.O_RDONLY : fs.constants.O_RDWR) | fs.constants.O_NONBLOCK);
}

function parseFileUri(s: string): string | undefined {
  if (!s.startsWith('file://')) return undefined;
  const u = new URL(s);
  if (!path.isAbsolute(u.pathname)) throw new ShimError('INVALID_ARGUMENT', `stdio URI ${s}: the path must be absolute`);
  return decodeURIComponent(u.pathname);
}

function parseBinaryUri(s: string): { path: string; args: string[] } | undefined {
  if (!s.startsWith('binary://')) return undefined;
  const u = new URL(s);
  const args: string[] = [];
  // containerd passes the binary's arguments as query parameters: ?key=value -> key value
  for (const [k, v] of u.searchParams) args.push(k, ...(v ? [v] : []));
  return { path: decodeURIComponent(u.pathname), args };
}

/**
 * A console socket (runc's --console-socket): the runtime connects and sends the pty master of
 * the container's terminal with SCM_RIGHTS. Polled without blocking, so the shim keeps serving
 * other calls while the runtime creates the container.
 */
export class ConsoleSocket {
  readonly path: string;
  private readonly dir: string;
  private readonly fd: number;

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-pty-'));
    this.path = path.join(this.dir, 'pty.sock');
    this.fd = listenUnix(this.path);
    setFdFlags(this.fd, { nonblock: true });
  }

  /** Waits for the master until `done` settles (the runtime exited) or the time is up. */
  async receive(done: Promise<unknown>, timeoutMs = 30_000): Promise<number> {
    let finished = false;
    void done.then(
      () => (finished = true),
      () => (finished = true),
    );
    const deadline = Date.now() + timeoutMs;
    let conn = -1;
    try {
      while (Date.now() < deadline) {
        if (conn < 0) {
          try {
            conn = acceptFd(this.fd);
          } catch {
            conn = -1; // EAGAIN: nobody yet
          }
        }
        if (conn >= 0) {
          const got = recvFds(conn, { nonblocking: true });
          if (got && got.fds.length) {
            for (const extra of got.fds.slice(1)) close(extra);
            return got.fds[0];
          }
          if (got && got.payload.length === 0) throw new ShimError('RUNTIME', 'the runtime closed the console socket without sending a terminal');
        }
        if (finished && conn < 0) throw new ShimError('RUNTIME', 'the runtime exited without connecting to the console socket');
        await new Promise((r) => setTimeout(r, finished ? 20 : 5));
      }
      throw new ShimError('RUNTIME', `no terminal received on the console socket within ${timeoutMs} ms`);
    } finally {
      if (conn >= 0) close(conn);
    }
  }

  close(): void {
    try {
      close(this.fd);
    } catch {
      // closed
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
