// ImageFsInfo: how much the image filesystem holds. Images live in the manager's snapshotter, so
// the numbers are the snapshotter's: the sum of Snapshots.Usage over its snapshots (what
// containerd's CRI plugin reports from its snapshotter's usage), timestamped in nanoseconds.
// The mountpoint is the snapshotter's directory: given in the configuration, or as real
// containerd exports it in Introspection (plugin exports.root), or containerd's plugin
// directory name when neither says.
import type { ManagerClient } from '@strata/manager';
import type { FilesystemUsage } from '../api/protos';

export async function imageFsUsage(client: ManagerClient, snapshotter: string, root?: string): Promise<FilesystemUsage> {
  const sn = client.snapshots(snapshotter);
  let bytes = 0;
  let inodes = 0;
  for (const info of await sn.list()) {
    try {
      const u = await sn.usage(info.name);
      bytes += u.size;
      inodes += u.inodes;
    } catch {
      /* removed meanwhile */
    }
  }
  return {
    timestamp: Date.now() * 1e6,
    fsId: { mountpoint: root ?? (await exportedRoot(client, snapshotter)) ?? `io.containerd.snapshotter.v1.${snapshotter}` },
    usedBytes: { value: bytes },
    inodesUsed: { value: inodes },
  };
}

async function exportedRoot(client: ManagerClient, snapshotter: string): Promise<string | undefined> {
  try {
    const plugins = await client.plugins([`type==io.containerd.snapshotter.v1`, `id==${snapshotter}`]);
    const root = plugins.find((p) => p.id === snapshotter)?.exports?.root;
    return typeof root === 'string' && root ? root : undefined;
  } catch {
    return undefined;
  }
}
