// The state table's own consistency, and the diagram drawn from it.
import { describe, expect, it } from 'vitest';
import { HTTP_STATUS } from '../src/errors';
import { assertAllowed, containerOps, containerStates, opAllowed, StateRefusal, type ContainerOp } from '../src/states';
import { containerStatesMermaid } from '../src/statesDiagram';

describe('container states table', () => {
  it('names only known states', () => {
    for (const [op, rule] of Object.entries(containerOps)) {
      for (const s of rule.from) expect(containerStates, op).toContain(s);
      if (rule.to && rule.to !== 'gone') expect(containerStates, op).toContain(rule.to);
      for (const s of Object.keys(rule.refusals)) expect(containerStates, op).toContain(s);
      for (const s of Object.keys(rule.refusals)) expect(rule.from, `${op} both allows and refuses ${s}`).not.toContain(s);
    }
  });

  it("refuses with docker's words and status", () => {
    const c = { id: 'abc', name: '/web' };
    expect(() => assertAllowed('remove', 'running', c)).toThrow('cannot remove container "/web": container is running: stop the container before removing or force remove');
    try {
      assertAllowed('start', 'running', c);
    } catch (e) {
      expect(e).toBeInstanceOf(StateRefusal);
      expect((e as StateRefusal).status).toBe(HTTP_STATUS.notModified);
    }
    expect(() => assertAllowed('unpause', 'running', c)).toThrow('container abc is not paused');
    expect(opAllowed('forceRemove', 'running')).toBe(true);
  });

  it('draws every transition in the mermaid diagram', () => {
    const m = containerStatesMermaid();
    expect(m.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const op of Object.keys(containerOps) as ContainerOp[]) {
      const rule = containerOps[op];
      if (rule.to) expect(m).toContain(rule.call.replaceAll('{id}', 'ID'));
    }
    for (const s of containerStates) expect(m).toContain(s);
  });
});
