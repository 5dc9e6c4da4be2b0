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

/**
 * Values the kernel takes together, completed from the container's current resources when an
 * update gives only one of them (runc does the same: it applies the merged configuration).
 * cgroup v2 needs it: cpu.max holds quota and period in one file, and memory.swap.max is
 * swap - limit (the spec's swap is memory+swap). Rewriting the unchanged half is harmless on v1.
 */
function completePairs(old: LinuxResources | undefined, upd: LinuxResources): LinuxResources {
  const out = { ...upd };
  const cpu = upd.cpu;
  if (cpu && (cpu.quota === undefined) !== (cpu.period === undefined)) {
    out.cpu = { ...cpu, quota: cpu.quota ?? old?.cpu?.quota, period: cpu.period ?? old?.cpu?.period };
  }
  const mem = upd.memory;
  if (mem && mem.swap !== undefined && mem.limit === undefined && old?.memory?.limit !== undefined) {
    out.memory = { ...mem, limit: old.memory.limit };
  }
  return out;
}

export async function update(g: GlobalOptions, o: { id: string; resources: LinuxResources }): Promise<void> {
  const unlock = lockContainer(g.root, o.id);
  try {
    const saved = loadState(g.root, o.id);
    assertAllowed('update', computeStatus(g.root, saved), o.id);
    try {
      // Devices are not updated (runc ignores them in update as well).
      const { devices: _ignored, ...rest } = o.resources as LinuxResources & { devices?: unknown };
      Cgroup.open(saved.cgroupPath).apply(completePairs(saved.spec.linux?.resources, rest) as never, { update: true });
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
