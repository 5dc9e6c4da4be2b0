// The shim's process states as a mermaid stateDiagram-v2, drawn from src/taskStates.ts (the
// table the service's guards use), one diagram for the init process and one for exec processes;
// beside each state, the calls it also accepts and the calls it refuses.
import { allowed, processStates, refusalCode, taskCalls, type ProcessKind, type TaskCall } from './taskStates';

export function shimProcessMermaid(): string {
  const lines = ['stateDiagram-v2', '    direction LR'];
  for (const kind of ['init', 'exec'] as ProcessKind[]) {
    const p = (s: string) => `${kind}_${s}`;
    lines.push(`    state "${kind === 'init' ? 'init process (the container): Task.Create' : 'exec process: Task.Exec'}" as ${kind} {`);
    // Only the states this kind of process can be in (an exec process is never paused itself).
    const used = processStates.filter((s) => s === 'created' || Object.values(taskCalls).some((r) => (r.from[kind] ?? []).includes(s) || (r.to === s && (r.from[kind] ?? []).length > 0)));
    for (const s of used) lines.push(`        ${p(s)}: ${s}`);
    lines.push(`        [*] --> ${p('created')}: ${kind === 'init' ? 'Create (runtime create)' : 'Exec (registered, nothing runs)'}`);
    for (const [call, rule] of Object.entries(taskCalls) as [TaskCall, (typeof taskCalls)[TaskCall]][]) {
      if (!rule.to) continue;
      for (const from of rule.from[kind] ?? []) {
        if (from === rule.to) continue;
        const label = call === 'exit' ? 'exit (reaper, TaskExit)' : call;
        lines.push(`        ${p(from)} --> ${p(rule.to)}: ${label}`);
      }
    }
    lines.push(`        ${p('deleted')} --> [*]`);
    // Beside each state: the calls it also accepts (they change no state) and those it refuses,
    // with the error the service answers (FAILED_PRECONDITION unless the table says otherwise).
    const calls = (Object.keys(taskCalls) as TaskCall[]).filter((c) => c !== 'exit' && (taskCalls[c].from[kind] ?? []).length > 0);
    for (const s of used) {
      if (s === 'deleted') continue;
      const ok = calls.filter((c) => allowed(c, kind, s) && !taskCalls[c].to);
      const refused = calls.filter((c) => !allowed(c, kind, s));
      lines.push(`        note right of ${p(s)}`);
      if (ok.length) lines.push(`            also accepts: ${ok.join(', ')}`);
      if (refused.length) lines.push(`            refuses: ${refused.map((c) => (refusalCode(c) === 'NOT_FOUND' ? `${c} (NOT_FOUND)` : c)).join(', ')}`);
      lines.push('        end note');
    }
    lines.push('    }');
  }
  return `${lines.join('\n')}\n`;
}
