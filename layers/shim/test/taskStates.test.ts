// The shim's process state table: every guard and transition the service uses comes from it.
// A fast-check model walks random call sequences through the table and checks its invariants.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allowed, assertAllowed, nextState, processStates, StateRefusal, taskCalls, STATUS_NUMBER, type ProcessKind, type TaskCall } from '../src/taskStates';
import { ShimProcess } from '../src/process';

const calls = Object.keys(taskCalls) as TaskCall[];

describe('shim process state table', () => {
  it('names only known states', () => {
    for (const [call, rule] of Object.entries(taskCalls)) {
      for (const s of [...(rule.from.init ?? []), ...(rule.from.exec ?? []), ...(rule.to ? [rule.to] : [])]) expect(processStates, call).toContain(s);
    }
  });

  it('exec processes cannot be paused or resumed on their own, nor updated', () => {
    for (const s of processStates) for (const c of ['pause', 'resume', 'update'] as const) expect(allowed(c, 'exec', s)).toBe(false);
  });

  it('refusals say what was refused and in which state', () => {
    expect(() => assertAllowed('start', 'init', 'running')).toThrow(new StateRefusal('start', 'running'));
    expect(new StateRefusal('start', 'running').message).toBe('cannot start a process in state running');
  });

  it('maps states to containerd Status numbers', () => {
    expect(STATUS_NUMBER).toMatchObject({ created: 1, running: 2, stopped: 3, paused: 4 });
  });

  it('random call sequences: a refused call changes nothing, deleted is final, stopped never runs again', () => {
    fc.assert(
      fc.property(fc.constantFrom<ProcessKind>('init', 'exec'), fc.array(fc.constantFrom(...calls), { maxLength: 30 }), (kind, seq) => {
        const p = new ShimProcess(kind, 'x', { stdin: '', stdout: '', stderr: '', terminal: false });
        let stoppedOnce = false;
        for (const call of seq) {
          const before = p.state;
          try {
            p.check(call);
            if (call === 'exit') p.setExited({ pid: 1, status: 0, at: new Date() });
            else p.apply(call);
            expect(p.state).toBe(call === 'exit' ? 'stopped' : nextState(call, before));
          } catch (e) {
            expect(e).toBeInstanceOf(StateRefusal);
            expect(p.state).toBe(before);
          }
          if (p.state === 'stopped') stoppedOnce = true;
          if (stoppedOnce) expect(['stopped', 'deleted']).toContain(p.state);
        }
      }),
    );
  });
});
