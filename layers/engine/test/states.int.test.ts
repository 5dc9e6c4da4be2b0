// The engine's state table (src/states.ts) as a model: fast-check runs random sequences of
// container operations through the Engine API of a real strata-engine (real manager, shim,
// runtime, processes) and checks that each call succeeds exactly when the table allows it, that
// a refusal carries the table's HTTP status, and that the state afterwards is the table's.
import fs from 'node:fs';
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../src/errors';
import { containerOps, nextState, opAllowed, type ContainerOp, type ContainerState } from '../src/states';
import { EngineDaemon, haveDocker } from './engineHarness';

const isRoot = process.getuid?.() === 0;

function api(sock: string, method: string, p: string, body?: object): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : '';
    const req = http.request({ socketPath: sock, method, path: `/v1.50${p}`, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The operations the model drives, and the request for each. */
const OPS: ContainerOp[] = ['start', 'stop', 'kill', 'pause', 'unpause', 'restart', 'remove', 'forceRemove', 'exec'];
const REQUEST: Record<string, [string, (id: string) => string, object?]> = {
  start: ['POST', (id) => `/containers/${id}/start`],
  stop: ['POST', (id) => `/containers/${id}/stop?t=0`],
  kill: ['POST', (id) => `/containers/${id}/kill`],
  pause: ['POST', (id) => `/containers/${id}/pause`],
  unpause: ['POST', (id) => `/containers/${id}/unpause`],
  restart: ['POST', (id) => `/containers/${id}/restart?t=0`],
  remove: ['DELETE', (id) => `/containers/${id}`],
  forceRemove: ['DELETE', (id) => `/containers/${id}?force=1`],
  exec: ['POST', (id) => `/containers/${id}/exec`, { Cmd: ['true'] }],
};

describe.skipIf(!isRoot || !haveDocker)('engine container states table vs the real engine', () => {
  const e = new EngineDaemon();
  beforeAll(() => e.start(), 90_000);
  afterAll(() => e.stop(), 60_000);

  async function stateOf(id: string): Promise<ContainerState | 'gone'> {
    const r = await api(e.sock, 'GET', `/containers/${id}/json`);
    return r.status === 404 ? 'gone' : r.json.State.Status;
  }

  it('every random sequence follows the table', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...OPS), { minLength: 2, maxLength: 6 }), async (ops) => {
        const created = await api(e.sock, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: 'none' } });
        expect(created.status).toBe(201);
        const id: string = created.json.Id;
        let state: ContainerState | 'gone' = 'created';
        try {
          for (const op of ops) {
            if (state === 'gone') break;
            const [method, url, body] = REQUEST[op];
            const got = (await api(e.sock, method, url(id), body)).status;
            const rule = containerOps[op];
            const allowed = opAllowed(op, state);
            const expected = allowed ? [200, 201, 204] : [HTTP_STATUS[(rule.refusals[state] ?? rule.refusal)[0]]];
            expect({ op, state, got: expected.includes(got) ? 'as the table says' : got }).toEqual({ op, state, got: 'as the table says' });
            if (!allowed) continue;
            // a SIGKILL is followed by the exit: wait for it (the table's 'exit' transition)
            if (op === 'kill') {
              await api(e.sock, 'POST', `/containers/${id}/wait?condition=not-running`);
              state = nextState('exit', state);
            } else state = nextState(op, state);
            expect({ op, state: await stateOf(id) }).toEqual({ op, state });
          }
        } finally {
          await api(e.sock, 'DELETE', `/containers/${id}?force=1`);
        }
      }),
      { numRuns: 25 },
    );
    expect(e.leaks()).toEqual([]);
  }, 300_000);
});
