// Where a shim listens: one socket per group of containers under containerd's /run/containerd/s,
// named by a hash of containerd's address, the namespace and the group (the runc shim does the
// same, so each side can find the other's socket again after a restart). Cheap to import: `start`
// and `delete` need only this.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** containerd's state dir for shim sockets (/run/containerd/s), whatever its --state. */
export const SOCKET_DIR = '/run/containerd/s';
/** Annotations that put containers into one shim (containerd's runc shim groups on these). */
const GROUP_LABELS = ['io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id'];

/** unix:///run/containerd/s/<sha256 of "<containerd address>/<namespace>/<group id>"> */
export function socketAddress(containerdAddress: string, namespace: string, group: string): string {
  const digest = createHash('sha256').update(path.join(containerdAddress, namespace, group)).digest('hex');
  return `unix://${path.join(SOCKET_DIR, digest)}`;
}

export const socketPath = (address: string) => address.replace(/^unix:\/\//, '');

export function groupOf(id: string): string {
  try {
    const spec = JSON.parse(fs.readFileSync('config.json', 'utf8')) as { annotations?: Record<string, string> };
    for (const l of GROUP_LABELS) if (spec.annotations?.[l]) return spec.annotations[l];
  } catch {
    // no readable config: one shim for this container
  }
  return id;
}

/** Whether something accepts connections on the unix socket `p` (bounded: 1 s). */
export function canConnect(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(p);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1_000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}
