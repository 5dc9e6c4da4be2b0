// Device nodes for the OCI spec (config-linux.md#devices): a CRI Device names a host node and
// where it appears in the container; a privileged container gets every host device (containerd
// WithDevices / WithHostDevices).
import fs from 'node:fs';
import path from 'node:path';
import type { LinuxDevice, LinuxDeviceCgroup } from '@strata/oci';
import { invalidField } from './errors';

// Linux dev_t layout (glibc sysmacros.h gnu_dev_major/minor).
const major = (d: bigint) => Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
const minor = (d: bigint) => Number((d & 0xffn) | ((d >> 12n) & ~0xffn));

export function deviceFromPath(hostPath: string, containerPath: string, permissions: string, field: string): { device: LinuxDevice; rule: LinuxDeviceCgroup } {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(hostPath, { bigint: true });
  } catch (e) {
    throw invalidField(`${field}.host_path`, `${hostPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) throw invalidField(`${field}.host_path`, `${hostPath} is not a device node`);
  const access = permissions || 'rwm';
  if (!/^[rwm]{1,3}$/.test(access)) throw invalidField(`${field}.permissions`, `must be letters of "rwm" (got ${JSON.stringify(permissions)})`);
  const maj = major(st.rdev);
  const min = minor(st.rdev);
  return {
    device: { path: containerPath, type, major: maj, minor: min, fileMode: Number(st.mode & 0o777n), uid: Number(st.uid), gid: Number(st.gid) },
    rule: { allow: true, type, major: maj, minor: min, access },
  };
}

/** Every char/block device under the host's /dev (minus the per-container pts, shm, mqueue). */
export function hostDevices(dir = '/dev'): LinuxDevice[] {
  const out: LinuxDevice[] = [];
  const skip = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
  const walk = (d: string, depth: number) => {
    if (depth > 4) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (!skip.has(e.name)) walk(p, depth + 1);
      } else if ((e.isCharacterDevice() || e.isBlockDevice()) && p !== '/dev/console') {
        try {
          out.push(deviceFromPath(p, p, 'rwm', 'privileged').device);
        } catch {
          // vanished meanwhile
        }
      }
    }
  };
  walk(dir, 0);
  return out;
}
