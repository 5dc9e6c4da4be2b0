// exec/attach over SPDY (remotecommand v2..v4): the client opens one SPDY stream per stdio
// stream, naming it in the `streamType` header, in the order error, stdin, stdout, stderr, resize.
// The server waits until every stream the CRI request asked for exists, runs the command, then
// sends the outcome on the error stream and closes the session.
import type { Socket } from 'node:net';
import { StreamingError } from '../errors';
import { spdyVersion } from '../protocols';
import { JsonObjectSplitter, TerminalSizeQueue, parseTerminalSize } from '../resize';
import { SpdySession, type SpdyStream } from '../spdy/session';
import { encodeOutcome } from '../status';
import type { AttachRequest, ExecRequest, StreamingRuntime } from '../types';
import { runRemoteCommand } from './run';

export const STREAM_TYPE_HEADER = 'streamType';
type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';
const STREAM_TYPES: readonly string[] = ['error', 'stdin', 'stdout', 'stderr', 'resize'];

/** The streams a client must open for this request (kubelet: remotecommand/httpstream.go). */
export function expectedStreams(req: ExecRequest | AttachRequest, version: number): Set<StreamType> {
  const want = new Set<StreamType>(['error']);
  if (req.stdin) want.add('stdin');
  if (req.stdout) want.add('stdout');
  if (req.stderr && !req.tty) want.add('stderr'); // a terminal merges stderr into stdout
  if (req.tty && version >= 3) want.add('resize');
  return want;
}

export async function serveRemoteCommandSpdy(o: {
  socket: Socket;
  head: Buffer;
  protocol: string;
  kind: 'exec' | 'attach';
  req: ExecRequest | AttachRequest;
  runtime: StreamingRuntime;
  streamCreationTimeoutMs: number;
  log: (msg: string) => void;
}): Promise<void> {
  const version = spdyVersion(o.protocol);
  const session = new SpdySession(o.socket, 'server', o.head);
  const want = expectedStreams(o.req, version);
  const got = new Map<StreamType, SpdyStream>();
  const aborted = new AbortController();
  session.on('close', () => aborted.abort());

  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StreamingError(`timed out waiting for client to create streams (have ${[...got.keys()].join(',') || 'none'}, want ${[...want].join(',')})`)), o.streamCreationTimeoutMs);
    session.on('close', () => {
      clearTimeout(timer);
      reject(new StreamingError('connection closed before all streams were created'));
    });
    session.on('stream', (s: SpdyStream) => {
      const type = s.header(STREAM_TYPE_HEADER);
      if (!type || !STREAM_TYPES.includes(type)) {
        o.log(`streaming: ${o.kind}: unexpected stream type ${JSON.stringify(type)}`);
        s.reset();
        return;
      }
      if (!want.has(type as StreamType)) {
        // A stream the request did not ask for (e.g. stdin when the CRI request said stdin=false):
        // accept it, discard what arrives (an unread stream would stall the whole session).
        s.resume();
        s.end();
        return;
      }
      got.set(type as StreamType, s);
      if (got.size === want.size) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  try {
    await ready;
  } catch (e) {
    o.log(`streaming: ${o.kind}: ${(e as Error).message}`);
    const err = got.get('error');
    if (err) err.end(encodeOutcome(version, { error: (e as Error).message }));
    setTimeout(() => session.close(), 100).unref();
    return;
  }

  let resize: TerminalSizeQueue | undefined;
  const resizeStream = got.get('resize');
  if (o.req.tty) {
    resize = new TerminalSizeQueue();
    const splitter = new JsonObjectSplitter();
    resizeStream?.on('data', (c: Buffer) =>
      splitter.feed(c, (v) => {
        const size = parseTerminalSize(v);
        if (size) resize!.push(size);
      }),
    );
  }
  const outcome = await runRemoteCommand(o.runtime, o.kind, o.req, {
    stdin: got.get('stdin'),
    stdout: got.get('stdout'),
    stderr: got.get('stderr'),
    resize,
    tty: !!o.req.tty,
    signal: aborted.signal,
  });
  const errorStream = got.get('error')!;
  if (!session.isClosed) {
    await new Promise<void>((resolve) => errorStream.end(encodeOutcome(version, outcome), () => resolve()));
    session.close();
  }
}
