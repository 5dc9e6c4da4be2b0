// Pure wire-format logic of the streaming layer: SPDY/3.1 frames and header blocks, websocket
// frames and handshake, resize messages, exit statuses and tokens.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY } from '../src/streaming/spdy/dictionary';
import {
  FrameParser,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
  type SpdyFrame,
} from '../src/streaming/spdy/frames';
import { HeaderCompressor, HeaderDecompressor, decodeHeaderBlockPlain, encodeHeaderBlockPlain } from '../src/streaming/spdy/headerBlock';
import { Opcode, WsFrameParser, encodeFrame } from '../src/streaming/websocket/frames';
import { acceptKey, validClientKey } from '../src/streaming/websocket/handshake';
import { JsonObjectSplitter, onResize, parseTerminalSize } from '../src/streaming/resize';
import { EventEmitter } from 'node:events';
import { decodeOutcome, encodeOutcome } from '../src/streaming/status';
import { MAX_IN_FLIGHT, TokenCache } from '../src/streaming/tokens';
import { headerList, negotiate } from '../src/streaming/protocols';

describe('SPDY/3 header dictionary', () => {
  it('is byte for byte the one in the SPDY/3 draft (length and SHA-256 of the published bytes)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex')).toBe('51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
  });
});

describe('SPDY frames', () => {
  it('round-trip every frame type, even when fed one byte at a time', () => {
    const wire = Buffer.concat([
      encodeSynStream(1, Buffer.from('hdrs'), { fin: true, priority: 5 }),
      encodeSynReply(2, Buffer.from('rep')),
      encodeData(3, Buffer.from('payload'), true),
      encodeRstStream(5, 5),
      encodeSettings([{ id: 7, value: 65536, flags: 1 }, { id: 4, value: 100 }]),
      encodePing(9),
      encodeGoAway(11, 2),
      encodeWindowUpdate(3, 4096),
    ]);
    const p = new FrameParser();
    const frames: SpdyFrame[] = [];
    for (const b of wire) frames.push(...p.push(Buffer.from([b])));
    expect(frames).toEqual([
      { type: 'syn_stream', streamId: 1, associatedTo: 0, priority: 5, fin: true, unidirectional: false, headerBlock: Buffer.from('hdrs') },
      { type: 'syn_reply', streamId: 2, fin: false, headerBlock: Buffer.from('rep') },
      { type: 'data', streamId: 3, fin: true, data: Buffer.from('payload') },
      { type: 'rst_stream', streamId: 5, status: 5 },
      { type: 'settings', clear: false, entries: [{ flags: 1, id: 7, value: 65536 }, { flags: 0, id: 4, value: 100 }] },
      { type: 'ping', id: 9 },
      { type: 'goaway', lastGoodStreamId: 11, status: 2 },
      { type: 'window_update', streamId: 3, delta: 4096 },
    ]);
  });

  it('lays out the 8-byte headers as the draft says', () => {
    const ping = encodePing(0x01020304);
    expect([...ping]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 1, 2, 3, 4]);
    const data = encodeData(0x7fffffff, Buffer.from('ab'), true);
    expect([...data]).toEqual([0x7f, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x02, 0x61, 0x62]);
  });

  it('ignores unknown control frames and refuses other SPDY versions', () => {
    const unknown = Buffer.from([0x80, 0x03, 0x00, 0x42, 0x00, 0x00, 0x00, 0x01, 0xff]);
    expect(new FrameParser().push(unknown)).toEqual([{ type: 'unknown', frameType: 0x42 }]);
    const v2 = Buffer.from([0x80, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
    expect(() => new FrameParser().push(v2)).toThrow(/unsupported protocol version 2/);
    expect(() => new FrameParser().push(Buffer.from([0x80, 0x03, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0, 0]))).toThrow(/RST_STREAM frame too short/);
  });
});

describe('SPDY header blocks', () => {
  it('encode names lower-case with NUL-joined values', () => {
    const plain = encodeHeaderBlockPlain({ StreamType: ['error'], port: ['80', '81'] });
    expect(decodeHeaderBlockPlain(plain)).toEqual({ streamtype: ['error'], port: ['80', '81'] });
    expect(plain.subarray(0, 4).readUInt32BE()).toBe(2);
  });

  it('share one zlib context across blocks, in order', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks: Array<Record<string, string[]>> = [{ streamtype: ['error'] }, { streamtype: ['stdout'] }, { streamtype: ['error'] }, {}];
    const compressed = await Promise.all(blocks.map((b) => c.compress(b)));
    // the third repeats the first, so it compresses to a back-reference: smaller
    expect(compressed[2].length).toBeLessThan(compressed[0].length);
    for (let i = 0; i < blocks.length; i++) expect(await d.decompress(compressed[i])).toEqual(blocks[i]);
    // a fresh decompressor cannot read a block from the middle of the stream
    await expect(new HeaderDecompressor().decompress(compressed[1])).rejects.toThrow(/cannot decompress/);
  });

  it('are standard zlib with the SPDY dictionary (decoded by Python\'s zlib)', async () => {
    const c = new HeaderCompressor();
    const first = await c.compress({ streamtype: ['data'], port: ['8080'], requestid: ['0'] });
    const second = await c.compress({ streamtype: ['error'], port: ['8080'], requestid: ['0'] });
    const py = spawnSync(
      'python3',
      ['-c', 'import sys,zlib\nd=zlib.decompressobj(zdict=bytes.fromhex(sys.argv[1]))\nfor h in sys.argv[2:]: print(d.decompress(bytes.fromhex(h)).hex())', SPDY3_DICTIONARY.toString('hex'), first.toString('hex'), second.toString('hex')],
      { encoding: 'utf8' },
    );
    expect(py.status).toBe(0);
    const [a, b] = py.stdout.trim().split('\n').map((h) => decodeHeaderBlockPlain(Buffer.from(h, 'hex')));
    expect(a).toEqual({ streamtype: ['data'], port: ['8080'], requestid: ['0'] });
    expect(b).toEqual({ streamtype: ['error'], port: ['8080'], requestid: ['0'] });
  });

  it('reject upper-case and duplicate names', () => {
    const upper = Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 1]), Buffer.from('A'), Buffer.from([0, 0, 0, 0])]);
    expect(() => decodeHeaderBlockPlain(upper)).toThrow(/not lower-case/);
    const dup = Buffer.concat([Buffer.from([0, 0, 0, 2]), ...[0, 1].map(() => Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('a'), Buffer.from([0, 0, 0, 0])]))]);
    expect(() => decodeHeaderBlockPlain(dup)).toThrow(/appears twice/);
    expect(() => decodeHeaderBlockPlain(Buffer.from([0, 0, 0, 1, 0, 0]))).toThrow(/truncated/);
  });
});

describe('websocket framing (RFC 6455)', () => {
  it('computes Sec-WebSocket-Accept like the RFC example (section 1.3)', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(validClientKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe(true);
    expect(validClientKey('short')).toBe(false);
  });

  it('round-trips 7-bit, 16-bit and 64-bit lengths, masked and not', () => {
    for (const size of [0, 125, 126, 65535, 65536, 200_000]) {
      const payload = Buffer.alloc(size, 0xab);
      for (const mask of [true, false]) {
        const wire = encodeFrame(Opcode.BINARY, payload, { mask });
        const frames = new WsFrameParser(mask).push(wire);
        expect(frames).toHaveLength(1);
        expect(frames[0].opcode).toBe(Opcode.BINARY);
        expect(frames[0].payload.equals(payload)).toBe(true);
      }
    }
    expect(encodeFrame(Opcode.TEXT, Buffer.alloc(126), { mask: false }).subarray(0, 4)).toEqual(Buffer.from([0x81, 126, 0, 126]));
  });

  it('enforces the masking direction and control-frame rules', () => {
    expect(() => new WsFrameParser(true).push(encodeFrame(Opcode.BINARY, Buffer.from('x'), { mask: false }))).toThrow(/not masked/);
    expect(() => new WsFrameParser(false).push(encodeFrame(Opcode.BINARY, Buffer.from('x'), { mask: true }))).toThrow(/is masked/);
    expect(() => new WsFrameParser(false).push(encodeFrame(Opcode.PING, Buffer.alloc(126), { mask: false }))).toThrow(/invalid control frame/);
    expect(() => new WsFrameParser(false).push(Buffer.from([0xc2, 0x00]))).toThrow(/reserved bits/);
  });
});

describe('resize messages', () => {
  it('split concatenated JSON objects across chunk boundaries', () => {
    const got: unknown[] = [];
    const s = new JsonObjectSplitter();
    const text = '{"Width":80,"Height":24}\n{"Width":100,"Height":30}{"Width":1,"Height":2}';
    for (let i = 0; i < text.length; i += 7) s.feed(text.slice(i, i + 7), (v) => got.push(v));
    expect(got.map(parseTerminalSize)).toEqual([{ width: 80, height: 24 }, { width: 100, height: 30 }, { width: 1, height: 2 }]);
    expect(parseTerminalSize({ Width: -1, Height: 2 })).toBeUndefined();
    expect(parseTerminalSize({ Width: 70000, Height: 2 })).toBeUndefined();
  });
});

describe('resize sources', () => {
  it('accept a terminal stream whose resize event carries no size (process.stdout style)', () => {
    const fakeTty = Object.assign(new EventEmitter(), { columns: 80, rows: 24 });
    const got: unknown[] = [];
    const stop = onResize(fakeTty, (s) => got.push(s));
    fakeTty.columns = 120;
    fakeTty.rows = 40;
    fakeTty.emit('resize');
    fakeTty.emit('resize', { width: 1, height: 2 });
    stop();
    fakeTty.emit('resize');
    expect(got).toEqual([{ width: 80, height: 24 }, { width: 120, height: 40 }, { width: 1, height: 2 }]);
  });
});

describe('exit statuses', () => {
  it('round-trip through the v4 Status and the pre-v4 text', () => {
    for (const v of [2, 4]) {
      expect(decodeOutcome(v, encodeOutcome(v, { exitCode: 0 }))).toBe(0);
      expect(decodeOutcome(v, encodeOutcome(v, { exitCode: 137 }))).toBe(137);
      expect(() => decodeOutcome(v, encodeOutcome(v, { error: 'boom' }))).toThrow(/boom/);
    }
    expect(() => decodeOutcome(4, Buffer.from('{"metadata":{},"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"x"}]}}'))).toThrow(/invalid exit code/);
    expect(() => decodeOutcome(4, Buffer.from('not json'))).toThrow(/error stream protocol error/);
  });
});

describe('tokens', () => {
  it('are single-use, expire, and are bounded in number', () => {
    let now = 1000;
    const cache = new TokenCache(60_000, () => now);
    const t = cache.insert('exec', { containerId: 'c' });
    expect(t).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(cache.consume(t)?.req).toEqual({ containerId: 'c' });
    expect(cache.consume(t)).toBeUndefined();
    const u = cache.insert('attach', {});
    now += 60_000;
    expect(cache.consume(u)).toBeUndefined();
    for (let i = 0; i < MAX_IN_FLIGHT; i++) cache.insert('exec', {});
    expect(() => cache.insert('exec', {})).toThrow(/in-flight/);
    now += 60_000; // all expired: room again
    expect(() => cache.insert('exec', {})).not.toThrow();
  });
});

describe('protocol negotiation', () => {
  it('follows the client\'s order and splits comma lists', () => {
    expect(headerList(['v4.channel.k8s.io, v3.channel.k8s.io', 'v2.channel.k8s.io'])).toEqual(['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io']);
    expect(negotiate(['a', 'b'], ['b', 'a'])).toBe('a');
    expect(negotiate(['x'], ['a'])).toBeUndefined();
  });
});
