// Where labs live and what the student has done: <home>/NN-slug/ per lab, and <home>/.labs.json
// (started, hints shown, passed). <home> is $STRATA_LAB_HOME or ~/strata-labs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab, LabContext } from './lab';

export interface LabState {
  started?: string;
  passed?: string;
  hintsShown?: number;
}

export const labHome = (): string => process.env.STRATA_LAB_HOME || path.join(os.homedir(), 'strata-labs');

export function contextOf(lab: Lab): LabContext {
  return { dir: path.join(labHome(), `${String(lab.id).padStart(2, '0')}-${lab.slug}`), tag: `strata-lab-${lab.id}` };
}

const stateFile = () => path.join(labHome(), '.labs.json');

export function loadState(): Record<string, LabState> {
  try {
    return JSON.parse(fs.readFileSync(stateFile(), 'utf8'));
  } catch {
    return {};
  }
}

export function saveState(s: Record<string, LabState>): void {
  fs.mkdirSync(labHome(), { recursive: true });
  const tmp = `${stateFile()}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  fs.renameSync(tmp, stateFile());
}

export function updateState(id: number, f: (s: LabState) => LabState | undefined): void {
  const all = loadState();
  const next = f(all[id] ?? {});
  if (next) all[id] = next;
  else delete all[id];
  saveState(all);
}
