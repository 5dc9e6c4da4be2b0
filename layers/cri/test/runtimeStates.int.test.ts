// The state tables as a model of the real service: fast-check drives random sequences of CRI
// calls (plus the container's process exiting on its own) against CriRuntimeService on a real
// strata-manager, and checks every answer — success, no-op, or the refusal's gRPC code — and the
// state reported afterwards against src/runtime/states.ts.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriError } from '../src/runtime/errors';
import { containerRules, nextContainerState, nextSandboxState, sandboxRules, CONTAINER_STATE_NUMBER, type ContainerOp, type ContainerStateName, type SandboxStateName } from '../src/runtime/states';
import { RuntimeHarness, ready } from './runtimeHarness';

type ModelOp = ContainerOp | 'StopPodSandbox';
const OPS: ModelOp[] = ['CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ExecSync', 'exit', 'ContainerStatus', 'ReopenContainerLog', 'UpdateContainerResources', 'StopPodSandbox'];

describe.skipIf(!ready)('CRI state tables vs the real runtime service', () => {
  const h = new RuntimeHarness();
  const pods: string[] = [];
  beforeAll(async () => {
    h.start();
    await h.service();
  }, 60_000);
  afterAll(async () => {
    await h.stop();
  });

  const code = async (fn: () => Promise<unknown>): Promise<string> => {
    try {
      await fn();
      return 'OK';
    } catch (e) {
      if (e instanceof CriError) return String(e.grpcCode);
      throw e;
    }
  };

  /** What the tables predict: the sandbox rule first (CreateContainer needs a ready pod), then the container's. */
  const predict = (op: ModelOp, pod: SandboxStateName, ctr: ContainerStateName): string => {
    const refusalOf = (r: { from: readonly string[]; noop?: readonly string[]; refusal: [string, string]; refusals?: Record<string, [string, string] | undefined> }, s: string) =>
      r.from.includes(s) || r.noop?.includes(s) ? 'OK' : String({ NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9, INVALID_ARGUMENT: 3 }[(r.refusals?.[s] ?? r.refusal)[0]]);
    if (op === 'StopPodSandbox') return refusalOf(sandboxRules.StopPodSandbox as never, pod);
    if (op === 'CreateContainer') {
      // The sandbox's state is checked before the container's name (a pod that is not ready
      // refuses every CreateContainer, FAILED_PRECONDITION, even one whose name is taken).
      const p = refusalOf(sandboxRules.CreateContainer as never, pod);
      if (p !== 'OK') return p;
    }
    if (op === 'StartContainer' && ctr === 'created' && pod !== 'ready') return '9';
    return refusalOf(containerRules[op] as never, ctr);
  };

  it('random call sequences follow the tables', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...OPS), { minLength: 3, maxLength: 6 }), async (ops) => {
        const cfg = h.podConfig(`model-${n++}`);
        const { podSandboxId } = await h.svc.RunPodSandbox({ config: cfg });
        pods.push(podSandboxId);
        let pod: SandboxStateName = 'ready';
        let ctr: ContainerStateName = 'none';
        let id = 'f'.repeat(64);
        try {
          for (const op of ['CreateContainer' as ModelOp, ...ops]) {
            const expected = predict(op, pod, ctr);
            let got: string;
            switch (op) {
              case 'CreateContainer':
                got = await code(async () => {
                  id = (await h.svc.CreateContainer({ podSandboxId, config: h.containerConfig('m', ['sleep', '300']), sandboxConfig: cfg })).containerId;
                });
                break;
              case 'exit':
                // the process ends on its own (killed from outside the CRI), then the table's 'exit'
                got = ctr === 'running' ? 'OK' : String(9);
                if (ctr === 'running') {
                  await h.client.tasks.kill(id, 9);
                  const end = Date.now() + 10_000;
                  while (Date.now() < end && (await h.svc.ContainerStatus({ containerId: id })).status.state !== 2) await new Promise((r) => setTimeout(r, 50));
                }
                break;
              case 'StopPodSandbox':
                got = await code(() => h.svc.StopPodSandbox({ podSandboxId }));
                break;
              case 'ExecSync':
                got = await code(() => h.svc.ExecSync({ containerId: id, cmd: ['true'], timeout: 10 }));
                break;
              case 'UpdateContainerResources':
                got = await code(() => h.svc.UpdateContainerResources({ containerId: id, linux: { cpuShares: 256 } }));
                break;
              default:
                got = await code(() => (h.svc as unknown as Record<string, (r: object) => Promise<unknown>>)[op]({ containerId: id, timeout: 0 }));
            }
            expect({ op, pod, ctr, got }).toEqual({ op, pod, ctr, got: expected });
            if (got === 'OK') {
              if (op === 'StopPodSandbox') {
                pod = nextSandboxState('StopPodSandbox', pod);
                if (ctr === 'running') ctr = 'exited'; // stopping a pod stops its containers
              } else ctr = nextContainerState(op, ctr);
            }
            if (ctr !== 'none') expect((await h.svc.ContainerStatus({ containerId: id })).status.state).toBe(CONTAINER_STATE_NUMBER[ctr]);
          }
        } finally {
          await h.svc.RemovePodSandbox({ podSandboxId });
        }
      }),
      { numRuns: 8 },
    );
    expect(h.leaks(pods)).toEqual({ netns: [], veths: [], ips: [], portmapRules: [], managerContainers: '' });
  }, 400_000);
});
