// RFC 6455 section 5.2 base framing:
//
//   byte 0: FIN(1) RSV1-3(3) opcode(4)      byte 1: MASK(1) payload length(7)
//   length 126 -> next 2 bytes are the length, 127 -> next 8 bytes
//   then a 4-byte masking key if MASK (every client-to-server frame must be masked, 5.3),
//   then the payload (XORed with the key, byte i with key[i % 4]).
import { randomBytes } from 'node:crypto';
import { StreamingError } from '../errors';

export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

export interface WsFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Largest message we reassemble; bigger ones close the connection with 1009 (message too big). */
export const MAX_MESSAGE = 64 * 1024 * 1024;

export function encodeFrame(opcode: number, payload: Buffer, o: { mask: boolean; fin?: boolean }): Buffer {
  const fin = o.fin ?? true;
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  const head = Buffer.alloc(2 + lenBytes + (o.mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (o.mask ? 0x80 : 0) | (len < 126 ? len : len <= 0xffff ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!o.mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + lenBytes);
  return Buffer.concat([head, applyMask(payload, key)]);
}

export function applyMask(data: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key[i & 3];
  return out;
}

/** Incremental frame reader. `expectMasked` enforces the direction rule of section 5.1. */
export class WsFrameParser {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly expectMasked: boolean) {}

  push(chunk: Buffer): WsFrame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: WsFrame[] = [];
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0];
      const b1 = this.buf[1];
      if (b0 & 0x70) throw new StreamingError('websocket: reserved bits set without a negotiated extension', 1002);
      const masked = (b1 & 0x80) !== 0;
      if (masked !== this.expectMasked) {
        throw new StreamingError(this.expectMasked ? 'websocket: client frame is not masked' : 'websocket: server frame is masked', 1002);
      }
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        const big = this.buf.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE)) throw new StreamingError('websocket: frame too large', 1009);
        len = Number(big);
        off = 10;
      }
      const opcode = b0 & 0x0f;
      if (opcode >= 0x8 && (len > 125 || !(b0 & 0x80))) throw new StreamingError('websocket: invalid control frame', 1002);
      const total = off + (masked ? 4 : 0) + len;
      if (this.buf.length < total) break;
      let payload = this.buf.subarray(off + (masked ? 4 : 0), total);
      payload = masked ? applyMask(payload, this.buf.subarray(off, off + 4)) : Buffer.from(payload);
      frames.push({ fin: (b0 & 0x80) !== 0, opcode, payload });
      this.buf = this.buf.subarray(total);
    }
    return frames;
  }
}
