// Kubernetes' channel framing on top of websocket messages (apimachinery wsstream): every message
// starts with one byte naming the channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize for
// remotecommand; 2i data / 2i+1 error of the i-th port for port forwarding). In the base64
// subprotocols the byte is the ASCII digit ('0' + n) and the rest is base64 in a text message.
// v5.channel.k8s.io adds one control message, [255, n]: "channel n is closed" (a half-close, so a
// client can signal end of stdin, which plain websockets cannot express per channel).
import { Duplex } from 'node:stream';
import type { WebSocketConnection } from './connection';

export const CLOSE_CHANNEL_SIGNAL = 255;
const CHANNEL_HIGH_WATER = 1024 * 1024;

export class WsChannel extends Duplex {
  private remoteEnded = false;
  constructor(
    private readonly mux: ChannelMux,
    readonly id: number,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: CHANNEL_HIGH_WATER });
    this.on('error', () => {}); // failures surface as the connection closing, see SpdyStream
  }

  override _read(): void {
    this.mux.unblock(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.mux.send(this.id, chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.mux.sendClose(this.id);
    cb();
  }

  /** @internal */
  receive(data: Buffer): void {
    if (this.remoteEnded) return;
    if (!this.push(data)) this.mux.block(this);
  }

  /** @internal */
  receiveEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.push(null);
  }
}

export class ChannelMux {
  private readonly channels = new Map<number, WsChannel>();
  private readonly blocked = new Set<WsChannel>();

  constructor(
    readonly conn: WebSocketConnection,
    readonly o: { base64: boolean; closeSignal: boolean },
  ) {
    conn.on("message", (data: Buffer) => this.onMessage(data));
    conn.on('close', () => {
      for (const c of this.channels.values()) c.receiveEnd();
    });
  }

  channel(id: number): WsChannel {
    let c = this.channels.get(id);
    if (!c) {
      c = new WsChannel(this, id);
      this.channels.set(id, c);
    }
    return c;
  }

  send(id: number, data: Buffer, cb?: (err?: Error | null) => void): void {
    if (this.o.base64) this.conn.send(Buffer.concat([Buffer.from([0x30 + id]), Buffer.from(data.toString('base64'))]), false, cb);
    else this.conn.send(Buffer.concat([Buffer.from([id]), data]), true, cb);
  }

  /** v5 half-close of one channel; a no-op for protocols without the signal. */
  sendClose(id: number): void {
    if (this.o.closeSignal && !this.conn.isClosed) this.conn.send(Buffer.from([CLOSE_CHANNEL_SIGNAL, id]), true);
  }

  block(c: WsChannel): void {
    this.blocked.add(c);
    this.conn.socket.pause();
  }

  unblock(c: WsChannel): void {
    if (this.blocked.delete(c) && this.blocked.size === 0) this.conn.socket.resume();
  }

  private onMessage(data: Buffer): void {
    if (data.length === 0) return;
    if (this.o.closeSignal && data[0] === CLOSE_CHANNEL_SIGNAL) {
      if (data.length === 2) this.channels.get(data[1])?.receiveEnd();
      return;
    }
    if (this.o.base64) {
      const id = data[0] - 0x30;
      this.channels.get(id)?.receive(Buffer.from(data.subarray(1).toString(), 'base64'));
      return;
    }
    // Messages for channels the session did not open are dropped, as the kubelet does.
    this.channels.get(data[0])?.receive(data.subarray(1));
  }
}
