// A SPDY/3.1 session over one upgraded TCP connection: many bidirectional streams, each opened
// with SYN_STREAM (carrying headers such as streamType), accepted with SYN_REPLY, fed with DATA,
// half-closed with the FIN flag and aborted with RST_STREAM. The client opens odd stream ids, the
// server even ones (draft 3.1, section 2.3.2).
//
// Flow control: SPDY/3.1 defines per-stream and per-session windows (WINDOW_UPDATE), but the peer
// we must interoperate with, moby/spdystream (used by client-go, kubelet, crictl), neither sends
// nor honours them. Enforcing windows would stall against it, so, like spdystream, we ignore
// WINDOW_UPDATE and apply backpressure the TCP way instead: when a stream's reader falls behind we
// stop reading the socket until it catches up.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { StreamingError } from '../errors';
import {
  FrameParser,
  RstStatus,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynReply,
  encodeSynStream,
  type SpdyFrame,
} from './frames';
import { HeaderCompressor, HeaderDecompressor, type HeaderMap } from './headerBlock';

/** Payload cap per DATA frame, so one big write cannot starve the other streams. */
const MAX_DATA_CHUNK = 32 * 1024;
/** How long createStream waits for the peer's SYN_REPLY (client-go: 30s). */
const REPLY_TIMEOUT_MS = 30_000;
/** Per-stream read buffer before we stop reading the socket. */
const STREAM_HIGH_WATER = 1024 * 1024;

export class SpdyStream extends Duplex {
  private remoteClosed = false;
  private localClosed = false;
  /** No frame may be sent any more (peer reset the stream, or the session is gone). */
  private detached = false;
  resetByPeer = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    /** Headers of the SYN_STREAM (peer-initiated) or of the SYN_REPLY (locally initiated). */
    public headers: HeaderMap,
  ) {
    super({ allowHalfOpen: true, readableHighWaterMark: STREAM_HIGH_WATER });
    // A stream's failure is reported through `abortReason` and 'close' without 'end'; an 'error'
    // event nobody listens to would otherwise crash the whole server for one broken client.
    this.on('error', () => {});
  }

  /** Why the stream ended abruptly (peer reset, connection lost), if it did. */
  abortReason?: string;

  /** A header of the opening frame, e.g. stream.header('streamType'). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  /** Abort the stream (RST_STREAM); the peer sees the stream reset, not a clean end. */
  reset(status: number = RstStatus.CANCEL): void {
    if (this.detached || this.destroyed) return;
    this.session.sendRst(this.id, status);
    this.abort('stream reset locally', false);
  }

  override _read(): void {
    this.session.unblock(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Writes after the peer went away are dropped, like bytes written to a pipe nobody reads any
    // more would be; the writer learns about it from the session/stream ending, not from an error
    // that would destroy the data still waiting to be read on this stream.
    if (this.detached) return cb();
    this.session.sendData(this.id, chunk, false, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.detached) return cb();
    this.localClosed = true;
    this.session.sendData(this.id, Buffer.alloc(0), true, (err) => {
      this.maybeFinished();
      cb(err);
    });
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    if (!this.detached && !(this.localClosed && this.remoteClosed)) this.session.sendRst(this.id, RstStatus.CANCEL);
    this.session.forget(this);
    cb(err);
  }

  /** @internal DATA arrived for this stream. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) {
      this.session.sendRst(this.id, RstStatus.STREAM_ALREADY_CLOSED);
      return;
    }
    if (data.length > 0 && !this.push(data)) this.session.block(this);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
      this.maybeFinished();
    }
  }

  /**
   * @internal The peer reset the stream, or the connection went away. What already arrived stays
   * readable and then ends (EOF); `abortReason` tells a clean end from this one.
   */
  abort(reason: string, byPeer: boolean): void {
    this.resetByPeer ||= byPeer && !this.remoteClosed;
    if (!this.remoteClosed || !this.localClosed) this.abortReason ??= reason;
    this.detached = true;
    this.localClosed = true;
    if (!this.remoteClosed) {
      this.remoteClosed = true;
      this.push(null);
    }
    this.session.forget(this);
  }

  private maybeFinished(): void {
    if (this.localClosed && this.remoteClosed) this.session.forget(this);
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdySession extends EventEmitter {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly pendingReplies = new Map<number, { resolve: (s: SpdyStream) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly blocked = new Set<SpdyStream>();
  private readonly pings = new Map<number, () => void>();
  private nextStreamId: number;
  private nextPingId: number;
  private lastPeerStreamId = 0;
  private goneAway = false;
  private closed = false;
  // Outgoing frames in order; frames with header blocks are promises until zlib has compressed them.
  private readonly outQueue: Array<{ frame: Buffer | Promise<Buffer>; cb?: (err?: Error | null) => void }> = [];
  private draining = false;
  private endAfterFlush = false;
  // Incoming frames in order; a header block must be inflated before later frames are handled.
  private readonly inbound: SpdyFrame[] = [];
  private processing = false;
  private shutdownAfterInbound?: string;

  constructor(
    readonly socket: Socket,
    readonly role: 'client' | 'server',
    head?: Buffer,
  ) {
    super();
    this.nextStreamId = role === 'client' ? 1 : 2;
    this.nextPingId = role === 'client' ? 1 : 2;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Frames already received are still delivered after the peer hangs up (a final status, say).
    socket.on('end', () => this.shutdownWhenIdle('connection closed by peer'));
    socket.on('close', () => this.shutdownWhenIdle('connection closed'));
    socket.on('error', (e) => this.shutdownWhenIdle(`connection error: ${e.message}`));
    if (head && head.length > 0) queueMicrotask(() => this.onData(head));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Open a stream and wait for the peer's SYN_REPLY. */
  createStream(headers: Record<string, string | string[]>): Promise<SpdyStream> {
    if (this.closed || this.goneAway) return Promise.reject(new StreamingError('spdy: session is closed'));
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const map: HeaderMap = {};
    for (const [k, v] of Object.entries(headers)) map[k.toLowerCase()] = Array.isArray(v) ? v : [v];
    return new Promise<SpdyStream>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReplies.delete(id);
        reject(new StreamingError(`spdy: timed out waiting for the reply to stream ${id}`));
      }, REPLY_TIMEOUT_MS);
      this.pendingReplies.set(id, { resolve, reject, timer });
      this.write(this.compressor.compress(map).then((block) => encodeSynStream(id, block)));
    });
  }

  /** Round-trip a PING (draft 3.1 section 2.6.5); resolves with the time it took in ms. */
  ping(timeoutMs = 10_000): Promise<number> {
    const id = this.nextPingId;
    this.nextPingId += 2;
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pings.delete(id);
        reject(new StreamingError('spdy: ping timed out'));
      }, timeoutMs);
      this.pings.set(id, () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
      this.write(encodePing(id));
    });
  }

  /** Say goodbye (GOAWAY) and close the TCP connection once everything written has been flushed. */
  close(): void {
    if (this.closed) return;
    if (!this.socket.destroyed) {
      this.write(encodeGoAway(this.lastPeerStreamId, 0));
      this.endAfterFlush = true;
      void this.drainOut();
    }
    this.shutdown('');
  }

  /**
   * @internal Data for a connection that can no longer carry it (closed, or our sending half shut
   * because the peer hung up) is dropped without an error: see SpdyStream._write.
   */
  sendData(id: number, data: Buffer, fin: boolean, cb: (err?: Error | null) => void): void {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return cb();
    if (data.length === 0) return this.write(encodeData(id, data, fin), cb);
    for (let off = 0; off < data.length; off += MAX_DATA_CHUNK) {
      const part = data.subarray(off, off + MAX_DATA_CHUNK);
      const last = off + MAX_DATA_CHUNK >= data.length;
      this.write(encodeData(id, part, fin && last), last ? cb : undefined);
    }
  }

  /** @internal */
  sendRst(id: number, status: number): void {
    if (!this.closed && !this.socket.destroyed) this.write(encodeRstStream(id, status));
  }

  /** @internal a stream's buffer is full: stop reading the socket until it drains */
  block(s: SpdyStream): void {
    this.blocked.add(s);
    this.socket.pause();
  }

  /** @internal */
  unblock(s: SpdyStream): void {
    if (this.blocked.delete(s) && this.blocked.size === 0 && !this.closed) this.socket.resume();
  }

  /** @internal */
  forget(s: SpdyStream): void {
    this.streams.delete(s.id);
    this.unblock(s);
  }

  private write(frame: Buffer | Promise<Buffer>, cb?: (err?: Error | null) => void): void {
    if (this.outQueue.length === 0 && !this.draining && Buffer.isBuffer(frame)) return this.rawWrite(frame, cb);
    this.outQueue.push({ frame, cb });
    void this.drainOut();
  }

  private async drainOut(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    while (this.outQueue.length > 0) {
      const item = this.outQueue[0];
      let frame: Buffer;
      try {
        frame = await item.frame;
      } catch (e) {
        this.outQueue.shift();
        item.cb?.(e as Error);
        this.protocolError(e as Error);
        continue;
      }
      this.outQueue.shift();
      this.rawWrite(frame, item.cb);
    }
    this.draining = false;
    if (this.endAfterFlush && !this.socket.destroyed) this.socket.end();
    if (this.closed) this.compressor.close();
  }

  private rawWrite(frame: Buffer, cb?: (err?: Error | null) => void): void {
    if (this.socket.destroyed || !this.socket.writable) return cb?.();
    // A write error shows up as the socket's 'error'/'close' (which shut the session down); the
    // stream that wrote must not be destroyed by it with unread data inside.
    this.socket.write(frame, () => cb?.());
  }

  private onData(chunk: Buffer): void {
    try {
      this.inbound.push(...this.parser.push(chunk));
    } catch (e) {
      return this.protocolError(e as Error);
    }
    void this.processInbound();
  }

  private async processInbound(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    while (this.inbound.length > 0) {
      try {
        await this.handle(this.inbound.shift()!);
      } catch (e) {
        this.inbound.length = 0;
        this.protocolError(e as Error);
      }
    }
    this.processing = false;
    if (this.shutdownAfterInbound !== undefined) this.shutdown(this.shutdownAfterInbound);
    if (this.closed) this.decompressor.close();
  }

  /** A framing or compression error poisons the shared zlib context: the session cannot continue. */
  private protocolError(e: Error): void {
    if (!this.socket.destroyed) this.socket.write(encodeGoAway(this.lastPeerStreamId, 1 /* PROTOCOL_ERROR */));
    this.socket.destroy();
    this.shutdown(`spdy protocol error: ${e.message}`);
  }

  private shutdownWhenIdle(reason: string): void {
    if (this.processing || this.inbound.length > 0) this.shutdownAfterInbound ??= reason;
    else this.shutdown(reason);
  }

  private async handle(f: SpdyFrame): Promise<void> {
    switch (f.type) {
      case 'syn_stream': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const peerParity = this.role === 'server' ? 1 : 0;
        if (f.streamId === 0 || f.streamId % 2 !== peerParity || f.streamId <= this.lastPeerStreamId) {
          this.sendRst(f.streamId, RstStatus.PROTOCOL_ERROR);
          return;
        }
        this.lastPeerStreamId = f.streamId;
        if (this.goneAway) {
          this.sendRst(f.streamId, RstStatus.REFUSED_STREAM);
          return;
        }
        const s = new SpdyStream(this, f.streamId, headers);
        this.streams.set(f.streamId, s);
        // Reply first (with no headers, as the kubelet does), then hand the stream over: the
        // client blocks in CreateStream until this reply arrives.
        this.write(this.compressor.compress({}).then((block) => encodeSynReply(f.streamId, block)));
        if (f.fin) s.receive(Buffer.alloc(0), true);
        this.emit('stream', s);
        return;
      }
      case 'syn_reply': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const pending = this.pendingReplies.get(f.streamId);
        if (!pending) {
          this.sendRst(f.streamId, RstStatus.STREAM_IN_USE);
          return;
        }
        this.pendingReplies.delete(f.streamId);
        clearTimeout(pending.timer);
        const s = new SpdyStream(this, f.streamId, headers);
        this.streams.set(f.streamId, s);
        pending.resolve(s);
        if (f.fin) s.receive(Buffer.alloc(0), true);
        return;
      }
      case 'headers': {
        const headers = await this.decompressor.decompress(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (s) {
          Object.assign(s.headers, headers);
          if (f.fin) s.receive(Buffer.alloc(0), true);
        }
        return;
      }
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s) {
          // Data for a stream we already finished or never had (section 2.2.2).
          if (!this.pendingReplies.has(f.streamId)) this.sendRst(f.streamId, RstStatus.INVALID_STREAM);
          return;
        }
        s.receive(f.data, f.fin);
        return;
      }
      case 'rst_stream': {
        const pending = this.pendingReplies.get(f.streamId);
        if (pending) {
          this.pendingReplies.delete(f.streamId);
          clearTimeout(pending.timer);
          pending.reject(new StreamingError(`spdy: stream ${f.streamId} refused by peer (status ${f.status})`));
        }
        this.streams.get(f.streamId)?.abort(`stream reset by peer (status ${f.status})`, true);
        return;
      }
      case 'ping': {
        const mine = this.role === 'client' ? f.id % 2 === 1 : f.id % 2 === 0;
        if (mine) {
          this.pings.get(f.id)?.();
          this.pings.delete(f.id);
        } else this.write(encodePing(f.id)); // echo the peer's ping unchanged
        return;
      }
      case 'goaway':
        this.goneAway = true;
        if (this.streams.size === 0) this.close();
        return;
      case 'settings':
      case 'window_update':
      case 'unknown':
        return; // see the flow-control note at the top of this file
    }
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pendingReplies.values()) {
      clearTimeout(p.timer);
      p.reject(new StreamingError(`spdy: ${reason || 'session closed'}`));
    }
    this.pendingReplies.clear();
    // Streams whose data fully arrived keep their buffered bytes; the rest end abruptly.
    for (const s of [...this.streams.values()]) s.abort(reason || 'session closed', false);
    // zlib contexts go once nothing can need them any more (an in-flight block would be lost)
    if (!this.processing) this.decompressor.close();
    if (!this.draining && this.outQueue.length === 0) this.compressor.close();
    this.streams.clear();
    this.emit('close');
  }
}
