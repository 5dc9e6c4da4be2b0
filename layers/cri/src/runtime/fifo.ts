// Named pipes between the CRI and the shim (containerd's cio): the CRI creates them, passes
// their paths in Tasks.Create/Exec, and the shim opens the other ends. Reading ends are opened
// non-blocking *before* the task exists, so the shim's open for writing does not block; until
// the shim has its end open we hold a write end ourselves ("keeper"), because a FIFO with no
// writer reads as end-of-file.
import fs from 'node:fs';
import net from 'node:net';
import { mkfifo } from '@strata/linux';

export function makeFifo(p: string): void {
  fs.rmSync(p, { force: true });
  mkfifo(p, 0o600);
}

export interface FifoReader {
  /** Resolves at end-of-file: every writer (the shim, the process) closed its end. */
  done: Promise<void>;
  /** The shim holds its end now: drop our keeper so EOF can happen. */
  opened(): void;
  close(): void;
}

/** Read a FIFO, calling onData per chunk. `keep`: hold a write end until opened() (new tasks). */
export function readFifo(p: string, onData: (b: Buffer) => void, keep: boolean): FifoReader {
  const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  let keeper = keep ? fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK) : -1;
  const s = new net.Socket({ fd, readable: true, writable: false });
  const done = new Promise<void>((resolve) => {
    s.on('data', onData);
    s.on('end', () => resolve());
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  const drop = () => {
    if (keeper >= 0) fs.closeSync(keeper);
    keeper = -1;
  };
  return { done, opened: drop, close: () => (drop(), s.destroy()) };
}

/**
 * The write end of a stdin FIFO, opened read-write so the open never blocks and the pipe never
 * sees EOF until we close it (the process reads EOF only when we decide: CloseIO / stdin_once).
 */
export function writeFifo(p: string): net.Socket {
  const fd = fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  const s = new net.Socket({ fd, readable: false, writable: true });
  s.on('error', () => {});
  return s;
}
