// Port forwarding through the streaming server over real TCP: several concurrent connections with
// megabytes each (integrity by SHA-256), half-close over SPDY, errors from the runtime, the
// websocket variant with its port prefixes, and a foreign websocket client (`ws`).
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StreamingServer, portForwardClient, parsePortSpec, type StreamingError } from '../src/streaming';
import { dialUpgrade } from '../src/streaming/client/dial';
import { HostRuntime } from './streamingHostRuntime';

const runtime = new HostRuntime();
const server = new StreamingServer({ address: '127.0.0.1', runtime });
// The "pod": an echo server that, after the client's EOF, answers with the SHA-256 of what it got.
let echoPort = 0;
const echo = net.createServer({ allowHalfOpen: true }, (c) => {
  c.on('error', () => {});
  const hash = createHash('sha256');
  c.on('data', (d: Buffer) => {
    hash.update(d);
    c.write(d);
  });
  c.on('end', () => c.end(`\nsha256:${hash.digest('hex')}`));
});
let closedPort = 0;

beforeAll(async () => {
  await server.start();
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as net.AddressInfo).port;
  // a port with nothing listening: bind, note, close
  const tmp = net.createServer().listen(0, '127.0.0.1');
  await once(tmp, 'listening');
  closedPort = (tmp.address() as net.AddressInfo).port;
  await new Promise((r) => tmp.close(r));
});
afterEach(async () => {
  // closing the client ends its sessions: nothing may stay open on the server side
  await waitFor(() => server.activeSessions === 0 && server.openConnections === 0);
});
afterAll(async () => {
  await server.close();
  await new Promise((r) => echo.close(r));
});

const pfUrl = (ports: number[] = [echoPort]) => server.urlFor('portforward', { podSandboxId: 'pod', port: ports });

/** Send `data`, half-close, read everything back. */
async function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  const s = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  await once(s, 'connect');
  s.end(data);
  await Promise.race([once(s, 'end'), once(s, 'close')]);
  s.destroy();
  return Buffer.concat(chunks);
}

/** Send `data`, read exactly as many bytes back (for transports without half-close). */
async function echoExactly(port: number, data: Buffer): Promise<Buffer> {
  const s = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let got = 0;
  const done = new Promise<void>((resolve, reject) => {
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= data.length) resolve();
    });
    s.on('close', () => (got >= data.length ? resolve() : reject(new Error(`connection closed after ${got} of ${data.length} bytes`))));
  });
  await once(s, 'connect');
  s.write(data);
  await done;
  s.destroy();
  return Buffer.concat(chunks).subarray(0, data.length);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('port-forward over SPDY', () => {
  it('carries several concurrent connections of 2 MiB each intact, with half-close', async () => {
    const pf = await portForwardClient(await pfUrl(), [`:${echoPort}`]);
    try {
      const local = pf.ports[0].local;
      expect(pf.ports[0].remote).toBe(echoPort);
      const payloads = Array.from({ length: 4 }, () => randomBytes(2 * 1024 * 1024));
      const answers = await Promise.all(payloads.map((p) => roundTrip(local, p)));
      answers.forEach((a, i) => {
        const trailer = `\nsha256:${sha(payloads[i])}`;
        expect(a.length).toBe(payloads[i].length + trailer.length);
        expect(sha(a.subarray(0, payloads[i].length))).toBe(sha(payloads[i]));
        expect(a.subarray(payloads[i].length).toString()).toBe(trailer);
      });
      // and the session stays usable afterwards
      expect((await roundTrip(local, Buffer.from('again'))).toString()).toMatch(/^again\nsha256:/);
    } finally {
      await pf.close();
    }
    await expect(pf.done).resolves.toBeUndefined();
  });

  it('reports the runtime\'s failure on the error stream and closes the local connection', async () => {
    const errors: StreamingError[] = [];
    const pf = await portForwardClient(await pfUrl([closedPort]), [`:${closedPort}`], { onError: (e) => errors.push(e) });
    try {
      const answer = await roundTrip(pf.ports[0].local, Buffer.from('hello'));
      expect(answer.length).toBe(0);
      await waitFor(() => errors.length > 0);
      expect(errors[0].message).toMatch(new RegExp(`forwarding .* -> ${closedPort}: error forwarding port ${closedPort} to pod pod: .*ECONNREFUSED`));
    } finally {
      await pf.close();
    }
  });

  it('refuses ports the CRI request did not name', async () => {
    const errors: StreamingError[] = [];
    const pf = await portForwardClient(await pfUrl([echoPort]), [`:${closedPort}`], { onError: (e) => errors.push(e) });
    try {
      await roundTrip(pf.ports[0].local, Buffer.from('x'));
      await waitFor(() => errors.length > 0);
      expect(errors[0].message).toMatch(new RegExp(`port ${closedPort} was not requested`));
    } finally {
      await pf.close();
    }
  });

  it('stops listening on close', async () => {
    const pf = await portForwardClient(await pfUrl(), [`:${echoPort}`]);
    const local = pf.ports[0].local;
    await pf.close();
    const s = net.connect(local, '127.0.0.1');
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });
});

describe('port-forward over websockets', () => {
  it('carries concurrent connections, one fresh URL each', async () => {
    let urls = 0;
    const pf = await portForwardClient(
      async () => {
        urls++;
        return server.urlFor('portforward', { podSandboxId: 'pod', port: [echoPort] });
      },
      [`:${echoPort}`],
      { protocol: 'websocket' },
    );
    try {
      const payloads = Array.from({ length: Number(process.env.PF_N ?? 3) }, () => randomBytes(Number(process.env.PF_SIZE ?? 1024 * 1024)));
      const answers = await Promise.all(payloads.map((p) => echoExactly(pf.ports[0].local, p)));
      answers.forEach((a, i) => expect(sha(a)).toBe(sha(payloads[i])));
      expect(urls).toBe(payloads.length);
    } finally {
      await pf.close();
    }
  });

  it('prefixes each channel with the little-endian port (seen by the `ws` package)', async () => {
    const name = 'ws';
    const { default: WebSocket } = (await import(name)) as { default: new (u: string, p: string[]) => import('node:events').EventEmitter & { protocol: string; send(b: Buffer): void; close(): void } };
    const url = (await pfUrl()).replace('http:', 'ws:') + `?port=${echoPort}`;
    const ws = new WebSocket(url, ['v4.channel.k8s.io']);
    const messages: Buffer[] = [];
    ws.on('message', (m: Buffer) => messages.push(Buffer.from(m)));
    await once(ws, 'open');
    expect(ws.protocol).toBe('v4.channel.k8s.io');
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(echoPort);
    await waitFor(() => messages.length >= 2);
    expect(messages[0]).toEqual(Buffer.concat([Buffer.from([0]), prefix]));
    expect(messages[1]).toEqual(Buffer.concat([Buffer.from([1]), prefix]));
    ws.send(Buffer.from('\x00ping'));
    await waitFor(() => Buffer.concat(messages.slice(2).map((m) => m.subarray(1))).toString() === 'ping');
    ws.close();
    await once(ws, 'close');
  });

  it('needs a port: 400 without one', async () => {
    const url = await server.urlFor('portforward', { podSandboxId: 'pod' });
    const e = await dialUpgrade(url, 'websocket', ['v4.channel.k8s.io']).catch((x: StreamingError) => x);
    expect((e as StreamingError).status).toBe(400);
    expect((e as StreamingError).message).toMatch(/query parameter "port" is required/);
  });
});

describe('port specs', () => {
  it('parse like crictl/kubectl', () => {
    expect(parsePortSpec('8080:80')).toEqual({ local: 8080, remote: 80 });
    expect(parsePortSpec(':80')).toEqual({ local: 0, remote: 80 });
    expect(parsePortSpec('80')).toEqual({ local: 80, remote: 80 });
    expect(parsePortSpec(443)).toEqual({ local: 443, remote: 443 });
    expect(() => parsePortSpec('0')).toThrow(/remote port/);
    expect(() => parsePortSpec('x:80')).toThrow(/PORT, LOCAL:REMOTE/);
    expect(() => parsePortSpec('70000:80')).toThrow(/local port/);
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
