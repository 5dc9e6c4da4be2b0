// A task's stdio from the client side (containerd's cio package): the client makes FIFOs, passes
// their paths in Tasks.Create/Exec, and the shim opens the other ends. The client copies its own
// stdin into the stdin FIFO and the stdout/stderr FIFOs to its own outputs. With a terminal
// there is only one output (the pty merges stdout and stderr).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { mkfifo } from '@strata/linux';

export const FIFO_ROOT = '/run/strata-ctr/fifo';

export interface TaskFifos {
  dir: string;
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

export function makeFifos(id: string, o: { stdin: boolean; terminal: boolean }): TaskFifos {
  fs.mkdirSync(FIFO_ROOT, { recursive: true, mode: 0o700 });
  const dir = fs.mkdtempSync(path.join(FIFO_ROOT, `${crypto.randomBytes(3).toString('hex')}-`));
  const f = (n: string) => path.join(dir, `${id}-${n}`);
  const fifos: TaskFifos = { dir, stdin: o.stdin ? f('stdin') : '', stdout: f('stdout'), stderr: o.terminal ? '' : f('stderr'), terminal: o.terminal };
  for (const p of [fifos.stdin, fifos.stdout, fifos.stderr]) if (p) mkfifo(p, 0o600);
  return fifos;
}

export interface AttachedIO {
  /** Resolves when the outputs reached EOF (the process and every holder closed them). */
  done: Promise<void>;
  /** Resolves when our stdin reached EOF (then the caller asks for CloseIO). */
  stdinClosed: Promise<void>;
  /** Call once the shim has opened its ends (after Tasks.Create / Exec): from then on EOF means done. */
  opened(): void;
  close(): void;
}

/**
 * Attach our streams to the FIFOs. Outputs are opened read-only and non-blocking *before* the
 * task starts, so the shim's open for writing succeeds; they end at EOF, when the shim closes
 * its ends after the process exits.
 */
export function attach(f: TaskFifos, io: { stdin?: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): AttachedIO {
  const sockets: net.Socket[] = [];
  const keepers: number[] = [];
  const openRead = (p: string, out: NodeJS.WritableStream) =>
    new Promise<void>((resolve) => {
      const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      // A FIFO with no writer reads as EOF: hold a write end ourselves until the shim has
      // opened its own (opened()), so the stream ends only when the shim closes it.
      keepers.push(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      const s = new net.Socket({ fd, readable: true, writable: false });
      sockets.push(s);
      s.on('data', (d) => out.write(d));
      s.on('end', () => resolve());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
  const outputs = [openRead(f.stdout, io.stdout), ...(f.stderr ? [openRead(f.stderr, io.stderr)] : [])];
  let stdinClosed: Promise<void> = new Promise(() => {});
  // Our stdin is copied only once the shim holds the FIFO's read end: bytes left in a FIFO that
  // every process has closed are thrown away by the kernel.
  let startStdin = () => {};
  if (f.stdin && io.stdin) {
    const fd = fs.openSync(f.stdin, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const w = new net.Socket({ fd, readable: false, writable: true });
    sockets.push(w);
    let resolveClosed = () => {};
    stdinClosed = new Promise((resolve) => (resolveClosed = resolve));
    startStdin = () => {
      io.stdin!.on('data', (d) => w.write(d));
      io.stdin!.on('end', () => {
        w.end();
        resolveClosed();
      });
    };
  }
  return {
    done: Promise.all(outputs).then(() => {}),
    stdinClosed,
    opened: () => {
      for (const k of keepers.splice(0)) fs.closeSync(k);
      startStdin();
    },
    close: () => {
      for (const k of keepers.splice(0)) fs.closeSync(k);
      for (const s of sockets) s.destroy();
      fs.rmSync(f.dir, { recursive: true, force: true });
    },
  };
}
