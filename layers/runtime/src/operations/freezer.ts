// pause and resume: the cgroup freezer (v1 freezer.state, v2 cgroup.freeze). Not in the OCI
// runtime spec, but part of runc's CLI that containerd's Pause/Resume use.
import { Cgroup } from '@strata/linux';
import type { GlobalOptions } from './types';
import { assertAllowed } from '../lifecycle';
import { loadState, computeStatus, lockContainer } from '../container';

async function withFreezer(g: GlobalOptions, id: string, op: 'pause' | 'resume'): Promise<void> {
  const unlock = lockContainer(g.root, id);
  try {
    const saved = loadState(g.root, id);
    assertAllowed(op, computeStatus(g.root, saved), id);
    const cg = Cgroup.open(saved.cgroupPath);
    if (op === 'pause') cg.freeze();
    else cg.thaw();
  } finally {
    unlock();
  }
}

export const pause = (g: GlobalOptions, o: { id: string }) => withFreezer(g, o.id, 'pause');
export const resume = (g: GlobalOptions, o: { id: string }) => withFreezer(g, o.id, 'resume');
