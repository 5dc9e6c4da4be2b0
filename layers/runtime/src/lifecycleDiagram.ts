// The container lifecycle as a mermaid stateDiagram-v2, drawn from the same table the guards use
// (src/lifecycle.ts), so the picture in diagrams/ and the READMEs cannot drift from the code.
import { operations, states, create, restore, processExit, isAllowed, type Operation } from './lifecycle';

export function lifecycleMermaid(): string {
  const lines = ['stateDiagram-v2', '    direction LR'];
  lines.push(`    [*] --> ${create.via}: create`);
  lines.push(`    ${create.via} --> ${create.to}: init ready (exec.fifo waiting)`);
  lines.push(`    [*] --> ${restore.to}: restore (CRIU)`);
  for (const [op, rule] of Object.entries(operations) as [Operation, (typeof operations)[Operation]][]) {
    if ('removes' in rule) for (const from of rule.from) lines.push(`    ${from} --> [*]: ${op} (CRIU dump)`);
    const to = 'to' in rule ? rule.to : undefined;
    if (!to) continue;
    for (const from of rule.from) lines.push(`    ${from} --> ${to}: ${op}`);
  }
  for (const from of processExit.from) lines.push(`    ${from} --> ${processExit.to}: process exits / kill`);
  lines.push(`    stopped --> [*]: delete`);
  const force = (operations.delete.force as readonly string[]).filter((s) => s !== 'creating');
  for (const s of force) lines.push(`    ${s} --> [*]: delete --force`);
  lines.push(`    created --> [*]: delete (kills it, as runc)`);
  // The refusals, beside the diagram: what each state does not allow.
  for (const s of states) {
    const refused = (Object.keys(operations) as Operation[]).filter((op) => !isAllowed(op, s));
    if (refused.length) lines.push(`    note right of ${s}: refuses ${refused.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
