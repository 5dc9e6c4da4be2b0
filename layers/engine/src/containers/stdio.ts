// A running container's stdio on the engine side (moby's container/stream + daemon/logger): the
// engine makes the FIFOs the shim writes the process's output to, reads them for as long as the
// task lives, and fans every chunk out to the log driver (json-file, below) and to the attached
// clients. Stdin, when the container has OpenStdin, is one FIFO the engine writes what attached
// clients send into; StdinOnce closes it (Tasks.CloseIO) when the first attached client's stdin ends.
//
// FIFOs live in <exec-root>/containers/<id>/ so a restarted engine finds and re-opens them while
// the shim keeps its ends open (the process never notices the engine was gone, except that its
// writes block once the 64 KiB pipe buffer is full).
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { mkfifo } from '@strata/linux';
import type { JsonFileLog } from './jsonLog';

export type StreamName = 'stdout' | 'stderr';

export interface FifoPaths {
  stdin: string;
  stdout: string;
  stderr: string;
}

export function fifoPaths(dir: string, prefix: string, o: { stdin: boolean; tty: boolean }): FifoPaths {
  return { stdin: o.stdin ? path.join(dir, `${prefix}-stdin`) : '', stdout: path.join(dir, `${prefix}-stdout`), stderr: o.tty ? '' : path.join(dir, `${prefix}-stderr`) };
}

export function makeFifos(f: FifoPaths): void {
  for (const p of [f.stdin, f.stdout, f.stderr]) {
    if (!p) continue;
    fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(p)) mkfifo(p, 0o600);
  }
}

export class ProcessIO extends EventEmitter {
  private readonly sockets: net.Socket[] = [];
  private keepers: number[] = [];
  private stdinSock?: net.Socket;
  private stdinQueue: Buffer[] = [];
  private stdinEnded = false;
  private stdinReady = false;
  readonly done: Promise<void>;

  /**
   * Open the output FIFOs for reading. `fresh`: the shim has not opened its ends yet (before
   * Tasks.Create/Exec), so hold a write end of each until opened() — a FIFO without any writer
   * reads as EOF. When re-attaching after an engine restart, the shim holds them already.
   */
  constructor(
    readonly fifos: FifoPaths,
    fresh: boolean,
    private readonly log?: JsonFileLog,
  ) {
    super();
    const outs: Promise<void>[] = [];
    for (const name of ['stdout', 'stderr'] as StreamName[]) {
      const p = fifos[name];
      if (!p) continue;
      const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      if (fresh) this.keepers.push(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      const s = new net.Socket({ fd, readable: true, writable: false });
      this.sockets.push(s);
      outs.push(
        new Promise<void>((resolve) => {
          s.on('data', (d: Buffer) => {
            this.log?.write(name, d);
            this.emit('data', name, d);
          });
          s.on('end', () => resolve());
          s.on('close', () => resolve());
          s.on('error', () => resolve());
        }),
      );
    }
    this.done = Promise.all(outs).then(() => {
      this.log?.flush();
      this.emit('end');
    });
    if (fifos.stdin) {
      const fd = fs.openSync(fifos.stdin, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
      this.stdinSock = new net.Socket({ fd, readable: false, writable: true });
      this.stdinSock.on('error', () => {});
      this.sockets.push(this.stdinSock);
    }
    if (!fresh) this.opened();
  }

  /** The shim holds its ends now: EOF on an output means the process side closed it. */
  opened(): void {
    for (const k of this.keepers.splice(0)) fs.closeSync(k);
    this.stdinReady = true;
    for (const b of this.stdinQueue.splice(0)) this.stdinSock?.write(b);
    if (this.stdinEnded) this.stdinSock?.end();
  }

  get hasStdin(): boolean {
    return !!this.stdinSock;
  }

  writeStdin(b: Buffer): void {
    if (this.stdinEnded || !this.stdinSock) return;
    if (this.stdinReady) this.stdinSock.write(b);
    else this.stdinQueue.push(b);
  }

  /** End of input: the caller then asks the shim for CloseIO. */
  endStdin(): void {
    if (this.stdinEnded) return;
    this.stdinEnded = true;
    if (this.stdinReady) this.stdinSock?.end();
  }

  /** Wait (bounded) for the outputs to drain, then close everything. */
  async finish(timeoutMs = 2_000): Promise<void> {
    await Promise.race([this.done, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    this.close();
  }

  close(): void {
    for (const k of this.keepers.splice(0)) fs.closeSync(k);
    for (const s of this.sockets) s.destroy();
    this.log?.flush();
    this.emit('end');
  }

  removeFifos(): void {
    for (const p of [this.fifos.stdin, this.fifos.stdout, this.fifos.stderr]) if (p) fs.rmSync(p, { force: true });
  }
}
