// exec/attach over a websocket: one connection, channel-prefixed messages (see websocket/channels.ts).
// Like the kubelet, the server first sends an empty message on the lowest channel it will write to,
// so the client knows the session is live before any output exists.
import { describeWebsocketProtocol } from '../protocols';
import { JsonObjectSplitter, TerminalSizeQueue, parseTerminalSize } from '../resize';
import { encodeOutcome } from '../status';
import type { AttachRequest, ExecRequest, StreamingRuntime } from '../types';
import { ChannelMux } from '../websocket/channels';
import type { WebSocketConnection } from '../websocket/connection';
import { runRemoteCommand } from './run';

export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 } as const;

export async function serveRemoteCommandWebsocket(o: {
  conn: WebSocketConnection;
  kind: 'exec' | 'attach';
  req: ExecRequest | AttachRequest;
  runtime: StreamingRuntime;
}): Promise<void> {
  const p = describeWebsocketProtocol(o.conn.protocol);
  const mux = new ChannelMux(o.conn, { base64: p.base64, closeSignal: p.version >= 5 });
  const aborted = new AbortController();
  o.conn.on('close', () => aborted.abort());
  const stdin = o.req.stdin ? mux.channel(Channel.stdin) : undefined;
  const stdout = o.req.stdout ? mux.channel(Channel.stdout) : undefined;
  const stderr = o.req.stderr && !o.req.tty ? mux.channel(Channel.stderr) : undefined;
  const error = mux.channel(Channel.error);
  let resize: TerminalSizeQueue | undefined;
  if (o.req.tty) {
    resize = new TerminalSizeQueue();
    const splitter = new JsonObjectSplitter();
    mux.channel(Channel.resize).on('data', (c: Buffer) =>
      splitter.feed(c, (v) => {
        const size = parseTerminalSize(v);
        if (size) resize!.push(size);
      }),
    );
  }
  mux.send(stdout ? Channel.stdout : stderr ? Channel.stderr : Channel.error, Buffer.alloc(0));

  const outcome = await runRemoteCommand(o.runtime, o.kind, o.req, { stdin, stdout, stderr, resize, tty: !!o.req.tty, signal: aborted.signal });
  if (o.conn.isClosed) return;
  const message = encodeOutcome(p.version, outcome);
  if (message.length > 0) await new Promise<void>((resolve) => error.write(message, () => resolve()));
  o.conn.close(1000);
}
