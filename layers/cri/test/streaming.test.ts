// The CRI streaming server and clients end to end, over real TCP on 127.0.0.1 with real host
// processes behind them (see streamingHostRuntime.ts): exec and attach over SPDY/3.1 and
// websockets, exit codes, stdin, a real pty with resizes, tokens, protocol negotiation, and
// foreign peers where this machine has them (curl for the HTTP upgrade, the `ws` package for
// websocket framing).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StreamingError, StreamingServer, TerminalSizeQueue, attachClient, execClient, type Transport } from '../src/streaming';
import { dialUpgrade } from '../src/streaming/client/dial';
import { SpdySession } from '../src/streaming/spdy/session';
import { HostRuntime } from './streamingHostRuntime';

const runtime = new HostRuntime();
const logs: string[] = [];
const server = new StreamingServer({ address: '127.0.0.1', runtime, log: (m) => logs.push(m), streamCreationTimeoutMs: 2000 });
beforeAll(() => server.start());
afterAll(async () => {
  await server.close();
  for (const c of runtime.attachable.values()) c.kill('SIGKILL');
});
afterEach(async () => {
  // every exec'd process must be gone once its session is over (nothing leaked)
  const attached = new Set(runtime.attachable.values());
  await waitFor(() => [...runtime.children].every((c) => attached.has(c)), 'exec processes to be reaped');
  // and no session or connection outlives its client (curl's are cut by --max-time)
  await waitFor(() => server.activeSessions === 0 && server.openConnections === 0, 'sessions and connections to close');
});

/** `ws` (v8, in the workspace via other tools) loaded by a computed name: it ships no types. */
type ForeignSocket = import('node:events').EventEmitter & { protocol: string; send(d: Buffer): void };
async function foreignWebSocket(url: string, protocols: string[]): Promise<ForeignSocket> {
  const name = 'ws';
  const mod = (await import(name)) as { default: new (url: string, protocols: string[]) => ForeignSocket };
  return new mod.default(url, protocols);
}

function sink() {
  const chunks: Buffer[] = [];
  const s = new PassThrough();
  s.on('data', (c: Buffer) => chunks.push(c));
  return { stream: s, text: () => Buffer.concat(chunks).toString(), bytes: () => Buffer.concat(chunks) };
}

const exec = (cmd: string[], extra: object = {}) => server.urlFor('exec', { containerId: 'host', cmd, stdout: true, stderr: true, ...extra });
const transports: Transport[] = ['spdy', 'websocket'];

describe.each(transports)('exec over %s', (protocol) => {
  it('keeps stdout and stderr apart and returns a non-zero exit code', async () => {
    const out = sink();
    const err = sink();
    const code = await execClient(await exec(['sh', '-c', 'echo out; echo err >&2; exit 3']), { stdout: out.stream, stderr: err.stream, tty: false, protocol });
    expect(code).toBe(3);
    expect(out.text()).toBe('out\n');
    expect(err.text()).toBe('err\n');
  });

  it('returns 0 for a successful command', async () => {
    const out = sink();
    expect(await execClient(await exec(['true']), { stdout: out.stream, stderr: sink().stream, tty: false, protocol })).toBe(0);
  });

  it('streams a megabyte of stdin through the process intact', async () => {
    const data = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const out = sink();
    const url = await exec(['sha256sum'], { stdin: true });
    // websocket v5 ends stdin with the CLOSE signal; SPDY with the FIN flag
    const code = await execClient(url, { stdin: Readable.from([data.subarray(0, 300_000), data.subarray(300_000)]), stdout: out.stream, stderr: sink().stream, tty: false, protocol });
    expect(code).toBe(0);
    expect(out.text().split(' ')[0]).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('reports a runtime failure as an error, not an exit code', async () => {
    const url = await server.urlFor('exec', { containerId: 'missing', cmd: ['true'], stdout: true });
    await expect(execClient(url, { stdout: sink().stream, tty: false, protocol })).rejects.toThrow(/container "missing" not found/);
  });

  it('runs a command in a real terminal and delivers resizes to it', async () => {
    const resize = new TerminalSizeQueue();
    const stdin = new PassThrough();
    const out = sink();
    const url = await exec(['sh', '-c', 'stty size; read x; stty size'], { stdin: true, stderr: false, tty: true });
    const done = execClient(url, { stdin, stdout: out.stream, tty: true, resize, protocol });
    resize.push({ width: 100, height: 30 });
    await waitFor(() => out.text().includes('30 100'), 'first size');
    resize.push({ width: 132, height: 43 });
    await new Promise((r) => setTimeout(r, 300));
    stdin.write('go\n');
    expect(await done).toBe(0);
    resize.end();
    // the second `stty size` ran after the second resize; the pty echoed our input
    expect(out.text()).toMatch(/30 100[\s\S]*go[\s\S]*43 132/);
  });

  it('kills the process when the client disappears', async () => {
    const url = await exec(['sleep', '30'], { stderr: false });
    const before = runtime.aborted.length;
    if (protocol === 'spdy') {
      const { socket, head } = await dialUpgrade(url, 'spdy', ['v4.channel.k8s.io']);
      const s = new SpdySession(socket, 'client', head);
      await s.createStream({ streamType: 'error' });
      await s.createStream({ streamType: 'stdout' });
      await new Promise((r) => setTimeout(r, 200));
      socket.destroy();
    } else {
      const { socket } = await dialUpgrade(url, 'websocket', ['v4.channel.k8s.io']);
      await new Promise((r) => setTimeout(r, 200));
      socket.destroy();
    }
    await waitFor(() => runtime.aborted.length > before, 'abort reaches the runtime');
    await waitFor(() => runtime.children.size === 0, 'process reaped');
  });
});

describe('many sessions at once', () => {
  it('keeps 12 concurrent execs over both transports apart', async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const out = sink();
        const code = await execClient(await exec(['sh', '-c', `printf 'session ${i}'; exit ${i}`], { stderr: false }), { stdout: out.stream, tty: false, protocol: transports[i % 2] });
        return { code, out: out.text() };
      }),
    );
    results.forEach((r, i) => expect(r).toEqual({ code: i, out: `session ${i}` }));
  });
});

describe.each(transports)('attach over %s', (protocol) => {
  it('talks to the running process', async () => {
    const id = `attach-${protocol}`;
    const child = runtime.startAttachable(id, 'while read l; do echo "echo:$l"; echo "err:$l" >&2; done');
    const out = sink();
    const err = sink();
    const stdin = new PassThrough();
    const url = await server.urlFor('attach', { containerId: id, stdin: true, stdout: true, stderr: true });
    const done = attachClient(url, { stdin, stdout: out.stream, stderr: err.stream, tty: false, protocol });
    stdin.write('one\n');
    await waitFor(() => out.text() === 'echo:one\n', 'attach output');
    stdin.end('two\n');
    if (protocol === 'websocket') {
      // v5 passes the end of stdin on, so the loop ends and the process exits
    }
    expect(await done).toBe(0);
    expect(out.text()).toBe('echo:one\necho:two\n');
    expect(err.text()).toBe('err:one\nerr:two\n');
    await waitFor(() => child.exitCode !== null, 'attached process exits on stdin EOF');
    runtime.attachable.delete(id);
  });
});

describe('tokens', () => {
  it('are single-use: the second connection gets 404', async () => {
    const url = await exec(['true']);
    expect(await execClient(url, { stdout: sink().stream, stderr: sink().stream, tty: false })).toBe(0);
    const e = await execClient(url, { stdout: sink().stream, tty: false }).catch((x: StreamingError) => x);
    expect(e).toBeInstanceOf(StreamingError);
    expect((e as StreamingError).status).toBe(404);
  });

  it('expire', async () => {
    const short = new StreamingServer({ address: '127.0.0.1', runtime, tokenTtlMs: 150 });
    await short.start();
    try {
      const url = await short.urlFor('exec', { containerId: 'c', cmd: ['true'], stdout: true });
      await new Promise((r) => setTimeout(r, 300));
      await expect(execClient(url, { stdout: sink().stream, tty: false })).rejects.toMatchObject({ status: 404 });
    } finally {
      await short.close();
    }
  });

  it('reject unknown tokens, the wrong endpoint kind, and plain requests', async () => {
    await expect(execClient(`${server.url}/exec/AAAAAAAAAAA`, { stdout: sink().stream, tty: false })).rejects.toMatchObject({ status: 404 });
    const attachUrl = await server.urlFor('attach', { containerId: 'x', stdout: true });
    await expect(execClient(attachUrl.replace('/attach/', '/exec/'), { stdout: sink().stream, tty: false })).rejects.toThrow(/not a exec request/);
    const plain = await get(await exec(['true']));
    expect(plain.status).toBe(400);
    expect(plain.body).toMatch(/unable to upgrade/);
    expect((await get(`${server.url}/nothing/here`)).status).toBe(404);
  });

  it('are only issued for valid requests (INVALID_ARGUMENT)', async () => {
    const bad: Array<[string, object, RegExp]> = [
      ['exec', { cmd: ['true'], stdout: true }, /containerId/],
      ['exec', { containerId: 'c', cmd: [], stdout: true }, /cmd/],
      ['exec', { containerId: 'c', cmd: ['sh'], tty: true, stderr: true, stdout: true }, /tty and stderr/],
      ['attach', { containerId: 'c' }, /one of stdin, stdout, or stderr/],
      ['portforward', { port: [80] }, /podSandboxId/],
      ['portforward', { podSandboxId: 'p', port: [70000] }, /port/],
    ];
    for (const [kind, req, msg] of bad) {
      const e = await server.urlFor(kind as 'exec', req).catch((x: StreamingError) => x);
      expect(e).toBeInstanceOf(StreamingError);
      expect((e as StreamingError).message).toMatch(msg);
      expect((e as StreamingError).grpcCode).toBe(3);
    }
  });
});

describe('protocol negotiation', () => {
  it('refuses a SPDY client with no common version: 403 naming what the server accepts', async () => {
    const res = await upgradeRequest(await exec(['true']), { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v9.channel.k8s.io' });
    expect(res.status).toBe(403);
    expect(res.body).toMatch(/unable to negotiate protocol: client supports \[v9.channel.k8s.io\], server accepts \[v4.channel.k8s.io v3/);
    expect(res.headers['x-accepted-stream-protocol-versions']).toContain('v4.channel.k8s.io');
  });

  it('refuses a SPDY client without a version header (400) and an unknown upgrade (400)', async () => {
    expect((await upgradeRequest(await exec(['true']), { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' })).status).toBe(400);
    const res = await upgradeRequest(await exec(['true']), { Connection: 'Upgrade', Upgrade: 'h2c' });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/missing upgrade headers/);
  });

  it('refuses a websocket subprotocol it does not speak (403)', async () => {
    const e = await dialUpgrade(await exec(['true']), 'websocket', ['v9.channel.k8s.io']).catch((x: StreamingError) => x);
    expect((e as StreamingError).status).toBe(403);
    expect((e as StreamingError).message).toMatch(/requested protocol\(s\) are not supported/);
  });

  it('picks the first version in the client\'s order', async () => {
    const { socket, protocol } = await dialUpgrade(await exec(['true']), 'spdy', ['v3.channel.k8s.io', 'v4.channel.k8s.io']);
    socket.destroy();
    expect(protocol).toBe('v3.channel.k8s.io');
  });

  it('speaks v2 (text errors on the error stream) to old SPDY clients', async () => {
    const { socket, head, protocol } = await dialUpgrade(await exec(['sh', '-c', 'exit 4'], { stderr: false }), 'spdy', ['v2.channel.k8s.io']);
    expect(protocol).toBe('v2.channel.k8s.io');
    const s = new SpdySession(socket, 'client', head);
    const error = await s.createStream({ streamType: 'error' });
    const stdout = await s.createStream({ streamType: 'stdout' });
    stdout.resume();
    const text = await collect(error);
    s.close();
    expect(text).toBe('command terminated with non-zero exit code: exit status 4');
  });
});

describe('wire format seen by other implementations', () => {
  it('the v4 error stream carries a metav1.Status with the ExitCode cause', async () => {
    const { socket, head } = await dialUpgrade(await exec(['sh', '-c', 'exit 42'], { stderr: false }), 'spdy', ['v4.channel.k8s.io']);
    const s = new SpdySession(socket, 'client', head);
    const error = await s.createStream({ streamType: 'error' });
    (await s.createStream({ streamType: 'stdout' })).resume();
    const status = JSON.parse(await collect(error));
    s.close();
    expect(status).toMatchObject({
      metadata: {},
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '42' }] },
    });
    expect(status.message).toMatch(/non-zero exit code/);
  });

  it('curl (a foreign HTTP client) gets the SPDY 101 with the negotiated version', async () => {
    expect(spawnSync('curl', ['--version']).status).toBe(0); // Debian's curl is part of the setup
    const upgrade = ['-sS', '-i', '-X', 'POST', '-H', 'Connection: Upgrade', '-H', 'Upgrade: SPDY/3.1'];
    // curl cannot speak SPDY after the 101, so it waits until --max-time; the headers are the point
    const ok = await curl([...upgrade, '--max-time', '1', '-H', 'X-Stream-Protocol-Version: v5.channel.k8s.io', '-H', 'X-Stream-Protocol-Version: v4.channel.k8s.io', await exec(['true'])]);
    expect(ok).toMatch(/^HTTP\/1.1 101 Switching Protocols\r\n/);
    expect(ok).toMatch(/\r\nUpgrade: SPDY\/3.1\r\n/);
    expect(ok).toMatch(/\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n/);
    const refused = await curl([...upgrade, '--max-time', '5', '-H', 'X-Stream-Protocol-Version: channel.k8s.io', await exec(['true'])]);
    expect(refused).toMatch(/^HTTP\/1.1 403 Forbidden\r\n/);
    expect(refused).toMatch(/X-Accepted-Stream-Protocol-Versions: v4.channel.k8s.io/);
  });

  it('the `ws` package (a foreign websocket client) sees the channel protocol', async () => {
    // ws 8 is in the workspace's node_modules as a dependency of other tools
    const url = (await exec(['sh', '-c', 'read x; echo "got $x"; echo oops >&2; exit 7'], { stdin: true })).replace('http:', 'ws:');
    const ws = await foreignWebSocket(url, ['v4.channel.k8s.io']);
    const messages: Buffer[] = [];
    ws.on('message', (m: Buffer) => messages.push(Buffer.from(m)));
    await once(ws, 'open');
    expect(ws.protocol).toBe('v4.channel.k8s.io');
    ws.send(Buffer.from('\x00hello\n'));
    const [code] = await once(ws, 'close');
    expect(code).toBe(1000);
    expect(messages[0]).toEqual(Buffer.from([1])); // the empty "ready" message on stdout
    const byChannel = (n: number) => Buffer.concat(messages.filter((m) => m[0] === n).map((m) => m.subarray(1))).toString();
    expect(byChannel(1)).toBe('got hello\n');
    expect(byChannel(2)).toBe('oops\n');
    expect(JSON.parse(byChannel(3))).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
  });

  it('base64 websocket channels work for browser-style clients', async () => {
    const url = (await exec(['sh', '-c', 'printf "\\001\\002binary"'])).replace('http:', 'ws:');
    const ws = await foreignWebSocket(url, ['v4.base64.channel.k8s.io']);
    const messages: string[] = [];
    ws.on('message', (m: Buffer, isBinary: boolean) => {
      expect(isBinary).toBe(false);
      messages.push(m.toString());
    });
    await once(ws, 'close');
    const out = Buffer.concat(messages.filter((m) => m[0] === '1').map((m) => Buffer.from(m.slice(1), 'base64')));
    expect(out).toEqual(Buffer.from('\x01\x02binary', 'latin1'));
    expect(JSON.parse(Buffer.concat(messages.filter((m) => m[0] === '3').map((m) => Buffer.from(m.slice(1), 'base64'))).toString())).toMatchObject({ status: 'Success' });
  });
});

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn('curl', args);
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    c.on('error', reject);
    c.on('exit', () => resolve(out));
  });
}

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function collect(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => {
    s.once('end', () => resolve(Buffer.concat(chunks).toString()));
    s.once('close', () => resolve(Buffer.concat(chunks).toString()));
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function upgradeRequest(url: string, headers: Record<string, string>): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '', headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
