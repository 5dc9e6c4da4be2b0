// diagrams/cri-sandbox.mmd and diagrams/cri-container.mmd, drawn from states.ts.
import { containerRules, containerStates, sandboxRules, sandboxStates, type Rule } from './states';

const LABEL: Record<string, string> = {
  none: 'no such object',
  ready: 'SANDBOX_READY (pause running, network set up)',
  notready: 'SANDBOX_NOTREADY (stopped, network torn down)',
  created: 'CONTAINER_CREATED',
  running: 'CONTAINER_RUNNING',
  exited: 'CONTAINER_EXITED (exit code, reason kept)',
  unknown: 'CONTAINER_UNKNOWN (task lost)',
};

function draw<S extends string>(states: readonly S[], rules: Record<string, Rule<S>>): string {
  const lines = ['stateDiagram-v2', '    direction LR'];
  for (const s of states) lines.push(`    ${s}: ${LABEL[s]}`);
  lines.push('    [*] --> none');
  for (const [call, rule] of Object.entries(rules)) {
    if (!rule.to) continue;
    for (const from of rule.from) if (from !== rule.to) lines.push(`    ${from} --> ${rule.to}: ${call}`);
  }
  for (const s of states) {
    const also = Object.entries(rules).filter(([, r]) => !r.to && r.from.includes(s)).map(([c]) => c);
    if (also.length) lines.push(`    note right of ${s}: also ${also.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

export const sandboxStatesMermaid = (): string => draw(sandboxStates, sandboxRules);
export const containerStatesMermaid = (): string => draw(containerStates, containerRules);
