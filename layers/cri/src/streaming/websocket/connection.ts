// A websocket connection after the handshake: reassembles fragmented messages, answers pings,
// and runs the closing handshake (section 7). Messages are delivered as 'message' (data, isBinary).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { StreamingError } from '../errors';
import { MAX_MESSAGE, Opcode, WsFrameParser, encodeFrame } from './frames';

export class WebSocketConnection extends EventEmitter {
  private readonly parser: WsFrameParser;
  private fragments: Buffer[] = [];
  private fragmentOpcode = 0;
  private fragmentSize = 0;
  private closeSent = false;
  private closed = false;
  /** Close code the peer sent (1005 when none), once it did. */
  peerCloseCode?: number;

  constructor(
    readonly socket: Socket,
    readonly role: 'client' | 'server',
    readonly protocol: string,
    head?: Buffer,
  ) {
    super();
    // Servers read masked frames, clients unmasked ones (section 5.1).
    this.parser = new WsFrameParser(role === 'server');
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', () => this.finish());
    if (head && head.length > 0) queueMicrotask(() => this.onData(head));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(data: Buffer, binary = true, cb?: (err?: Error | null) => void): void {
    if (this.closeSent || this.socket.destroyed) {
      cb?.(new StreamingError('websocket: connection is closed'));
      return;
    }
    this.socket.write(encodeFrame(binary ? Opcode.BINARY : Opcode.TEXT, data, { mask: this.role === 'client' }), cb);
  }

  /** Start (or answer) the closing handshake; the TCP connection ends after our close frame. */
  close(code = 1000, reason = ''): void {
    if (this.closeSent || this.socket.destroyed) return this.finish();
    this.closeSent = true;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2);
    this.socket.write(encodeFrame(Opcode.CLOSE, body, { mask: this.role === 'client' }));
    // The server closes the TCP connection first (section 7.1.1); a client waits a moment for it.
    if (this.role === 'server') this.socket.end();
    else setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private onData(chunk: Buffer): void {
    try {
      for (const f of this.parser.push(chunk)) this.onFrame(f.fin, f.opcode, f.payload);
    } catch (e) {
      const code = e instanceof StreamingError && e.status >= 1000 ? e.status : 1002;
      this.close(code, (e as Error).message.slice(0, 100));
      this.socket.destroy();
      this.finish();
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case Opcode.PING:
        if (!this.closeSent) this.socket.write(encodeFrame(Opcode.PONG, payload, { mask: this.role === 'client' }));
        return;
      case Opcode.PONG:
        this.emit('pong', payload);
        return;
      case Opcode.CLOSE:
        this.peerCloseCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (!this.closeSent) this.close(payload.length >= 2 ? this.peerCloseCode : 1000);
        else this.socket.end();
        this.finish();
        return;
      case Opcode.TEXT:
      case Opcode.BINARY:
        if (this.fragments.length > 0) throw new StreamingError('websocket: new message inside a fragmented one', 1002);
        if (fin) return void this.emit('message', payload, opcode === Opcode.BINARY);
        this.fragmentOpcode = opcode;
        this.fragments = [payload];
        this.fragmentSize = payload.length;
        return;
      case Opcode.CONTINUATION: {
        if (this.fragments.length === 0) throw new StreamingError('websocket: continuation without a message', 1002);
        this.fragments.push(payload);
        this.fragmentSize += payload.length;
        if (this.fragmentSize > MAX_MESSAGE) throw new StreamingError('websocket: message too big', 1009);
        if (!fin) return;
        const data = Buffer.concat(this.fragments);
        this.fragments = [];
        this.emit('message', data, this.fragmentOpcode === Opcode.BINARY);
        return;
      }
      default:
        throw new StreamingError(`websocket: unknown opcode ${opcode}`, 1002);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', this.peerCloseCode ?? 1006);
  }
}
