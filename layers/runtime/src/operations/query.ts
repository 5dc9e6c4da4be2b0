// The read-only commands: state (runtime.md#query-state), list, ps.
import fs from 'node:fs';
import { Cgroup } from '@strata/linux';
import type { State } from '@strata/oci';
import type { GlobalOptions, ListEntry } from './types';
import { loadState, computeStatus, publicState, listIds } from '../container';

export async function state(g: GlobalOptions, o: { id: string }): Promise<State> {
  return publicState(g.root, loadState(g.root, o.id));
}

export async function list(g: GlobalOptions): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  for (const id of listIds(g.root)) {
    let saved;
    try {
      saved = loadState(g.root, id);
    } catch {
      continue; // a half-created directory: `delete` cleans it
    }
    const s = publicState(g.root, saved);
    let owner = saved.owner;
    try {
      const st = fs.statSync(`${g.root}/${id}/state.json`);
      owner = st.uid === 0 ? 'root' : `#${st.uid}`;
    } catch {
      // keep the saved owner
    }
    out.push({ id, pid: s.pid ?? 0, status: s.status, bundle: s.bundle, rootfs: saved.rootfs, created: saved.created, owner, annotations: s.annotations });
  }
  return out;
}

export async function ps(g: GlobalOptions, o: { id: string }): Promise<number[]> {
  const saved = loadState(g.root, o.id);
  if (computeStatus(g.root, saved) === 'stopped') return [];
  return Cgroup.open(saved.cgroupPath).pids().sort((a, b) => a - b);
}
