// Wiring a hijacked attach/exec connection to this process's stdio, as the docker CLI does
// (cli/command/container/hijack.go): with a TTY the bytes are raw both ways and the local
// terminal goes into raw mode; without one the output is demultiplexed into stdout and stderr.
// When stdin ends (or there is none) the client half-closes its side so the daemon sees EOF on
// the container's stdin while the output keeps flowing.
import { spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import type { DockerClient, Hijacked } from './client';
import type { Io } from './command';
import { StdioDemuxer } from './stream';

export interface AttachOptions {
  tty: boolean;
  /** Forward our stdin to the connection. */
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

/** Resolves when the daemon closes the output side of the connection. */
export function pumpStreams(h: Hijacked, io: Io, o: AttachOptions): { done: Promise<void>; close(): void } {
  const sock: Duplex = h.socket;
  // The container's (or exec's) Tty setting decides the framing: dockerd before API 1.42 labels
  // every hijacked stream raw-stream, framed or not.
  const tty = o.tty && !h.contentType.includes('multiplexed-stream');
  const demux = new StdioDemuxer((stream, payload) => {
    if (stream === 2) {
      if (o.stderr) io.stderr.write(payload);
    } else if (o.stdout) io.stdout.write(payload);
  });
  const onData = (chunk: Buffer) => {
    if (tty) {
      if (o.stdout) io.stdout.write(chunk);
    } else demux.push(chunk);
  };
  if (h.head.length) onData(h.head);
  const done = new Promise<void>((resolve) => {
    sock.on('data', onData);
    sock.on('end', () => resolve());
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
  });
  let stdinListener: ((c: Buffer) => void) | undefined;
  if (o.stdin) {
    stdinListener = (c: Buffer) => sock.write(c);
    io.stdin.on('data', stdinListener);
    io.stdin.once('end', () => sock.end());
    io.stdin.resume();
  } else sock.end();
  return {
    done,
    close() {
      if (stdinListener) io.stdin.off('data', stdinListener);
      io.stdin.pause();
      sock.destroy();
    },
  };
}

/** Raw mode for the local terminal while a TTY session runs; returns the restore function. */
export function rawTerminal(io: Io): () => void {
  const stdin = io.stdin;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') return () => {};
  stdin.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR), so the remote TTY's "\r\n" would reach
  // the screen as "\r\r\n"; docker's raw mode (moby/term MakeRaw) clears OPOST as well.
  const opost = spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] }).status === 0;
  return () => {
    if (opost) spawnSync('stty', ['opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    stdin.setRawMode(false);
  };
}

/** Keep the remote TTY the size of ours: now and on every SIGWINCH (POST .../resize?h=&w=). */
export function followResize(client: DockerClient, resizePath: string, io: Io): () => void {
  const out = io.stdout;
  if (!out.isTTY) return () => {};
  const send = () => {
    const h = out.rows;
    const w = out.columns;
    if (!h || !w) return;
    client.request('POST', resizePath, { query: { h, w } }).then(
      (r) => r.resume(),
      () => {},
    );
  };
  send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}
