// The manager's state table (src/lifecycle.ts) as a model: fast-check runs random sequences of
// container/task operations against a real strata-manager (real shim, real runtime, real
// processes) and checks that every call is allowed exactly when the table says so, that a
// refusal carries the table's code, and that the state afterwards is the table's.
import fs from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagerClient } from '../src/client/client';
import { newContainer, removeContainer } from '../src/client/run';
import { ManagerError } from '../src/errors';
import { managerOps, nextState, opAllowed, type ManagerOp, type ManagerState } from '../src/lifecycle';
import { defaultImage, has, isRoot } from '@strata/shim/testing';
import { IMAGE, ManagerDaemon, managerBin } from './harness';

const ready = isRoot && has('ctr') && fs.existsSync(managerBin) && fs.existsSync(defaultImage);

/** The operations the model drives (exit is driven by kill -9 + waiting; see 'killTask'). */
const OPS: ManagerOp[] = ['createContainer', 'deleteContainer', 'createTask', 'startTask', 'pauseTask', 'resumeTask', 'killTask', 'deleteTask', 'execTask'];

describe.skipIf(!ready)('manager lifecycle table vs the real manager', () => {
  const m = new ManagerDaemon();
  let c: ManagerClient;
  beforeAll(() => {
    m.start();
    expect(m.ctr(['images', 'import', defaultImage]).status).toBe(0);
    c = new ManagerClient(m.sock, m.ns);
  }, 60_000);
  afterAll(() => {
    c?.close();
    m.stop();
  });

  const run = async (op: ManagerOp, id: string): Promise<string> => {
    try {
      switch (op) {
        case 'createContainer':
          await newContainer(c, { image: IMAGE, id, runtime: 'io.containerd.strata.v2', args: ['sleep', '300'] });
          break;
        case 'deleteContainer':
          await c.containers.delete(id);
          await c.snapshots().remove(id).catch(() => {});
          break;
        case 'createTask': {
          const ct = await c.containers.get(id).catch(() => undefined);
          const mounts = ct ? await c.snapshots().mounts(id) : [];
          await c.tasks.create({ containerId: id, rootfs: mounts });
          break;
        }
        case 'startTask':
          await c.tasks.start(id);
          break;
        case 'pauseTask':
          await c.tasks.pause(id);
          break;
        case 'resumeTask':
          await c.tasks.resume(id);
          break;
        case 'killTask':
          await c.tasks.kill(id, 9);
          // the exit follows the kill: wait for it so the next step sees 'stopped'
          await c.tasks.wait(id);
          break;
        case 'deleteTask':
          await c.tasks.delete(id);
          break;
        case 'execTask':
          await c.tasks.exec({ containerId: id, execId: `x${Math.random().toString(36).slice(2, 7)}`, spec: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process', value: new Uint8Array(Buffer.from(JSON.stringify({ args: ['true'], cwd: '/', user: { uid: 0, gid: 0 } }))) } });
          break;
        default:
          throw new Error(`no driver for ${op}`);
      }
      return 'OK';
    } catch (e) {
      if (e instanceof ManagerError) return e.code;
      throw e;
    }
  };

  it('every random sequence follows the table', async () => {
    let n = 0;
    await fc.assert(
      // Random sequences start from a random point of the usual path (nothing, a container, a
      // created task, a running task) so that every state is reached often.
      fc.asyncProperty(
        fc.tuple(fc.constantFrom<ManagerOp[]>([], ['createContainer'], ['createContainer', 'createTask'], ['createContainer', 'createTask', 'startTask']), fc.array(fc.constantFrom(...OPS), { minLength: 2, maxLength: 5 })),
        async ([prefix, rest]) => {
        const ops = [...prefix, ...rest];
        const id = `model-${n++}`;
        let state: ManagerState = 'none';
        try {
          for (const op of ops) {
            const got = await run(op, id);
            const expected = opAllowed(op, state) ? 'OK' : (managerOps[op].refusals?.[state]?.[0] ?? 'FAILED_PRECONDITION');
            expect({ op, state, got }).toEqual({ op, state, got: expected });
            if (got === 'OK') state = op === 'killTask' ? 'stopped' : nextState(op, state);
          }
        } finally {
          await removeContainer(c, id, { force: true }).catch(() => {});
        }
      }),
      { numRuns: 30 },
    );
    expect(m.bundles()).toEqual([]);
  }, 180_000);
});
