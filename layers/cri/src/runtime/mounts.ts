// CRI Mount -> OCI bind mount (containerd WithMounts): the host path is created as a directory
// when missing, symlinks resolved; propagation maps as
//   PROPAGATION_PRIVATE           -> rprivate (no events either way)
//   PROPAGATION_HOST_TO_CONTAINER -> rslave   (host mounts appear inside; needs a shared or slave source mount)
//   PROPAGATION_BIDIRECTIONAL     -> rshared  (both ways; needs a shared source mount, privileged containers only in Kubernetes)
// (mount_namespaces(7) "Shared subtrees").
import fs from 'node:fs';
import path from 'node:path';
import type { Mount as OciMount } from '@strata/oci';
import { invalidField } from './errors';
import { Propagation, type Mount } from './types';

interface MountInfo { mountPoint: string; optional: string }

function mountinfo(): MountInfo[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-');
      return { mountPoint: f[4].replace(/\\040/g, ' '), optional: f.slice(6, sep).join(' ') };
    });
}

/** The mount a path lives on (the longest mount point that is a prefix). */
export function mountOf(p: string): MountInfo {
  let best: MountInfo = { mountPoint: '/', optional: '' };
  for (const m of mountinfo()) {
    if ((p === m.mountPoint || p.startsWith(m.mountPoint === '/' ? '/' : `${m.mountPoint}/`)) && m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

export function criMount(m: Mount, i: number): OciMount {
  const field = `mounts[${i}]`;
  if (!m.containerPath || !path.isAbsolute(m.containerPath)) throw invalidField(`${field}.container_path`, `must be an absolute path (got ${JSON.stringify(m.containerPath ?? '')})`);
  if (!m.hostPath || !path.isAbsolute(m.hostPath)) throw invalidField(`${field}.host_path`, `must be an absolute path (got ${JSON.stringify(m.hostPath ?? '')})`);
  if (!fs.existsSync(m.hostPath)) fs.mkdirSync(m.hostPath, { recursive: true }); // as the kubelet/containerd do for hostPath volumes
  const src = fs.realpathSync(m.hostPath);
  const prop = m.propagation ?? Propagation.PROPAGATION_PRIVATE;
  let propagation: string;
  if (prop === Propagation.PROPAGATION_PRIVATE) propagation = 'rprivate';
  else if (prop === Propagation.PROPAGATION_HOST_TO_CONTAINER) {
    const mi = mountOf(src);
    if (!/shared:|master:/.test(mi.optional)) throw invalidField(`${field}.propagation`, `${src} is on mount ${mi.mountPoint}, which is neither shared nor slave: HOST_TO_CONTAINER needs one (mount --make-rshared ${mi.mountPoint})`);
    propagation = 'rslave';
  } else if (prop === Propagation.PROPAGATION_BIDIRECTIONAL) {
    const mi = mountOf(src);
    if (!/shared:/.test(mi.optional)) throw invalidField(`${field}.propagation`, `${src} is on mount ${mi.mountPoint}, which is not shared: BIDIRECTIONAL needs it (mount --make-rshared ${mi.mountPoint})`);
    propagation = 'rshared';
  } else throw invalidField(`${field}.propagation`, `unknown value ${prop}`);
  return { destination: path.normalize(m.containerPath), type: 'bind', source: src, options: ['rbind', propagation, m.readonly ? 'ro' : 'rw'] };
}
