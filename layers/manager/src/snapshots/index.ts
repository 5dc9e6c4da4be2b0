// snapshots/: containerd's snapshotters.
//   snapshotter   the interface, the kinds and their lifecycle table
//   base          bookkeeping in the `snapshots` table, atomic directory creation, cleanup
//   overlay       io.containerd.snapshotter.v1.overlayfs
//   native        io.containerd.snapshotter.v1.native (copies; the fallback without overlayfs)
//   mount         mounting what snapshotters return (containerd's mount package)
import path from 'node:path';
import type { DB } from '../metadata/db';
import { NativeSnapshotter } from './native';
import { OverlaySnapshotter, overlaySupported } from './overlay';
import type { Snapshotter } from './snapshotter';

export * from './snapshotter';
export { DirSnapshotter, type SnapshotterOptions, type SnapshotDirs } from './base';
export { OverlaySnapshotter, overlaySupported } from './overlay';
export { NativeSnapshotter } from './native';
export { diskUsage } from './diskUsage';
export { copyTree } from './copyTree';
export {
  mountOne,
  mountAll,
  unmountAll,
  readonlyMounts,
  withTempMount,
  setTempMountLocation,
  getTempMountLocation,
  parseMountOptions,
  mountsUnder,
  cleanupTempMounts,
} from './mount';

/** containerd's plugin directory for a snapshotter: <root>/io.containerd.snapshotter.v1.<name>. */
export const snapshotterRoot = (managerRoot: string, name: string): string => path.join(managerRoot, `io.containerd.snapshotter.v1.${name}`);

/**
 * Open the snapshotters this machine supports, by name: "native" always; "overlayfs" when a
 * trial overlay mount in its directory works (containerd skips the overlayfs plugin the same
 * way when the kernel or the backing filesystem cannot do it).
 */
export async function openSnapshotters(o: { db: DB; root: (name: string) => string; log?: (msg: string) => void }): Promise<Record<string, Snapshotter>> {
  const out: Record<string, Snapshotter> = {};
  const overlayRoot = o.root('overlayfs');
  if (await overlaySupported(overlayRoot)) out.overlayfs = new OverlaySnapshotter({ root: overlayRoot, db: o.db });
  else o.log?.(`snapshotter overlayfs: a trial overlay mount in ${overlayRoot} failed; only the native snapshotter is available`);
  out.native = new NativeSnapshotter({ root: o.root('native'), db: o.db });
  return out;
}
