// The root filesystem every test's container uses: Debian's busybox-static with its applets as
// hard links, built once per run by the repository's scripts/busybox-rootfs.sh. Tests share it
// read-only; a test that writes gets its own copy.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnBounded } from './spawnBounded';

/** scripts/busybox-rootfs.sh, found from this file (src or the bundled dist) or the cwd. */
export function findRootfsScript(explicit?: string): string {
  const candidates: string[] = [];
  if (explicit) candidates.push(path.resolve(explicit));
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here, i = 0; i < 6; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'scripts', 'busybox-rootfs.sh'));
  candidates.push(path.resolve('scripts/busybox-rootfs.sh'));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`scripts/busybox-rootfs.sh not found (tried ${candidates.join(', ')}); pass --rootfs-script`);
  return found;
}

export async function buildRootfs(dir: string, script: string): Promise<void> {
  const r = await spawnBounded('bash', [script, dir], { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`building the busybox rootfs failed: ${r.stderr.trim() || r.stdout.trim()}`);
  // Containers with a user namespace run as a mapped uid: the path must be traversable.
  fs.chmodSync(dir, 0o755);
}

/** A private writable copy (cp -a keeps the hard links, so it stays small). */
export async function copyRootfs(from: string, to: string): Promise<void> {
  const r = await spawnBounded('cp', ['-a', from, to], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`copying the rootfs failed: ${r.stderr.trim()}`);
}
