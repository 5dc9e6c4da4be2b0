// Messages described as data, and one encoder/decoder driven by those descriptions. Reading a
// descriptor next to its .proto text (layers/shim/proto/) shows exactly what goes on the wire.
//
// JavaScript values: strings, Uint8Array for bytes, booleans, numbers for every integer type
// (64-bit values above 2^53 lose precision: containerd's counters and timestamps stay far below),
// arrays for repeated fields, plain objects for maps, nested objects for messages.
// proto3 semantics: a field equal to its default (0, '', false, empty) is not written, and a
// missing field decodes as its default; a missing message field decodes as undefined.
import { I32, I64, LEN, ProtoError, Reader, unzigzag, VARINT, Writer, zigzag } from './wire';

export type Scalar = 'string' | 'bytes' | 'bool' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint64' | 'fixed64' | 'double' | 'float' | 'enum';

export interface FieldSpec {
  no: number;
  /** The JavaScript property (camelCase of the proto name). */
  name: string;
  type: Scalar | MessageType<any>;
  repeated?: boolean;
  /** map<key, value>: on the wire a repeated entry message {key = 1, value = 2}. */
  map?: { key: Scalar; value: Scalar | MessageType<any> };
}

export interface MessageType<T> {
  readonly fullName: string;
  /** Fields, resolved lazily so that messages can refer to each other in any order. */
  readonly fields: FieldSpec[];
  /** Phantom: the JavaScript shape of the message. */
  readonly __type?: T;
}

/** Declare a message. `fields` may be a function for forward references. */
export function message<T>(fullName: string, fields: FieldSpec[] | (() => FieldSpec[])): MessageType<T> {
  let resolved: FieldSpec[] | undefined = Array.isArray(fields) ? fields : undefined;
  return {
    fullName,
    get fields() {
      resolved ??= (fields as () => FieldSpec[])();
      return resolved;
    },
  };
}

const isMessage = (t: FieldSpec['type']): t is MessageType<any> => typeof t === 'object';

function wireTypeOf(t: FieldSpec['type']): number {
  if (isMessage(t)) return LEN;
  switch (t) {
    case 'string':
    case 'bytes':
      return LEN;
    case 'fixed64':
    case 'double':
      return I64;
    case 'float':
      return I32;
    default:
      return VARINT;
  }
}

function isDefault(t: FieldSpec['type'], v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (isMessage(t)) return false; // a present message is written even when empty
  if (t === 'bytes') return (v as Uint8Array).length === 0;
  return v === 0 || v === '' || v === false;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

function writeScalar(w: Writer, t: Scalar, v: unknown): void {
  switch (t) {
    case 'string':
      w.bytes(utf8.encode(v as string));
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    case 'bool':
      w.uint32(v ? 1 : 0);
      return;
    case 'sint64':
      w.varint(zigzag(BigInt(v as number)));
      return;
    case 'fixed64':
      w.fixed64(BigInt(v as number));
      return;
    case 'double':
      w.double(v as number);
      return;
    case 'float':
      w.float(v as number);
      return;
    default:
      // int32/int64/uint32/uint64/enum: negative values are sign-extended to 64 bits (10 bytes).
      w.varint(BigInt(Math.trunc(v as number)));
  }
}

function readScalar(r: Reader, t: Scalar): unknown {
  switch (t) {
    case 'string':
      return utf8d.decode(r.bytes());
    case 'bytes':
      return r.bytes().slice();
    case 'bool':
      return r.varint() !== 0n;
    case 'int32':
    case 'enum':
      return Number(BigInt.asIntN(32, r.varint()));
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
    case 'uint32':
      return Number(BigInt.asUintN(32, r.varint()));
    case 'uint64':
      return Number(r.varint());
    case 'sint64':
      return Number(unzigzag(r.varint()));
    case 'fixed64':
      return Number(r.fixed64());
    case 'double':
      return r.double();
    case 'float':
      return r.float();
  }
}

function writeValue(w: Writer, no: number, t: FieldSpec['type'], v: unknown): void {
  w.key(no, wireTypeOf(t));
  if (isMessage(t)) w.bytes(encode(t, v as object));
  else writeScalar(w, t, v);
}

export function encode<T>(type: MessageType<T>, value: Partial<T> | T): Uint8Array {
  const w = new Writer();
  const obj = (value ?? {}) as Record<string, unknown>;
  for (const f of type.fields) {
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    if (f.map) {
      for (const [k, mv] of Object.entries(v as Record<string, unknown>)) {
        const entry = new Writer();
        const key = f.map.key === 'string' ? k : Number(k);
        if (!isDefault(f.map.key, key)) writeValue(entry, 1, f.map.key, key);
        if (!isDefault(f.map.value, mv)) writeValue(entry, 2, f.map.value, mv);
        w.key(f.no, LEN).bytes(entry.finish());
      }
    } else if (f.repeated) {
      const list = v as unknown[];
      if (list.length === 0) continue;
      if (!isMessage(f.type) && f.type !== 'string' && f.type !== 'bytes') {
        // proto3 packs repeated scalars: one LEN field holding the values back to back.
        const packed = new Writer();
        for (const x of list) writeScalar(packed, f.type, x);
        w.key(f.no, LEN).bytes(packed.finish());
      } else for (const x of list) writeValue(w, f.no, f.type, x);
    } else if (!isDefault(f.type, v)) writeValue(w, f.no, f.type, v);
  }
  return w.finish();
}

function defaults(type: MessageType<any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of type.fields) {
    if (f.map) out[f.name] = {};
    else if (f.repeated) out[f.name] = [];
    else if (isMessage(f.type)) out[f.name] = undefined;
    else if (f.type === 'string') out[f.name] = '';
    else if (f.type === 'bytes') out[f.name] = new Uint8Array(0);
    else if (f.type === 'bool') out[f.name] = false;
    else out[f.name] = 0;
  }
  return out;
}

function readValue(r: Reader, t: FieldSpec['type']): unknown {
  return isMessage(t) ? decode(t, r.bytes()) : readScalar(r, t);
}

export function decode<T>(type: MessageType<T>, bytes: Uint8Array): T {
  const out = defaults(type);
  const byNo = new Map(type.fields.map((f) => [f.no, f]));
  const r = new Reader(bytes);
  while (!r.done) {
    const key = r.uint32();
    const no = key >>> 3;
    const wt = key & 7;
    const f = byNo.get(no);
    if (!f) {
      r.skip(wt);
      continue;
    }
    try {
      if (f.map) {
        const entry = new Reader(r.bytes());
        let k: unknown = f.map.key === 'string' ? '' : 0;
        let v: unknown = isMessage(f.map.value) ? undefined : defaults(message('entry', [{ no: 2, name: 'v', type: f.map.value }])).v;
        while (!entry.done) {
          const ek = entry.uint32();
          if (ek >>> 3 === 1) k = readValue(entry, f.map.key);
          else if (ek >>> 3 === 2) v = readValue(entry, f.map.value);
          else entry.skip(ek & 7);
        }
        (out[f.name] as Record<string, unknown>)[String(k)] = v;
      } else if (f.repeated) {
        const list = out[f.name] as unknown[];
        if (wt === LEN && !isMessage(f.type) && f.type !== 'string' && f.type !== 'bytes') {
          // packed (what proto3 writers send) ...
          const packed = new Reader(r.bytes());
          while (!packed.done) list.push(readScalar(packed, f.type));
        } else list.push(readValue(r, f.type)); // ... or one value per field (older writers)
      } else {
        if (wt !== wireTypeOf(f.type)) throw new ProtoError(`wire type ${wt}, expected ${wireTypeOf(f.type)}`);
        out[f.name] = readValue(r, f.type);
      }
    } catch (e) {
      throw new ProtoError(`${type.fullName}.${f.name} (field ${no}): ${(e as Error).message}`);
    }
  }
  return out as T;
}
