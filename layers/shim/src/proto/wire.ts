// The protobuf wire format (protobuf.dev/programming-guides/encoding), the bytes under ttrpc and
// gRPC. A message is a sequence of fields; each starts with a key varint = (field number << 3) |
// wire type:
//   0 VARINT  int32/int64/uint32/uint64/bool/enum (7 bits per byte, low group first, high bit =
//             "more"); sint64 is zigzag-encoded first so that small negatives stay short;
//   1 I64     fixed64/double, 8 bytes little-endian;
//   2 LEN     string/bytes/embedded message/packed repeated scalars: a varint length, then bytes;
//   5 I32     fixed32/float, 4 bytes little-endian.
// 64-bit values travel as BigInt here so that nothing is lost on the wire.

export const VARINT = 0;
export const I64 = 1;
export const LEN = 2;
export const I32 = 5;

export class Writer {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(64);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = new Uint8Array(Math.max(64, n * 2));
    this.pos = 0;
  }

  /** Unsigned varint of a non-negative BigInt (negative int32/int64 are first made 64-bit two's complement). */
  varint(v: bigint): this {
    let x = BigInt.asUintN(64, v);
    this.ensure(10);
    while (x > 0x7fn) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    return this;
  }

  /** Fast path for small non-negative numbers (keys, lengths). */
  uint32(v: number): this {
    this.ensure(5);
    let x = v >>> 0;
    while (x > 0x7f) {
      this.buf[this.pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[this.pos++] = x;
    return this;
  }

  key(field: number, wireType: number): this {
    return this.uint32((field << 3) | wireType);
  }

  bytes(b: Uint8Array): this {
    this.uint32(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  fixed64(v: bigint): this {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
    return this;
  }

  double(v: number): this {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  float(v: number): this {
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  finish(): Uint8Array {
    const parts = [...this.chunks, this.buf.subarray(0, this.pos)];
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

export class ProtoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoError';
  }
}

export class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtoError('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtoError('varint longer than 10 bytes');
  }

  uint32(): number {
    return Number(BigInt.asUintN(32, this.varint()));
  }

  bytes(): Uint8Array {
    const n = this.uint32();
    if (this.pos + n > this.buf.length) throw new ProtoError(`length ${n} runs past the end of the message`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.buf.length) throw new ProtoError('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  fixed32(): number {
    if (this.pos + 4 > this.buf.length) throw new ProtoError('truncated fixed32');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.buf.length) throw new ProtoError('truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  float(): number {
    if (this.pos + 4 > this.buf.length) throw new ProtoError('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Skip a field we do not know (forward compatibility: newer peers may send more fields). */
  skip(wireType: number): void {
    if (wireType === VARINT) this.varint();
    else if (wireType === I64) this.pos += 8;
    else if (wireType === LEN) this.bytes();
    else if (wireType === I32) this.pos += 4;
    else throw new ProtoError(`unsupported wire type ${wireType}`);
    if (this.pos > this.buf.length) throw new ProtoError('truncated field');
  }
}

export const zigzag = (v: bigint): bigint => (v << 1n) ^ (v >> 63n);
export const unzigzag = (v: bigint): bigint => (v >> 1n) ^ -(v & 1n);
