// The pod's /dev/shm: one tmpfs per pod, mounted on the host in the sandbox's state dir and
// bind-mounted into the pause container and every container, so POSIX shared memory
// (shm_open, files in /dev/shm) is shared inside the pod as SysV IPC is through the IPC
// namespace — containerd's CRI does the same. A pod using the host's IPC gets the host's /dev/shm.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SHM_OPTIONS = 'nosuid,nodev,noexec,mode=1777,size=65536k';

const mounted = (dir: string) => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

export function mountPodShm(sandboxDir: string): string {
  const dir = path.join(sandboxDir, 'shm');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  if (mounted(dir)) return dir;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', SHM_OPTIONS, 'shm', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount the pod's /dev/shm at ${dir}: ${r.stderr.trim()}`);
  return dir;
}

/** Unmount (lazily: a container that is still exiting may hold it) and remove; idempotent. */
export function unmountPodShm(sandboxDir: string): void {
  const dir = path.join(sandboxDir, 'shm');
  if (fs.existsSync(dir) && mounted(dir)) spawnSync('umount', ['-l', dir]);
}
