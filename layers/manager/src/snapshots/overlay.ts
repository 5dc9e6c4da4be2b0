// The overlay snapshotter (containerd's io.containerd.snapshotter.v1.overlayfs,
// snapshots/overlay/overlay.go). Each snapshot owns one layer of an overlayfs stack:
//
//   <root>/snapshots/<id>/fs     the layer: a committed snapshot's files, an active one's upperdir
//   <root>/snapshots/<id>/work   overlayfs' workdir (active snapshots only)
//
// Mount shapes, exactly containerd's, so that containerd-shim-runc-v2 and our shim mount them the
// same way (the kernel's overlayfs.rst for the options):
//   no parent, active      bind <id>/fs                 options [rw, rbind]
//   no parent, view        bind <id>/fs                 options [ro, rbind]
//   one parent, view       bind <parent>/fs             options [ro, rbind]
//   parents, active        overlay  [index=off,] workdir=<id>/work, upperdir=<id>/fs,
//                                   lowerdir=<parent>/fs:<grandparent>/fs:...  (nearest first)
//   2+ parents, view       overlay  [index=off,] lowerdir=<parent>/fs:...  (read-only: no upperdir)
// index=off is added when the kernel has the overlay "index" parameter (containerd's supportsIndex).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Mount } from '../types';
import { DirSnapshotter, type SnapshotDirs, type SnapshotterOptions } from './base';
import { mountOne, unmountAll } from './mount';
import type { SnapshotKind } from './snapshotter';

export class OverlaySnapshotter extends DirSnapshotter {
  readonly name = 'overlayfs';
  private readonly indexOff = fs.existsSync('/sys/module/overlay/parameters/index');

  constructor(opts: SnapshotterOptions) {
    super(opts);
  }

  /** <root>/snapshots/<id>/fs: the layer's files (for an active snapshot: the upperdir). */
  upperPath(id: number): string {
    return path.join(this.dirOf(id), 'fs');
  }

  workPath(id: number): string {
    return path.join(this.dirOf(id), 'work');
  }

  protected needsDir(): boolean {
    return true;
  }

  protected async fillDir(tmp: string, kind: SnapshotKind, parentIds: number[]): Promise<void> {
    await fsp.mkdir(path.join(tmp, 'fs'), 0o755);
    await fsp.chmod(path.join(tmp, 'fs'), 0o755);
    if (kind === 'active') {
      await fsp.mkdir(path.join(tmp, 'work'), 0o711);
      await fsp.chmod(path.join(tmp, 'work'), 0o711);
    }
    // the merged root directory takes the upper's owner: keep the parent's (containerd does this)
    if (parentIds.length > 0) {
      const st = await fsp.stat(this.upperPath(parentIds[0]));
      await fsp.lchown(path.join(tmp, 'fs'), st.uid, st.gid);
    }
  }

  protected mountsOf(s: SnapshotDirs): Mount[] {
    if (s.parentIds.length === 0) {
      return [{ type: 'bind', source: this.upperPath(s.id), options: [s.kind === 'view' ? 'ro' : 'rw', 'rbind'] }];
    }
    const options: string[] = [];
    if (this.indexOff) options.push('index=off');
    if (s.kind === 'active') {
      options.push(`workdir=${this.workPath(s.id)}`, `upperdir=${this.upperPath(s.id)}`);
    } else if (s.parentIds.length === 1) {
      return [{ type: 'bind', source: this.upperPath(s.parentIds[0]), options: ['ro', 'rbind'] }];
    }
    options.push(`lowerdir=${s.parentIds.map((id) => this.upperPath(id)).join(':')}`);
    return [{ type: 'overlay', source: 'overlay', options }];
  }

  protected usageDir(id: number): string {
    return this.upperPath(id);
  }
}

/**
 * Can this kernel mount overlayfs with its layers in dir? Tried for real, like containerd's
 * overlayutils.Supported: two lowers, an upper and a work dir, mounted and unmounted.
 */
export async function overlaySupported(dir: string): Promise<boolean> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const td = await fsp.mkdtemp(path.join(dir, 'overlay-check-'));
  const merged = path.join(td, 'merged');
  try {
    for (const d of ['lower1', 'lower2', 'upper', 'work', 'merged']) await fsp.mkdir(path.join(td, d));
    mountOne(
      {
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${path.join(td, 'lower2')}:${path.join(td, 'lower1')}`, `upperdir=${path.join(td, 'upper')}`, `workdir=${path.join(td, 'work')}`],
      },
      merged,
    );
    return true;
  } catch {
    return false;
  } finally {
    await unmountAll(merged).catch(() => undefined);
    await fsp.rm(td, { recursive: true, force: true });
  }
}
