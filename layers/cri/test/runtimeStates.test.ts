// The CRI state tables (src/runtime/states.ts) as pure data: what they allow, what they refuse
// and with which code, and the mermaid diagrams drawn from them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CriError } from '../src/runtime/errors';
import { assertContainer, assertSandbox, containerRules, containerStates, nextContainerState, sandboxRules, sandboxStates, type ContainerOp, type SandboxOp } from '../src/runtime/states';
import { containerStatesMermaid, sandboxStatesMermaid } from '../src/runtime/statesDiagram';

describe('CRI state tables', () => {
  it('every container op is allowed, a no-op, or refused with a gRPC code, as the table says', () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(containerRules) as ContainerOp[])), fc.constantFrom(...containerStates), (op, state) => {
        const rule = containerRules[op];
        if (rule.from.includes(state)) expect(assertContainer(op, state, 'c1')).toBe('run');
        else if (rule.noop?.includes(state)) expect(assertContainer(op, state, 'c1')).toBe('noop');
        else {
          try {
            assertContainer(op, state, 'c1');
            throw new Error('not refused');
          } catch (e) {
            expect(e).toBeInstanceOf(CriError);
            expect([3, 5, 6, 9]).toContain((e as CriError).grpcCode);
            expect((e as CriError).message).toContain('c1');
          }
        }
      }),
    );
  });

  it('the kubelet-facing rules: missing objects are NOT_FOUND, retries of stop/remove succeed', () => {
    for (const op of ['StartContainer', 'ExecSync', 'ContainerStatus'] as ContainerOp[]) expect(() => assertContainer(op, 'none', 'x')).toThrow(expect.objectContaining({ grpcCode: 5 }));
    expect(assertContainer('RemoveContainer', 'none', 'x')).toBe('noop');
    expect(assertContainer('StopContainer', 'exited', 'x')).toBe('noop');
    expect(assertSandbox('RemovePodSandbox', 'none', 'p')).toBe('noop');
    expect(assertSandbox('StopPodSandbox', 'notready', 'p')).toBe('noop');
    expect(() => assertSandbox('CreateContainer', 'notready', 'p')).toThrow(expect.objectContaining({ grpcCode: 9 }));
    expect(() => assertContainer('StartContainer', 'running', 'x')).toThrow(expect.objectContaining({ grpcCode: 9 }));
    expect(nextContainerState('StartContainer', 'created')).toBe('running');
    expect(nextContainerState('StartContainer', 'exited')).toBe('exited');
    for (const op of Object.keys(sandboxRules) as SandboxOp[]) for (const s of sandboxStates) expect(() => assertSandbox(op, s, 'p')).not.toThrow(TypeError);
  });

  it('draws both tables as mermaid state diagrams', () => {
    const c = containerStatesMermaid();
    expect(c.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(c).toContain('created --> running: StartContainer');
    expect(c).toContain('running --> exited: exit');
    expect(c).toContain('exited --> none: RemoveContainer');
    expect(c).toMatch(/note right of running: also .*ExecSync/);
    const s = sandboxStatesMermaid();
    expect(s).toContain('none --> ready: RunPodSandbox');
    expect(s).toContain('ready --> notready: StopPodSandbox');
    expect(s).toContain('notready --> none: RemovePodSandbox');
  });
});
