// exec/attach clients: what `crictl exec -it` / `kubectl exec` do with the URL from the CRI.
// They return the remote exit code (0 for attach unless the server reports otherwise) and throw a
// StreamingError when the server reports a failure that is not an exit code.
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { StreamingError } from '../errors';
import { STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V5, describeWebsocketProtocol, REMOTECOMMAND_PROTOCOLS_SPDY, spdyVersion } from '../protocols';
import { onResize } from '../resize';
import { SpdySession } from '../spdy/session';
import { decodeOutcome } from '../status';
import type { ExecClientOptions, TerminalSize } from '../types';
import { ChannelMux } from '../websocket/channels';
import { WebSocketConnection } from '../websocket/connection';
import { dialUpgrade } from './dial';

export function execClient(url: string, o: ExecClientOptions): Promise<number> {
  return remoteCommandClient(url, o);
}

export function attachClient(url: string, o: ExecClientOptions): Promise<number> {
  return remoteCommandClient(url, o);
}

const resizeMessage = (s: TerminalSize) => Buffer.from(JSON.stringify({ Width: s.width, Height: s.height }) + '\n');

async function remoteCommandClient(url: string, o: ExecClientOptions): Promise<number> {
  return (o.protocol ?? 'spdy') === 'spdy' ? spdyClient(url, o) : websocketClient(url, o);
}

/** Copy remote output into a caller's stream without ever ending the caller's stream (it may be process.stdout). */
function drainInto(from: Readable, to: Writable | undefined): Promise<void> {
  if (to) from.pipe(to, { end: false });
  else from.resume();
  return new Promise((resolve) => {
    from.once('end', resolve);
    from.once('close', resolve);
  });
}

function feedStdin(stdin: NodeJS.ReadableStream | undefined, to: Writable | undefined): () => void {
  if (!stdin || !to) return () => {};
  const input = stdin as Readable;
  input.pipe(to);
  return () => {
    input.unpipe(to);
    // Leave the caller's stream as we found it: paused, so the process can exit.
    input.pause();
  };
}

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
  });
  return Buffer.concat(chunks);
}

async function spdyClient(url: string, o: ExecClientOptions): Promise<number> {
  const { socket, head, protocol } = await dialUpgrade(url, 'spdy', REMOTECOMMAND_PROTOCOLS_SPDY);
  const version = spdyVersion(protocol);
  const session = new SpdySession(socket, 'client', head);
  let stopResize = () => {};
  let stopStdin = () => {};
  try {
    // client-go's order: error first, then stdin, stdout, stderr (no stderr with a tty), resize.
    const error = await session.createStream({ streamType: 'error' });
    error.end(); // the client never writes to the error stream
    const stdin = o.stdin ? await session.createStream({ streamType: 'stdin' }) : undefined;
    const stdout = o.stdout ? await session.createStream({ streamType: 'stdout' }) : undefined;
    const stderr = o.stderr && !o.tty ? await session.createStream({ streamType: 'stderr' }) : undefined;
    const resize = o.tty && version >= 3 ? await session.createStream({ streamType: 'resize' }) : undefined;
    const errorText = readAll(error);
    for (const s of [stdout, stderr]) s?.end(); // output streams only flow server -> client
    if (resize) stopResize = onResize(o.resize, (size) => resize.write(resizeMessage(size)));
    stopStdin = feedStdin(o.stdin, stdin);
    const copies: Promise<void>[] = [];
    if (stdout) copies.push(drainInto(stdout, o.stdout as Writable | undefined));
    if (stderr) copies.push(drainInto(stderr, o.stderr as Writable | undefined));
    await Promise.all(copies);
    const message = await errorText;
    if (message.length === 0 && error.abortReason && !error.readableEnded) throw new StreamingError(`connection lost before the exit status arrived: ${error.abortReason}`);
    return decodeOutcome(version, message);
  } finally {
    stopResize();
    stopStdin();
    session.close();
  }
}

async function websocketClient(url: string, o: ExecClientOptions): Promise<number> {
  const { socket, head, protocol } = await dialUpgrade(url, 'websocket', [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4]);
  const p = describeWebsocketProtocol(protocol);
  const conn = new WebSocketConnection(socket, 'client', protocol, head);
  const closed = once(conn, 'close');
  const mux = new ChannelMux(conn, { base64: p.base64, closeSignal: p.version >= 5 });
  const stdout = mux.channel(1);
  const stderr = mux.channel(2);
  const error = mux.channel(3);
  const errorText = readAll(error);
  if (o.stdout) stdout.pipe(o.stdout as Writable, { end: false });
  else stdout.resume();
  if (o.stderr) stderr.pipe(o.stderr as Writable, { end: false });
  else stderr.resume();
  const stopResize = o.tty ? onResize(o.resize, (size) => mux.send(4, resizeMessage(size))) : () => {};
  // stdin: on v5 its end reaches the process as EOF (the CLOSE signal); on v4 it cannot, by design.
  const stopStdin = feedStdin(o.stdin, o.stdin ? mux.channel(0) : undefined);
  try {
    await closed;
    const message = await errorText;
    if (message.length === 0 && conn.peerCloseCode === undefined) throw new StreamingError('connection lost before the exit status arrived');
    return decodeOutcome(p.version, message);
  } finally {
    stopResize();
    stopStdin();
    if (!conn.isClosed) conn.close();
  }
}
