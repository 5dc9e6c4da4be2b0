// A container's stdio as the CRI owns it (containerd internal/cri/io/container_io.go): FIFOs in
// the container's state dir; the output is copied into the CRI log file and to every attached
// client (a fan-out), the stdin FIFO's write end is kept so Attach can feed the process.
//   stdin_once: the first attach session that ends its stdin closes the container's stdin.
//   tty:        one output stream (the pty merges stdout and stderr), logged as stdout.
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { CriLogWriter, type LogStream } from './criLog';
import { makeFifo, readFifo, writeFifo, type FifoReader } from './fifo';

export interface IoPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export function ioPaths(dir: string, o: { stdin: boolean; tty: boolean }): IoPaths {
  return {
    stdin: o.stdin ? path.join(dir, 'stdin') : '',
    stdout: path.join(dir, 'stdout'),
    stderr: o.tty ? '' : path.join(dir, 'stderr'),
    terminal: o.tty,
  };
}

type Listener = (stream: LogStream, data: Buffer) => void;

export class ContainerIO {
  private readers: FifoReader[] = [];
  private log?: CriLogWriter;
  private stdinWriter?: net.Socket;
  private readonly listeners = new Set<Listener>();
  /** Resolves when the container's output ended (the process and its children closed it). */
  done: Promise<void> = Promise.resolve();

  constructor(
    readonly paths: IoPaths,
    readonly logPath: string,
    readonly stdinOnce: boolean,
  ) {}

  /** Make the FIFOs (a new container; recovery reuses the existing ones). */
  create(): void {
    fs.mkdirSync(path.dirname(this.paths.stdout), { recursive: true, mode: 0o700 });
    for (const p of [this.paths.stdin, this.paths.stdout, this.paths.stderr]) if (p) makeFifo(p);
  }

  /** Start copying. `fresh`: the shim has not opened its ends yet (hold keepers until opened()). */
  start(fresh: boolean): void {
    if (this.logPath) this.log = new CriLogWriter(this.logPath);
    const pump = (stream: LogStream, p: string) => {
      const r = readFifo(
        p,
        (b) => {
          this.log?.write(stream, b);
          for (const l of this.listeners) l(stream, b);
        },
        fresh,
      );
      this.readers.push(r);
      return r.done.then(() => this.log?.end(stream));
    };
    const outs = [pump('stdout', this.paths.stdout)];
    if (this.paths.stderr) outs.push(pump('stderr', this.paths.stderr));
    if (this.paths.stdin && fs.existsSync(this.paths.stdin)) this.stdinWriter = writeFifo(this.paths.stdin);
    this.done = Promise.all(outs).then(() => {});
  }

  opened(): void {
    for (const r of this.readers) r.opened();
  }

  reopenLog(): void {
    this.log?.reopen();
  }

  /** Subscribe to the output; returns the unsubscribe function. */
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /**
   * Feed a client's stdin to the process. Returns when the client's stdin ends; with stdin_once
   * the container's stdin is closed then (the process reads EOF).
   */
  feedStdin(input: NodeJS.ReadableStream): Promise<void> {
    const w = this.stdinWriter;
    if (!w || w.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const onData = (d: Buffer) => w.write(d);
      const finish = () => {
        input.off('data', onData);
        if (this.stdinOnce) this.closeStdin();
        resolve();
      };
      input.on('data', onData);
      input.once('end', finish);
      input.once('close', finish);
    });
  }

  closeStdin(): void {
    this.stdinWriter?.end();
    this.stdinWriter = undefined;
  }

  get hasStdin(): boolean {
    return !!this.stdinWriter;
  }

  close(): void {
    for (const r of this.readers.splice(0)) r.close();
    this.stdinWriter?.destroy();
    this.stdinWriter = undefined;
    this.log?.close();
    this.log = undefined;
    this.listeners.clear();
  }
}
