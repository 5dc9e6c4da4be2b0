// runtime.md#delete: remove everything create made. Refused while the process runs unless --force
// (runc and crun also delete a `created` container without --force: they kill it first).
import fs from 'node:fs';
import path from 'node:path';
import { Cgroup, processLiveness, umount2, MNT_DETACH } from '@strata/linux';
import type { GlobalOptions, DeleteOptions } from './types';
import { assertAllowed } from '../lifecycle';
import { RuntimeError } from '../errors';
import { loadState, computeStatus, stateDir, lockContainer, publicState, validateId, type SavedState } from '../container';
import { runHooksWarnOnly } from '../hooks';
import { killAndWait } from './create';
import { kernelCall } from '../trace';

export function destroy(root: string, saved: SavedState): void {
  const cg = Cgroup.open(saved.cgroupPath);
  if (processLiveness(saved.pid, saved.pidStartTime) === 'alive') kernelCall(saved.id, 'kill', 'SIGKILL to the container init', () => killAndWait(saved.pid, saved.pidStartTime));
  // Every other process of the container too (exec'd ones, daemons it started).
  if (cg.exists()) {
    try {
      cg.thaw();
    } catch {
      // not frozen / no freezer
    }
    const deadline = Date.now() + 5000;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (cg.pids().length && Date.now() < deadline) {
      cg.signalAll(9);
      Atomics.wait(nap, 0, 0, 10);
    }
    kernelCall(saved.id, 'rmdir', `cgroup: ${saved.cgroupPath} in each hierarchy`, () => cg.destroy(), cg.procsFiles().length);
  }
  // A restore killed half-way may have left the rootfs bound at criu-root: unmount it first, or
  // the recursive removal below would go through the bind and delete the rootfs' files.
  try {
    umount2(path.join(stateDir(root, saved.id), 'criu-root'), MNT_DETACH);
  } catch {
    // not mounted (the normal case)
  }
  fs.rmSync(stateDir(root, saved.id), { recursive: true, force: true });
}

export async function remove(g: GlobalOptions, o: DeleteOptions): Promise<void> {
  validateId(o.id);
  const dir = stateDir(g.root, o.id);
  let saved: SavedState;
  try {
    saved = loadState(g.root, o.id);
  } catch (e) {
    if (e instanceof RuntimeError && e.code === 'NOT_EXIST') {
      // A create that died before writing state.json leaves only the directory (runc does this too).
      if (fs.existsSync(dir)) {
        fs.rmSync(dir, { recursive: true, force: true });
        if (o.force) return;
      }
      if (o.force) return;
    }
    throw e;
  }
  const unlock = lockContainer(g.root, o.id);
  try {
    const status = computeStatus(g.root, saved);
    assertAllowed('delete', status, o.id, o.force);
    destroy(g.root, saved);
  } finally {
    unlock();
  }
  // config.md#posix-platform-hooks: poststop after the container is deleted; failures warn.
  runHooksWarnOnly(saved.spec.hooks?.poststop, publicState(g.root, saved, 'stopped'), 'poststop');
}
