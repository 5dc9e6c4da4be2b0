// POST /containers/{id}/attach (hijacked) and GET /containers/{id}/logs (chunked): the output of
// a container as a client sees it. Without a TTY both are multiplexed (8-byte frame headers,
// api/stdcopy.ts); with one, raw bytes. attach?logs=1 replays the json-file log first;
// attach?stream=1 then follows the live output until the container stops; attach?stdin=1 copies
// what the client sends into the container's stdin (StdinOnce: its end closes the stdin).
import type { Duplex, Writable } from 'node:stream';
import { frame } from '../api/stdcopy';
import { invalidParam } from '../errors';
import { readLogEntries, type LogEntry } from './jsonLog';
import type { ContainerService } from './service';
import type { StreamName } from './stdio';
import type { ContainerRecord } from './types';

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
}

/** Serve an attach on a hijacked connection; resolves when the attach is over. */
export async function attachContainer(svc: ContainerService, c: ContainerRecord, sock: Duplex, o: AttachOptions): Promise<void> {
  const tty = !!c.Config.Tty;
  const send = (stream: StreamName, d: Buffer) => {
    if (sock.destroyed || sock.writableEnded) return;
    if (stream === 'stdout' && !o.stdout) return;
    if (stream === 'stderr' && !o.stderr) return;
    sock.write(tty ? d : frame(stream, d));
  };
  if (o.logs) for (const e of readLogEntries(c.LogPath)) send(e.stream, Buffer.from(e.log));
  if (!o.stream) {
    sock.end();
    return;
  }
  svc.event(c, 'attach');
  const attached = svc.attachLive(c.Id, send);
  if (o.stdin && c.Config.OpenStdin) {
    sock.on('data', (d: Buffer) => svc.running.get(c.Id)?.io.writeStdin(d) ?? svc.pendingStdin(c.Id, d));
    sock.on('end', () => {
      if (c.Config.StdinOnce) void svc.closeStdin(c.Id);
    });
  } else {
    sock.on('data', () => {});
  }
  sock.on('error', () => {});
  await new Promise<void>((resolve) => {
    sock.on('close', () => resolve());
    void attached.then(() => {
      sock.end();
      resolve();
    });
  });
  attached.detach();
}

export interface LogsOptions {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  tail: number | 'all';
  since: number;
  until: number;
}

/** docker's since/until: unix seconds with an optional fraction ("1700000000.123456789"); 0 = unset. */
export function parseTimestamp(v: string | null, name: string): number {
  if (!v) return 0;
  if (!/^\d+(\.\d+)?$/.test(v)) throw invalidParam(`invalid value for "${name}": ${v}`);
  return Number(v) * 1000;
}

export function logsOptions(q: URLSearchParams): LogsOptions {
  const bool = (k: string) => ['1', 'true', 'True'].includes(q.get(k) ?? '');
  const tail = q.get('tail') ?? 'all';
  if (tail !== 'all' && !/^-?\d+$/.test(tail)) throw invalidParam(`invalid value for "tail": ${tail}`);
  const o: LogsOptions = { stdout: bool('stdout'), stderr: bool('stderr'), follow: bool('follow'), timestamps: bool('timestamps'), tail: tail === 'all' || Number(tail) < 0 ? 'all' : Number(tail), since: parseTimestamp(q.get('since'), 'since'), until: parseTimestamp(q.get('until'), 'until') };
  if (!o.stdout && !o.stderr) throw invalidParam('Bad parameters: you must choose at least one stream');
  return o;
}

export async function streamLogs(svc: ContainerService, c: ContainerRecord, out: Writable, o: LogsOptions, isClosed: () => boolean): Promise<void> {
  const tty = !!c.Config.Tty;
  const keep = (e: LogEntry) => {
    if ((e.stream === 'stdout' && !o.stdout) || (e.stream === 'stderr' && !o.stderr)) return false;
    const t = Date.parse(e.time);
    if (o.since && t < o.since) return false;
    if (o.until && t > o.until) return false;
    return true;
  };
  const write = (e: LogEntry) => {
    const text = o.timestamps ? `${e.time} ${e.log}` : e.log;
    const b = Buffer.from(text);
    out.write(tty ? b : frame(e.stream, b));
  };
  let entries = readLogEntries(c.LogPath).filter(keep);
  if (o.tail !== 'all') entries = o.tail === 0 ? [] : entries.slice(-o.tail);
  const seen = new Set(entries.map((e) => `${e.time}${e.stream}`));
  if (!o.follow || !c.State.Running || (o.until && o.until <= Date.now())) {
    for (const e of entries) write(e);
    return;
  }
  // follow: subscribe first, then write the history, skipping entries already written
  const r = svc.running.get(c.Id);
  if (!r) {
    for (const e of entries) write(e);
    return;
  }
  const queue: LogEntry[] = [];
  let flushing = true;
  const onEntry = (e: LogEntry) => {
    if (!keep(e) || seen.has(`${e.time}${e.stream}`)) return;
    if (flushing) queue.push(e);
    else write(e);
  };
  r.log.on('entry', onEntry);
  for (const e of entries) write(e);
  for (const e of queue.splice(0)) write(e);
  flushing = false;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (isClosed() || (o.until && Date.now() > o.until)) done();
    }, 200);
    const done = () => {
      clearInterval(timer);
      r.log.off('entry', onEntry);
      resolve();
    };
    r.log.once('close', done);
  });
}
