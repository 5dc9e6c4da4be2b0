// diagrams/manager-container-task.mmd, drawn from src/lifecycle.ts.
import { managerOps, managerStates, opAllowed, type ManagerOp } from './lifecycle';

const LABEL: Record<string, string> = {
  none: 'no container',
  container: 'container (record only, no task)',
  created: 'task created',
  running: 'task running',
  paused: 'task paused',
  stopped: 'task stopped',
};

export function managerLifecycleMermaid(): string {
  const lines = ['stateDiagram-v2', '    direction LR'];
  for (const s of managerStates) lines.push(`    ${s}: ${LABEL[s]}`);
  lines.push('    [*] --> none');
  for (const rule of Object.values(managerOps)) {
    if (!rule.to) continue;
    for (const from of rule.from) if (from !== rule.to) lines.push(`    ${from} --> ${rule.to}: ${rule.call}`);
  }
  for (const s of managerStates) {
    const also = (Object.keys(managerOps) as ManagerOp[]).filter((op) => !managerOps[op].to && opAllowed(op, s)).map((op) => managerOps[op].call);
    if (also.length) lines.push(`    note right of ${s}: also ${also.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
