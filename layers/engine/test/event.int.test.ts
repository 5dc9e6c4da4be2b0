// GET /events through the real docker CLI: a live stream that shows events as they happen,
// --since/--until replay that ends by itself, --filter, and the subscription released when the
// client goes away.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineEvents } from '../src/events';
import { serveRoutes, type DockerRun } from './imageHarness';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('docker events against the engine', () => {
  let dir: string;
  let sock: string;
  let events: EngineEvents;
  let docker: DockerRun;
  let close: () => Promise<void>;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-engine-ev-'));
    events = new EngineEvents();
    ({ docker, close, sock } = await serveRoutes(dir, events.routes()));
  });

  afterAll(async () => {
    await close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('streams live events with docker formatting until the client leaves', async () => {
    const child = spawn('docker', ['events', '--filter', 'type=container', '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.name}}'], {
      env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: path.join(dir, 'home', '.docker'), DOCKER_HOST: `unix://${sock}` },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 100 && events.subscriberCount === 0; i++) await sleep(50);
      expect(events.subscriberCount).toBe(1);
      events.emit('volume', 'create', 'ignored');
      events.emit('container', 'start', 'c1id', { name: 'c1', image: 'busybox' });
      for (let i = 0; i < 100 && !out.includes('\n'); i++) await sleep(50);
      expect(out).toBe('container start c1id c1\n');
    } finally {
      child.kill('SIGTERM');
    }
    for (let i = 0; i < 100 && events.subscriberCount > 0; i++) await sleep(50);
    expect(events.subscriberCount).toBe(0);
  });

  it('replays --since .. --until and ends; JSON keeps the legacy fields', async () => {
    const start = Date.now() / 1000;
    await sleep(20);
    events.emit('image', 'tag', 'sha256:abc', { name: 'x:1' });
    events.emit('container', 'die', 'c2id', { name: 'c2', image: 'alpine', exitCode: '3' });
    const r = await docker(['events', '--since', start.toFixed(3), '--until', (Date.now() / 1000 + 0.2).toFixed(3), '--format', '{{json .}}'], { timeout: 10_000 });
    expect(r.status, r.stderr).toBe(0);
    const got = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(got.map((e) => `${e.Type} ${e.Action}`)).toEqual(['image tag', 'container die']);
    expect(got[1]).toMatchObject({ status: 'die', id: 'c2id', from: 'alpine', scope: 'local', Actor: { Attributes: { exitCode: '3' } } });
    // an until in the past ends at once, with only the replay
    const past = await docker(['events', '--since', '1', '--until', start.toFixed(3), '--format', '{{.Action}}'], { timeout: 10_000 });
    expect(past.status).toBe(0);
    expect(past.stdout).not.toContain('tag');
    expect(events.subscriberCount).toBe(0);
  });

  it('refuses bad filters and times with 400 before streaming', async () => {
    const f = await docker(['events', '--filter', 'colour=red', '--until', '1']);
    expect(f.status).toBe(1);
    expect(f.stderr).toContain("invalid filter 'colour'");
    const res = await fetchOverSocket(sock, '/v1.50/events?since=yesterday');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toContain('invalid since value "yesterday"');
    const order = await fetchOverSocket(sock, '/v1.50/events?since=20&until=10');
    expect(order.status).toBe(400);
  });
});

async function fetchOverSocket(sock: string, p: string): Promise<{ status: number; body: string }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: p, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
