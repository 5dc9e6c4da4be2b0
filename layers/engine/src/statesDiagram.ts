// diagrams/engine-container-states.mmd, drawn from src/states.ts.
import { containerOps, containerStates, opAllowed, type ContainerOp } from './states';

/** Mermaid reads braces in labels as syntax: show /containers/{id}/start as /containers/ID/start. */
const label = (call: string) => call.replaceAll('{id}', 'ID');

export function containerStatesMermaid(): string {
  const lines = ['stateDiagram-v2', '    direction LR', '    [*] --> created: POST /containers/create'];
  // One arrow per pair of states, labelled with every call that makes that move (else the many
  // DELETE and restart arrows make the picture unreadable).
  const edges = new Map<string, string[]>();
  for (const op of Object.keys(containerOps) as ContainerOp[]) {
    const rule = containerOps[op];
    if (!rule.to) continue;
    for (const from of rule.from) {
      if (from === rule.to) continue;
      const key = `${from} --> ${rule.to === 'gone' ? '[*]' : rule.to}`;
      if (!edges.has(key)) edges.set(key, []);
      const l = label(rule.call);
      if (!edges.get(key)!.includes(l)) edges.get(key)!.push(l);
    }
  }
  for (const [key, labels] of edges) {
    // "DELETE /containers/ID" and "DELETE /containers/ID?force=1" on one arrow: say it once
    const shown = labels.filter((l) => !(l.endsWith('?force=1') && labels.includes(l.slice(0, -'?force=1'.length))));
    lines.push(`    ${key}: ${shown.join(', ')}`);
  }
  // removing is transient: the removal itself passes through it (declared, or mermaid has no
  // state to pin the note to)
  lines.push('    removing: removing (transient)', '    note right of removing: while DELETE /containers/ID runs');
  for (const s of containerStates) {
    const also = (Object.keys(containerOps) as ContainerOp[]).filter((op) => !containerOps[op].to && opAllowed(op, s)).map((op) => label(containerOps[op].call.split(' ').slice(-1)[0]));
    if (also.length) lines.push(`    note left of ${s}: also ${also.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
