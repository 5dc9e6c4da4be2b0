// ttrpc framing (github.com/containerd/ttrpc, channel.go): every message on the socket is
//   uint32 big-endian  payload length
//   uint32 big-endian  stream id (client calls use odd ids: 1, 3, 5, ...)
//   uint8              type: 1 request, 2 response, 3 data (streams, ttrpc >= 1.2)
//   uint8              flags
// followed by the payload, a protobuf ttrpc.Request or ttrpc.Response. No handshake, no
// compression; many calls share one connection and answers may come back in any order.

export const HEADER_LENGTH = 10;
/** Largest payload a peer accepts (4 MiB); bigger messages are refused with ResourceExhausted. */
export const MAX_PAYLOAD = 4 << 20;

export const enum FrameType {
  Request = 1,
  Response = 2,
  Data = 3,
}

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Uint8Array;
}

export function encodeFrame(streamId: number, type: number, payload: Uint8Array, flags = 0): Buffer {
  const b = Buffer.allocUnsafe(HEADER_LENGTH + payload.length);
  b.writeUInt32BE(payload.length, 0);
  b.writeUInt32BE(streamId >>> 0, 4);
  b.writeUInt8(type, 8);
  b.writeUInt8(flags, 9);
  b.set(payload, HEADER_LENGTH);
  return b;
}

/**
 * Turns a byte stream into frames, whatever the chunking. An oversized frame is skipped (its
 * bytes discarded as they arrive) and reported through `onOversize`, so the connection survives.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private discard = 0;

  constructor(
    private readonly onFrame: (f: Frame) => void,
    private readonly onOversize: (streamId: number, length: number) => void = () => undefined,
  ) {}

  push(chunk: Buffer): void {
    if (this.discard > 0) {
      const n = Math.min(this.discard, chunk.length);
      this.discard -= n;
      chunk = chunk.subarray(n);
    }
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    for (;;) {
      if (this.pendingLength < HEADER_LENGTH) return;
      const head = this.peek(HEADER_LENGTH);
      const length = head.readUInt32BE(0);
      const streamId = head.readUInt32BE(4);
      if (length > MAX_PAYLOAD) {
        this.take(HEADER_LENGTH);
        this.onOversize(streamId, length);
        const n = Math.min(length, this.pendingLength);
        this.take(n);
        this.discard = length - n;
        continue;
      }
      if (this.pendingLength < HEADER_LENGTH + length) return;
      const frame = this.take(HEADER_LENGTH + length);
      this.onFrame({ streamId, type: frame.readUInt8(8), flags: frame.readUInt8(9), payload: frame.subarray(HEADER_LENGTH) });
    }
  }

  private peek(n: number): Buffer {
    if (this.pending[0].length >= n) return this.pending[0];
    const all = Buffer.concat(this.pending);
    this.pending = [all];
    return all;
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    return out;
  }
}
