// The shim's socket admits only peers running as the shim's own uid and gid (SO_PEERCRED), as
// containerd's shims do: anyone else reaching the socket could control the containers.
import type net from 'node:net';
import { peerCredentials } from '@strata/linux';
import { processName } from '@strata/linux/trace';

/** The program on the other end of a connected unix socket, by its binary's name (for traces). */
export function peerProcessName(socket: net.Socket): string | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return processName(peerCredentials(fd).pid);
  } catch {
    return undefined;
  }
}

export function peerAllowed(socket: net.Socket): boolean {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return false;
  try {
    const cred = peerCredentials(fd);
    return cred.uid === process.getuid!() && cred.gid === process.getgid!();
  } catch {
    return false;
  }
}
