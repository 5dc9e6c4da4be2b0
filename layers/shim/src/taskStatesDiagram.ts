// The shim's process states as a mermaid stateDiagram-v2, drawn from src/taskStates.ts (the
// table the service's guards use), one diagram for the init process and one for exec processes.
import { allowed, processStates, taskCalls, type ProcessKind, type TaskCall } from './taskStates';

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
    for (const s of used) {
      const ok = (Object.keys(taskCalls) as TaskCall[]).filter((c) => c !== 'exit' && allowed(c, kind, s) && !taskCalls[c].to);
      if (ok.length && s !== 'deleted') lines.push(`        note right of ${p(s)}: also ${ok.join(', ')}`);
    }
    lines.push('    }');
  }
  return `${lines.join('\n')}\n`;
}
