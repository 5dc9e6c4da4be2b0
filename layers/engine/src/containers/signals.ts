// Signal names and numbers as docker accepts them (moby's pkg/signal.ParseSignal): "9", "KILL",
// "SIGKILL", case-insensitive; Linux x86_64 numbering.
import os from 'node:os';
import { invalidParam } from '../errors';

const BY_NAME: Record<string, number> = Object.fromEntries(Object.entries(os.constants.signals).map(([k, v]) => [k.replace(/^SIG/, ''), v]));
// realtime signals, as docker lists them (RTMIN=34 on Linux)
for (let i = 0; i <= 30; i++) {
  BY_NAME[`RTMIN+${i}`] = 34 + i;
  BY_NAME[`RTMAX-${i}`] = 64 - i;
}
BY_NAME.RTMIN = 34;
BY_NAME.RTMAX = 64;

export function parseSignal(s: string): number {
  const t = s.trim();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    if (n < 1 || n > 64) throw invalidParam(`Invalid signal: ${s}`);
    return n;
  }
  const n = BY_NAME[t.toUpperCase().replace(/^SIG/, '')];
  if (!n) throw invalidParam(`Invalid signal: ${s}`);
  return n;
}
