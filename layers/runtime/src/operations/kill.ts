// runtime.md#kill: send a signal to the container's process (or, with --all, every process in
// its cgroup).
import { Cgroup } from '@strata/linux';
import type { GlobalOptions, KillOptions } from './types';
import { assertAllowed } from '../lifecycle';
import { RuntimeError } from '../errors';
import { loadState, computeStatus } from '../container';
import { kernelCall } from '../trace';
import { signalName } from '@strata/linux/signals';

const SIGKILL = 9;

export async function kill(g: GlobalOptions, o: KillOptions): Promise<void> {
  const saved = loadState(g.root, o.id);
  const status = computeStatus(g.root, saved);
  assertAllowed('kill', status, o.id);
  const cg = Cgroup.open(saved.cgroupPath);
  if (o.all) {
    kernelCall(o.id, 'kill', `${signalName(o.signal)} to every process of the cgroup`, () => cg.signalAll(o.signal));
  } else {
    try {
      kernelCall(o.id, 'kill', `${signalName(o.signal)} to the container init`, () => process.kill(saved.pid, o.signal));
    } catch (e) {
      // The words the containerd shim looks for (facts-runtime.md).
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') throw new RuntimeError('BAD_STATE', 'container not running: no such process');
      throw e;
    }
  }
  // A frozen cgroup (v1) holds even SIGKILL until thawed: thaw so the kill takes effect, as runc.
  if (status === 'paused' && o.signal === SIGKILL) cg.thaw();
}
