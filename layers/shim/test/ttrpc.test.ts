// ttrpc framing and a server/client pair over a real unix socket: concurrent calls answered out
// of order, status codes, deadlines, oversized frames, a connection closing under pending calls.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, FrameReader, TtrpcClient, TtrpcServer, TtrpcError, Code, type Frame } from '../src/ttrpc';
import { ProtoSchema } from '../src/proto';

const schema = new ProtoSchema()
  .add('package google.protobuf; message Empty {} message Any { string type_url = 1; bytes value = 2; }')
  .add(`package test.v1;
    service Echo { rpc Say(Msg) returns (Msg); rpc Slow(Msg) returns (Msg); rpc Fail(Msg) returns (google.protobuf.Empty); rpc Deadline(Msg) returns (Msg); }
    message Msg { string text = 1; uint32 delay_ms = 2; }`);
const ECHO = schema.service('test.v1.Echo');

describe('ttrpc frames', () => {
  it('a frame is a 10-byte big-endian header and the payload', () => {
    expect(encodeFrame(3, 1, Buffer.from('hi')).toString('hex')).toBe('0000000200000003010068' + '69');
  });

  it('reassembles frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (payloads, cuts) => {
        const wire = Buffer.concat(payloads.map((p, i) => encodeFrame(2 * i + 1, 2, p)));
        const got: Frame[] = [];
        const r = new FrameReader((f) => got.push(f));
        let off = 0;
        for (let i = 0; off < wire.length; i++) {
          const n = cuts[i % cuts.length];
          r.push(wire.subarray(off, off + n));
          off += n;
        }
        expect(got.map((f) => [f.streamId, Buffer.from(f.payload).toString('hex')])).toEqual(payloads.map((p, i) => [2 * i + 1, Buffer.from(p).toString('hex')]));
      }),
    );
  });

  it('skips an oversized frame, reports it, and keeps reading', () => {
    const got: number[] = [];
    const big: number[] = [];
    const r = new FrameReader((f) => got.push(f.streamId), (id) => big.push(id));
    const header = Buffer.alloc(10);
    header.writeUInt32BE((4 << 20) + 1, 0);
    header.writeUInt32BE(5, 4);
    r.push(header);
    r.push(Buffer.alloc(4 << 20));
    r.push(Buffer.concat([Buffer.alloc(1), encodeFrame(7, 1, Buffer.from('ok'))]));
    expect(big).toEqual([5]);
    expect(got).toEqual([7]);
  });
});

describe('ttrpc server and client', () => {
  let dir: string;
  let server: TtrpcServer | undefined;
  let client: TtrpcClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start() {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ttrpc-'));
    const sock = path.join(dir, 's.sock');
    server = new TtrpcServer().register(ECHO, {
      Say: async (m) => ({ text: `echo: ${m.text}` }),
      Slow: async (m) => {
        await new Promise((r) => setTimeout(r, m.delayMs));
        return { text: 'slow done' };
      },
      Fail: async () => {
        throw new TtrpcError(Code.NotFound, 'no such thing');
      },
      Deadline: async (_m, ctx) => {
        await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
        return { text: 'aborted' };
      },
    });
    await server.listen(sock);
    expect(fs.statSync(sock).mode & 0o777).toBe(0o600);
    client = await TtrpcClient.connect(`unix://${sock}`);
    return sock;
  }

  it('answers concurrent calls as they finish, not in order', async () => {
    await start();
    const order: string[] = [];
    const slow = client!.call(ECHO, 'Slow', { delayMs: 150 }).then((r) => order.push(r.text));
    const fast = client!.call(ECHO, 'Say', { text: 'hi' }).then((r) => order.push(r.text));
    await Promise.all([slow, fast]);
    expect(order).toEqual(['echo: hi', 'slow done']);
  });

  it('carries status codes; unknown methods are Unimplemented', async () => {
    await start();
    await expect(client!.call(ECHO, 'Fail', {})).rejects.toMatchObject({ code: Code.NotFound, message: 'no such thing' });
    await expect(client!.callRaw('test.v1.Echo', 'Nope', new Uint8Array())).rejects.toMatchObject({ code: Code.Unimplemented });
    await expect(client!.callRaw('no.Such', 'Svc', new Uint8Array())).rejects.toMatchObject({ code: Code.Unimplemented });
  });

  it('aborts the handler when the request deadline passes', async () => {
    await start();
    const t0 = Date.now();
    expect((await client!.call(ECHO, 'Deadline', {}, { timeoutMs: 100 })).text).toBe('aborted');
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('rejects pending calls with Unavailable when the connection closes', async () => {
    await start();
    const pending = client!.call(ECHO, 'Slow', { delayMs: 5_000 });
    await new Promise((r) => setTimeout(r, 50));
    await server!.close();
    server = undefined;
    await expect(pending).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it('refuses connections the authorize hook rejects', async () => {
    const sock = await start();
    server!.authorize = () => false;
    const s = net.createConnection(sock);
    const closed = await new Promise<boolean>((r) => {
      s.on('close', () => r(true));
      setTimeout(() => r(false), 2_000);
    });
    expect(closed).toBe(true);
  });
});
