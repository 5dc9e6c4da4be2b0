// update: change the cgroup limits of a live container (runc update; containerd's Update).
import { Cgroup } from '@strata/linux';
import type { LinuxResources } from '@strata/oci';
import type { GlobalOptions } from './types';
import { assertAllowed } from '../lifecycle';
import { RuntimeError } from '../errors';
import { loadState, computeStatus, lockContainer, saveState } from '../container';

/** Merge per resource group: a field given in the update replaces the old value. */
function merge(old: LinuxResources | undefined, upd: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = { ...(old ?? {}) };
  for (const [k, v] of Object.entries(upd)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' ? { ...(prev as object), ...(v as object) } : v;
  }
  return out as LinuxResources;
}

export async function update(g: GlobalOptions, o: { id: string; resources: LinuxResources }): Promise<void> {
  const unlock = lockContainer(g.root, o.id);
  try {
    const saved = loadState(g.root, o.id);
    assertAllowed('update', computeStatus(g.root, saved), o.id);
    try {
      // Devices are not updated (runc ignores them in update as well).
      const { devices: _ignored, ...rest } = o.resources as LinuxResources & { devices?: unknown };
      Cgroup.open(saved.cgroupPath).apply(rest as never, { update: true });
    } catch (e) {
      const err = e as Error & { pointer?: string };
      throw new RuntimeError('CGROUP', `${err.pointer ? `resources ${err.pointer.replace('/linux/resources', '')}: ` : ''}${err.message}`, { cause: e });
    }
    saved.spec.linux = { ...(saved.spec.linux ?? {}), resources: merge(saved.spec.linux?.resources, o.resources) };
    saveState(g.root, saved);
  } finally {
    unlock();
  }
}
