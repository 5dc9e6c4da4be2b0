// Which mounts of a container CRIU must treat as *external*, and where they come from on restore.
//
// CRIU dumps the container's mount tree itself: proc, sysfs, tmpfs (with its contents), devpts,
// mqueue, cgroup2 are recreated from the image. A bind mount of a host path is different: its
// source lies outside the container, so CRIU cannot (and must not) save it. It is described as
// `--external mnt[<mountpoint>]:<key>` at dump and `--external mnt[<key>]:<host path>` at restore
// (criu(8) "External mounts"); like runc we use the destination itself as the key, so a restore
// from any bundle with the same mount destinations works, with that bundle's sources.
//
// Host binds strata-runtime makes (see plan/mounts.ts and strata-init's mask-path):
//   - every `bind`/`rbind` mount of config.json;
//   - /sys/fs/cgroup without a cgroup namespace: binds of the container's own cgroup dirs;
//   - masked paths that are files: /dev/null bound over them (runc does the same mapping).
import fs from 'node:fs';
import path from 'node:path';
import type { Spec } from '@strata/oci';
import { parseMountOptions } from '../plan/mountOptions';

export interface ExternalMount {
  /** Mount point inside the container (also the key). */
  destination: string;
  /** Host path to bind on restore. */
  source: string;
}

const norm = (d: string) => path.posix.normalize(path.posix.join('/', d));

/**
 * @param cgroupDirs controller -> host dir of the (new) container's cgroup, for the
 *   /sys/fs/cgroup binds made when there is no cgroup namespace.
 * @param initPid a live init to look masked paths up in (dump); on restore the image decides.
 */
export function externalMounts(spec: Spec, bundle: string, cgroup: { version: 1 | 2; mounts: Record<string, string>; dirs: Record<string, string> }, initPid?: number): ExternalMount[] {
  const out: ExternalMount[] = [];
  const cgroupNs = (spec.linux?.namespaces ?? []).some((n) => n.type === 'cgroup' && !n.path);
  for (const m of spec.mounts ?? []) {
    const dest = norm(m.destination);
    const opt = parseMountOptions(m.options);
    if (m.type === 'cgroup' || m.type === 'cgroup2') {
      if (cgroupNs) continue; // a real cgroupfs mount inside the namespace: CRIU recreates it
      if (cgroup.version === 2) out.push({ destination: dest, source: cgroup.dirs[''] });
      else {
        // v1 without a cgroup namespace: a tmpfs (restored by CRIU) holding one bind per hierarchy.
        const seen = new Set<string>();
        for (const [controller, mountDir] of Object.entries(cgroup.mounts)) {
          const name = path.basename(mountDir);
          if (seen.has(name) || !cgroup.dirs[controller]) continue;
          seen.add(name);
          out.push({ destination: path.posix.join(dest, name), source: cgroup.dirs[controller] });
        }
      }
      continue;
    }
    if (opt.bind || m.type === 'bind') out.push({ destination: dest, source: path.resolve(bundle, m.source ?? '') });
  }
  for (const p of spec.linux?.maskedPaths ?? []) {
    if (initPid !== undefined) {
      // Only files are masked with a bind of /dev/null; directories get a tmpfs CRIU restores.
      const st = fs.statSync(`/proc/${initPid}/root${norm(p)}`, { throwIfNoEntry: false });
      if (!st || st.isDirectory()) continue;
    }
    out.push({ destination: norm(p), source: '/dev/null' });
  }
  return out;
}

/** `--external mnt[<dest>]:<dest>` for `criu dump`. */
export function dumpMountArgs(ms: ExternalMount[]): string[] {
  return ms.flatMap((m) => ['--external', `mnt[${m.destination}]:${m.destination}`]);
}

/** `--external mnt[<key>]:<source>` for `criu restore`. */
export function restoreMountArgs(ms: ExternalMount[]): string[] {
  return ms.flatMap((m) => ['--external', `mnt[${m.destination}]:${m.source}`]);
}
