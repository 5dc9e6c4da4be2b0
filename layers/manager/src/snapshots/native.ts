// The native snapshotter (containerd's io.containerd.snapshotter.v1.native,
// snapshots/native/native.go): no layering filesystem at all. A new active snapshot is a full
// copy of its parent's tree; committing changes nothing on disk. The fallback wherever overlayfs
// cannot be mounted, and the simplest picture of what a snapshot is.
//
//   <root>/snapshots/<id>        the snapshot's whole tree (no fs/ subdirectory, as in containerd)
//
// Mounts are bind mounts, options [rbind, rw|ro]:
//   active (any parent), or no parent     source <id>
//   view with a parent                    source <parent> (read-only; a view gets no copy)
import fsp from 'node:fs/promises';
import type { Mount } from '../types';
import { DirSnapshotter, type SnapshotDirs, type SnapshotterOptions } from './base';
import { copyTree } from './copyTree';
import type { SnapshotKind } from './snapshotter';

export class NativeSnapshotter extends DirSnapshotter {
  readonly name = 'native';

  constructor(opts: SnapshotterOptions) {
    super(opts);
  }

  protected needsDir(kind: SnapshotKind, parentIds: number[]): boolean {
    return kind === 'active' || parentIds.length === 0;
  }

  protected async fillDir(tmp: string, _kind: SnapshotKind, parentIds: number[]): Promise<void> {
    await fsp.chmod(tmp, 0o755);
    if (parentIds.length > 0) await copyTree(this.dirOf(parentIds[0]), tmp);
  }

  protected mountsOf(s: SnapshotDirs): Mount[] {
    const source = s.parentIds.length === 0 || s.kind === 'active' ? this.dirOf(s.id) : this.dirOf(s.parentIds[0]);
    return [{ type: 'bind', source, options: ['rbind', s.kind === 'view' ? 'ro' : 'rw'] }];
  }

  protected usageDir(id: number): string {
    return this.dirOf(id);
  }
}
