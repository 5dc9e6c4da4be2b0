// Model-based test (fast-check fc.commands): random sequences of operations on a real container,
// each result predicted by the lifecycle table (src/lifecycle.ts). It checks both directions:
// an allowed operation succeeds and moves to the table's next state, and a refused one fails and
// leaves the state as if it were never attempted (runtime.md#errors).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isAllowed, nextState, operations, restore, type ContainerStatus, type Operation } from '../src/lifecycle';
import { sandbox, baseConfig, leaks, isRoot, built, uniqueId, type Sandbox } from './helpers';

type Model = { status: ContainerStatus | 'absent'; pausedFrom?: ContainerStatus; image?: string };

// checkpoint and restore join the random sequences only where CRIU works (`criu check`): the
// Debian 12 guest of scripts/vm (npm run test:checkpoint). Elsewhere they fail fast by design.
const criuWorks = spawnSync('sh', ['-c', 'command -v criu >/dev/null && criu check'], { encoding: 'utf8' }).status === 0;
let images = 0;
interface Real {
  sb: Sandbox;
  id: string;
  bundle: string;
}

function actualStatus(r: Real): ContainerStatus | 'absent' {
  const s = r.sb.rt(['state', r.id]);
  if (s.status !== 0) return 'absent';
  return JSON.parse(s.stdout).status as ContainerStatus;
}

function settle(r: Real, want: Model['status']): Model['status'] {
  const end = Date.now() + 5000;
  let got = actualStatus(r);
  while (got !== want && Date.now() < end) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    got = actualStatus(r);
  }
  return got;
}

class Op implements fc.Command<Model, Real> {
  constructor(readonly op: Operation | 'create' | 'delete-force' | 'restore') {}
  check(m: Readonly<Model>) {
    // Restored from a paused container's image, CRIU's freezer handling decides the state: keep
    // the model to images of running containers (paused checkpoints are refused-or-allowed by
    // the table all the same, they are just not generated).
    if (this.op === 'checkpoint') return m.status !== 'paused';
    return true;
  }
  run(m: Model, r: Real): void {
    const before = m.status;
    let args: string[];
    let allowed: boolean;
    let after: Model['status'];
    switch (this.op) {
      case 'create':
        args = ['create', '--bundle', r.bundle, r.id];
        allowed = before === 'absent';
        after = 'created';
        break;
      case 'delete':
      case 'delete-force': {
        const force = this.op === 'delete-force';
        args = ['delete', ...(force ? ['--force'] : []), r.id];
        // runc: `delete --force` of a container that does not exist succeeds (nothing to do).
        allowed = before === 'absent' ? force : isAllowed('delete', before, force);
        after = 'absent';
        break;
      }
      case 'kill':
        args = ['kill', r.id, 'KILL'];
        allowed = before !== 'absent' && isAllowed('kill', before);
        after = 'stopped';
        break;
      case 'checkpoint': {
        const img = path.join(r.sb.dir, `model-img-${++images}`);
        args = ['checkpoint', '--image-path', img, r.id];
        allowed = before !== 'absent' && isAllowed('checkpoint', before);
        // The table: the container is destroyed after a full dump (runc).
        after = allowed && operations.checkpoint.removes ? 'absent' : before;
        if (allowed) m.image = img;
        break;
      }
      case 'restore':
        args = ['restore', '-d', '--image-path', m.image ?? path.join(r.sb.dir, 'model-no-image'), '--bundle', r.bundle, r.id];
        allowed = before === 'absent' && !!m.image && fs.existsSync(m.image);
        after = restore.to;
        break;
      case 'exec':
        args = ['exec', r.id, 'true'];
        allowed = before !== 'absent' && isAllowed('exec', before);
        after = before;
        break;
      default:
        args = [this.op, r.id];
        allowed = before !== 'absent' && isAllowed(this.op, before as ContainerStatus);
        after = before === 'absent' ? 'absent' : nextState(this.op, before as ContainerStatus);
    }
    // The table's note on resume: a container paused while created goes back to created.
    if (this.op === 'resume' && m.pausedFrom === 'created') after = 'created';
    const res = r.sb.rt(args, { timeout: 600_000 });
    expect(res.status === 0, `${args.join(' ')} in ${before}: ${res.stderr}`).toBe(allowed);
    if (allowed) {
      if (this.op === 'pause') m.pausedFrom = before as ContainerStatus;
      m.status = after;
    }
    // Errors leave the state unchanged; successes reach the table's state.
    expect(settle(r, m.status), `after ${args.join(' ')} (was ${before})`).toBe(m.status);
  }
  toString() {
    return this.op;
  }
}

describe.skipIf(!isRoot || !built)('lifecycle model (fast-check, real containers)', () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = sandbox();
  });
  afterAll(() => sb.cleanup());

  it('every operation sequence follows the lifecycle table', () => {
    const names = ['create', 'start', 'state', 'kill', 'pause', 'resume', 'delete', 'delete-force', 'exec', ...(criuWorks ? (['checkpoint', 'restore'] as const) : [])] as const;
    const ops = names.map((o) => fc.constant(new Op(o)));
    fc.assert(
      fc.property(fc.commands(ops, { maxCommands: 8 }), (cmds) => {
        const id = uniqueId('model');
        // With CRIU, the process must hold no host files (the helpers give it files as stdio, which
        // CRIU cannot dump, "Can't lookup mount"): it moves its fds onto the container's /dev/null.
        const args = criuWorks ? ['sh', '-c', 'exec </dev/null >/dev/null 2>&1; exec sleep 60'] : ['sleep', '60'];
        const real: Real = { sb, id, bundle: sb.bundle(baseConfig(args)) };
        try {
          fc.modelRun(() => ({ model: { status: 'absent' } as Model, real }), cmds);
        } finally {
          sb.rt(['delete', '--force', id]);
          expect(leaks(id, [sb.root])).toEqual([]);
        }
      }),
      { numRuns: Number(process.env.STRATA_MODEL_RUNS ?? 8), endOnFailure: true },
    );
  });
});
