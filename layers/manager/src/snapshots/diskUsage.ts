// Disk usage of a directory tree, counted as containerd's continuity fs.DiskUsage does: every
// inode once (hardlinks are not counted twice), its allocated blocks in 512-byte units.
import fs from 'node:fs/promises';

export interface Usage {
  /** Bytes allocated on disk (st_blocks * 512), each inode counted once. */
  size: number;
  /** Distinct inodes, the root directory included. */
  inodes: number;
}

export async function diskUsage(root: string): Promise<Usage> {
  const seen = new Set<string>();
  let size = 0n;
  const visit = async (p: string): Promise<void> => {
    const st = await fs.lstat(p, { bigint: true });
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      size += st.blocks * 512n;
    }
    if (st.isDirectory()) for (const name of await fs.readdir(p)) await visit(`${p}/${name}`);
  };
  await visit(root);
  return { size: Number(size), inodes: seen.size };
}
