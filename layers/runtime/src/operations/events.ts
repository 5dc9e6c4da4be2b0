// events: stats every --interval and OOM notifications until the container stops; --stats
// prints one stats event and exits (runc events).
import { Cgroup } from '@strata/linux';
import type { GlobalOptions, EventsOptions, RuntimeEvent } from './types';
import { RuntimeError } from '../errors';
import { loadState, computeStatus } from '../container';

export async function events(g: GlobalOptions, o: EventsOptions, emit: (e: RuntimeEvent) => void, signal: AbortSignal): Promise<void> {
  if (o.intervalMs <= 0) throw new RuntimeError('INVALID_ARGUMENT', 'duration interval must be greater than 0');
  const saved = loadState(g.root, o.id);
  if (computeStatus(g.root, saved) === 'stopped') throw new RuntimeError('BAD_STATE', `container with id ${o.id} is not running`);
  const cg = Cgroup.open(saved.cgroupPath);
  if (o.stats) {
    emit({ type: 'stats', id: o.id, data: cg.stats() });
    return;
  }
  // OOM kills are counted by the kernel (memory.oom_control / memory.events): poll the counter.
  let ooms = safeOom(cg);
  let nextStats = Date.now() + o.intervalMs;
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, Math.min(100, o.intervalMs)));
    const now = safeOom(cg);
    for (; ooms < now; ooms++) emit({ type: 'oom', id: o.id });
    if (Date.now() >= nextStats) {
      nextStats += o.intervalMs;
      try {
        emit({ type: 'stats', id: o.id, data: cg.stats() });
      } catch {
        // the cgroup vanished: the container was deleted
      }
    }
    try {
      if (computeStatus(g.root, loadState(g.root, o.id)) === 'stopped') return;
    } catch {
      return; // deleted meanwhile
    }
  }
}

function safeOom(cg: Cgroup): number {
  try {
    return cg.oomKillCount();
  } catch {
    return 0;
  }
}
