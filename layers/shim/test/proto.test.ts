// The protobuf codec against hand-computed bytes (protobuf.dev encoding guide), round trips of
// random values, and the schema read from Strata's .proto text.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, message, packAny, unpackAny, schema, PROTO_FILES, toTimestamp, fromTimestamp, ZERO_TIME, TASK_SERVICE, RuncOptionsType } from '../src/proto';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('protobuf wire format', () => {
  const T = message<{ a: number; s: string; b: boolean; neg: number; z: number; list: number[]; m: Record<string, string> }>('test.T', [
    { no: 1, name: 'a', type: 'uint32' },
    { no: 2, name: 's', type: 'string' },
    { no: 3, name: 'b', type: 'bool' },
    { no: 4, name: 'neg', type: 'int64' },
    { no: 5, name: 'z', type: 'sint64' },
    { no: 6, name: 'list', type: 'uint64', repeated: true },
    { no: 7, name: 'm', type: 'bytes', map: { key: 'string', value: 'string' } },
  ]);

  it('encodes the guide\'s examples byte for byte', () => {
    expect(hex(encode(T, { a: 150 }))).toBe('089601'); // field 1 varint 150
    expect(hex(encode(T, { s: 'testing' }))).toBe('120774657374696e67'); // field 2 LEN "testing"
    expect(hex(encode(T, { neg: -2 }))).toBe('20feffffffffffffffff01'); // negative int64: 10 bytes
    expect(hex(encode(T, { z: -2 }))).toBe('2803'); // sint64 zigzag: -2 -> 3
    expect(hex(encode(T, { list: [3, 270, 86942] }))).toBe('3206038e029ea705'); // packed repeated
    expect(hex(encode(T, { a: 0, s: '', b: false }))).toBe(''); // proto3 defaults are not written
  });

  it('decodes defaults, unpacked repeated fields and skips unknown fields', () => {
    expect(decode(T, new Uint8Array())).toEqual({ a: 0, s: '', b: false, neg: 0, z: 0, list: [], m: {} });
    // list as two unpacked varints (field 6, wire type 0), then an unknown field 15 (varint)
    expect(decode(T, Buffer.from('3003300478ff01', 'hex')).list).toEqual([3, 4]);
  });

  it('round-trips random values', () => {
    fc.assert(
      fc.property(
        fc.record({
          a: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          s: fc.string({ unit: 'grapheme' }),
          b: fc.boolean(),
          neg: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
          z: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
          list: fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
          m: fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.string()),
        }),
        (v) => {
          expect(decode(T, encode(T, v))).toEqual(v);
        },
      ),
    );
  });

  it('reports truncated input with the field it was reading', () => {
    expect(() => decode(T, Buffer.from('1205616263', 'hex'))).toThrow(/test\.T\.s \(field 2\): length 5 runs past the end/);
  });
});

describe('the schema from Strata\'s .proto text', () => {
  it('reads every file, and no message reuses a field number', () => {
    expect(Object.keys(PROTO_FILES).length).toBeGreaterThanOrEqual(10);
    for (const name of schema.messageNames()) {
      const nos = schema.message(name).fields.map((f) => f.no);
      expect(new Set(nos).size, name).toBe(nos.length);
    }
  });

  it('has the 17 methods of containerd.task.v2.Task', () => {
    expect(Object.keys(TASK_SERVICE.methods).sort()).toEqual(
      ['CloseIO', 'Checkpoint', 'Connect', 'Create', 'Delete', 'Exec', 'Kill', 'Pause', 'Pids', 'ResizePty', 'Resume', 'Shutdown', 'Start', 'State', 'Stats', 'Update', 'Wait'].sort(),
    );
    expect(TASK_SERVICE.methods.Kill.output.fullName).toBe('google.protobuf.Empty');
  });

  it('uses the field numbers containerd uses (spot checks)', () => {
    const no = (msg: string, field: string) => schema.message(msg).fields.find((f) => f.name === field)?.no;
    expect(no('containerd.task.v2.CreateTaskRequest', 'options')).toBe(10);
    expect(no('containerd.task.v2.StateResponse', 'execId')).toBe(11);
    expect(no('containerd.task.v2.StateResponse', 'exitedAt')).toBe(10);
    expect(no('containerd.runc.v1.Options', 'binaryName')).toBe(6);
    expect(no('io.containerd.cgroups.v1.MemoryStat', 'kernelTcp')).toBe(36);
    expect(no('io.containerd.cgroups.v2.Metrics', 'memoryEvents')).toBe(8);
  });

  it('packs Any without the type.googleapis.com prefix and accepts it when unpacking', () => {
    const a = packAny(RuncOptionsType, { binaryName: '/usr/bin/runc' });
    expect(a.typeUrl).toBe('containerd.runc.v1.Options');
    expect(unpackAny(RuncOptionsType, { ...a, typeUrl: `type.googleapis.com/${a.typeUrl}` }).binaryName).toBe('/usr/bin/runc');
    expect(() => unpackAny(TASK_SERVICE.methods.Kill.input, a)).toThrow(/expected an Any of containerd.task.v2.KillRequest/);
  });

  it('maps unset times to containerd\'s zero time', () => {
    expect(toTimestamp(undefined)).toEqual(ZERO_TIME);
    expect(fromTimestamp(ZERO_TIME)).toBeUndefined();
    const d = new Date('2026-01-02T03:04:05.678Z');
    expect(fromTimestamp(toTimestamp(d))).toEqual(d);
  });
});
