// Property-based lifecycle conformance: fast-check generates random operation sequences, runs
// them against the real runtime, and checks every result against the lifecycle table that
// layers/runtime also uses (@strata/runtime/lifecycle): one table, so the model cannot drift.
//   - an operation the table allows must succeed and lead to a predicted state;
//   - an operation it forbids must fail AND leave the state unchanged (runtime.md#errors:
//     "generating an error MUST leave the state of the environment as if the operation were
//     never attempted").
// A failure is shrunk by fast-check to a minimal sequence and printed as a shell script.
import fc from 'fast-check';
import { isAllowed, type ContainerStatus, type Operation } from '@strata/runtime/lifecycle';
import type { TestContext } from '../framework/context';
import { serializeConfig } from '../framework/configBuilder';
import { commandLine } from '../framework/spawnBounded';
import type { RuntimeCall } from '../framework/runtimeDriver';
import { ConformanceFailure } from '../framework/testCase';

type Status = ContainerStatus | 'absent';

interface Model {
  status: Status;
  /** SIGKILL was sent while frozen: the process dies when thawed. */
  doomed: boolean;
  /** The state before `pause` (runc resumes a paused created container back to created). */
  pausedFrom?: Status;
  /**
   * SIGTERM went to a created container that was still created afterwards: its init (the
   * runtime's helper, e.g. runc's Go init) may act on it later, so "stopped" can appear at any
   * later point without an operation causing it.
   */
  termPending?: boolean;
}

interface Real {
  ctx: TestContext;
  id: string;
  bundle: string;
  log: string[];
}

type OpName = 'create' | 'start' | 'state' | 'kill KILL' | 'kill TERM' | 'pause' | 'resume' | 'delete' | 'delete --force';

interface Prediction {
  /** 'either' where the spec says nothing (runc-CLI options such as --force on an unknown id). */
  ok: boolean | 'either';
  /** Acceptable statuses after the operation (several when the kernel decides, e.g. frozen + KILL). */
  next: Status[];
}

/** What the lifecycle table says `op` does in `m`. */
export function predict(op: OpName, m: Model): Prediction {
  const s = m.status;
  if (op === 'create') return s === 'absent' ? { ok: true, next: ['created'] } : { ok: false, next: [s] };
  // `delete --force` of an unknown id: --force is a CLI convention (like rm -f), not runtime.md.
  if (s === 'absent') return { ok: op === 'delete --force' ? 'either' : false, next: ['absent'] };
  const tableOp: Operation = op.startsWith('kill') ? 'kill' : op.startsWith('delete') ? 'delete' : (op as Operation);
  const allowed = isAllowed(tableOp, s, op === 'delete --force');
  if (!allowed) return { ok: false, next: [s] };
  switch (op) {
    case 'state':
      return { ok: true, next: [s] };
    case 'start':
      return { ok: true, next: ['running', 'stopped'] }; // sleep runs; stopped only if it died
    case 'kill KILL':
      // SIGKILL ends the process, unless its cgroup is frozen: then it dies on resume.
      return { ok: true, next: s === 'paused' ? ['paused', 'stopped'] : ['stopped'] };
    case 'kill TERM':
      // pid 1 of a pid namespace ignores signals it has no handler for (busybox sleep has none);
      // a created container's init is the runtime's own helper, which may handle TERM.
      return { ok: true, next: s === 'created' ? ['created', 'stopped'] : [s] };
    case 'pause':
      return { ok: true, next: ['paused'] };
    case 'resume': {
      // The table says running; runc returns a container paused while created to created.
      const back: Status[] = m.pausedFrom === 'created' ? ['running', 'created'] : ['running'];
      return { ok: true, next: m.doomed ? [...back, 'stopped'] : back };
    }
    case 'delete':
    case 'delete --force':
      return { ok: true, next: ['absent'] };
    default:
      return { ok: false, next: [s] };
  }
}

class LifecycleCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly op: OpName) {}
  check(): boolean {
    return true; // every operation is legal to *attempt*; the prediction says whether it may succeed
  }
  async run(m: Model, r: Real): Promise<void> {
    const { ctx, id } = r;
    // A pending SIGTERM may have ended a created container since the last step: start from what
    // the runtime reports, not from the model's memory.
    if (m.termPending) {
      const now = ((await ctx.runtime.status(id)) as Status | undefined) ?? 'absent';
      if (now !== m.status) m.status = now;
      if (now !== 'created') m.termPending = false;
    }
    const before = m.status;
    // ...and during this step too: created -> stopped is then nobody's fault.
    const drift = (s: Status) => !!m.termPending && before === 'created' && s === 'stopped';
    const want = predict(this.op, m);
    const call = await this.invoke(r);
    r.log.push(call.line.replace(ctx.runtime.binary, '"$RUNTIME"').replace(ctx.runtime.root, '"$ROOT"'));
    let status: Status = (await ctx.runtime.status(id)) as Status | undefined ?? 'absent';
    // (An operation that failed because the pending SIGTERM ended the container meanwhile is not
    // a wrong answer: the container was no longer in the state the table was asked about.)
    if (want.ok !== 'either' && call.ok !== want.ok && !(drift(status) && !call.ok)) {
      throw new Error(`${this.op} in state ${before}: the lifecycle table says it must ${want.ok ? 'succeed' : 'fail'}, the runtime ${call.ok ? 'succeeded' : `failed: ${call.stderr.trim().split('\n').pop()}`}`);
    }
    if (!call.ok && status !== before && !drift(status)) {
      throw new Error(`${this.op} in state ${before} failed as required but changed the state to ${status} (runtime.md#errors)`);
    }
    // Signals act asynchronously: poll (bounded) until the state is one the model accepts.
    if (drift(status)) want.next.push('stopped');
    for (let i = 0; i < 40 && !want.next.includes(status); i++) {
      await new Promise((res) => setTimeout(res, 50));
      status = ((await ctx.runtime.status(id)) as Status | undefined) ?? 'absent';
    }
    if (!want.next.includes(status)) throw new Error(`${this.op} in state ${before}: expected state ${want.next.join(' or ')}, state says ${status}`);
    if (this.op === 'kill KILL' && before === 'paused') m.doomed = true;
    if (this.op === 'pause' && call.ok) m.pausedFrom = before;
    if (this.op === 'kill TERM' && before === 'created' && status === 'created') m.termPending = true;
    if (status !== 'created') m.termPending = false;
    if (status === 'absent' || status === 'stopped') m.doomed = false;
    m.status = status;
  }
  private invoke(r: Real): Promise<RuntimeCall> {
    const d = r.ctx.runtime;
    switch (this.op) {
      case 'create':
        return d.create(r.id, r.bundle, { stdoutFile: `${r.bundle}/stdout.log`, stderrFile: `${r.bundle}/stderr.log` });
      case 'start':
        return d.start(r.id);
      case 'state':
        return d.state(r.id).then((s) => s.call);
      case 'kill KILL':
        return d.kill(r.id, 'KILL');
      case 'kill TERM':
        return d.kill(r.id, 'TERM');
      case 'pause':
        return d.pause(r.id);
      case 'resume':
        return d.resume(r.id);
      case 'delete':
        return d.delete(r.id);
      case 'delete --force':
        return d.delete(r.id, true);
    }
  }
  toString(): string {
    return this.op;
  }
}

/** The operations runtime.md defines (the MUST property). */
export const SPEC_OPS: OpName[] = ['create', 'start', 'state', 'kill KILL', 'kill TERM', 'delete'];
/** Plus the runc CLI's pause/resume and delete --force (callers rely on them; not in runtime.md). */
export const RUNC_OPS: OpName[] = [...SPEC_OPS, 'pause', 'resume', 'delete --force'];

/** A replayable shell script for a failing sequence. */
export function replayScript(runtime: string, config: string, lines: string[], failure: string): string {
  return [
    '#!/bin/sh',
    `# strata-spec-tests lifecycle property failure: ${failure.replace(/\n/g, ' ')}`,
    '# build a rootfs first: bash scripts/busybox-rootfs.sh /tmp/strata-replay/rootfs (root.path below)',
    `RUNTIME=${commandLine([runtime])}`,
    'ROOT=$(mktemp -d); BUNDLE=$(mktemp -d)',
    "cat > \"$BUNDLE/config.json\" <<'CONFIG'",
    config.trimEnd(),
    'CONFIG',
    'set -x',
    ...lines.map((l) => l.replace(/--bundle \S+/, '--bundle "$BUNDLE"')),
    '"$RUNTIME" --root "$ROOT" delete --force "$(ls "$ROOT" | head -n1)" 2>/dev/null; rm -rf "$ROOT" "$BUNDLE"',
    '',
  ].join('\n');
}

export async function runLifecycleProperty(ctx: TestContext, ops: OpName[]): Promise<void> {
  const config = ctx.config(['sleep', '300']);
  const bundle = ctx.bundle(config, 'bundle-property');
  let lastLog: string[] = [];
  let run = 0;
  const property = fc.asyncProperty(fc.commands(ops.map((op) => fc.constant(new LifecycleCommand(op))), { maxCommands: ctx.options.propertyMaxCommands }), async (cmds) => {
    const real: Real = { ctx, id: ctx.newId(`p${++run}`), bundle, log: [] };
    lastLog = real.log;
    try {
      await fc.asyncModelRun(() => ({ model: { status: 'absent', doomed: false } as Model, real }), cmds);
    } finally {
      // Each run leaves nothing behind for the next one.
      if ((await ctx.runtime.state(real.id)).call.ok) await ctx.runtime.delete(real.id, true);
    }
  });
  const result = await fc.check(property, {
    numRuns: ctx.options.propertyRuns,
    seed: ctx.options.propertySeed,
    interruptAfterTimeLimit: 90_000,
    markInterruptAsFailure: false,
  });
  if (result.failed) {
    // After shrinking, fast-check re-ran the minimal counterexample last: lastLog is its trace.
    const failure = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
    const script = replayScript(ctx.info.invoke, serializeConfig(config), lastLog, failure);
    ctx.log(`lifecycle property: minimal failing sequence (seed ${result.seed}, path ${result.counterexamplePath}):\n${script}`);
    throw new ConformanceFailure(`${failure} — minimal sequence: ${String(result.counterexample?.[0])}; replay with --property-seed ${result.seed} or the script printed on stderr`);
  }
}
