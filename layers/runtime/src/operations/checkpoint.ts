// runc checkpoint: save a running container to a CRIU image directory.
//   lock -> state check (lifecycle table) -> criu check -> image/work dirs -> descriptors.json
//   -> criu dump (or pre-dump) -> unless --leave-running/--pre-dump: destroy the container
// The processes are frozen through the container's cgroup (--freeze-cgroup: nothing can fork
// away during the dump), the mount tree is dumped with host binds marked external (see
// criu/externalMounts.ts), the cgroup is recorded relative to the container's own
// (--manage-cgroups), namespaces created for the container are dumped, joined ones (a netns
// path from CNI) are external: the restore must be given them again.
import fs from 'node:fs';
import path from 'node:path';
import { Cgroup, detectCgroupLayout } from '@strata/linux';
import type { GlobalOptions, CheckpointOptions, CriuOptions } from './types';
import { assertAllowed, operations } from '../lifecycle';
import { loadState, computeStatus, lockContainer, stateDir, publicState, type SavedState } from '../container';
import { RuntimeError } from '../errors';
import { criuCheck, runCriu } from '../criu/criu';
import { externalMounts, dumpMountArgs } from '../criu/externalMounts';
import { destroy } from './delete';
import { runHooksWarnOnly } from '../hooks';

/** What runc writes next to the images: the link targets of the init's fds 0-2 ("pipe:[123]"...). */
export const DESCRIPTORS_FILE = 'descriptors.json';

/** CRIU's options that dump and restore share (the same names on both sides, like runc's). */
export function commonCriuArgs(o: CriuOptions): string[] {
  const a: string[] = [];
  if (o.tcpEstablished) a.push('--tcp-established');
  if (o.extUnixSk) a.push('--ext-unix-sk');
  if (o.shellJob) a.push('--shell-job');
  if (o.fileLocks) a.push('--file-locks');
  a.push(`--manage-cgroups=${o.manageCgroupsMode ?? 'soft'}`);
  return a;
}

/** A joined network namespace is external: `net[<inode>]:extRootNetNS` (runc's key). */
export function externalNetns(spec: SavedState['spec']): { path: string; key: string } | undefined {
  const ns = (spec.linux?.namespaces ?? []).find((n) => n.type === 'network' && n.path);
  return ns?.path ? { path: ns.path, key: 'extRootNetNS' } : undefined;
}

export function freezerDir(cgroupPath: string): string | undefined {
  const layout = detectCgroupLayout();
  const dirs = Cgroup.open(cgroupPath, layout).dirs();
  return layout.version === 2 ? dirs[''] : dirs['freezer'];
}

export async function checkpoint(g: GlobalOptions, o: CheckpointOptions): Promise<void> {
  const unlock = lockContainer(g.root, o.id);
  let saved: SavedState;
  let removed = false;
  try {
    saved = loadState(g.root, o.id);
    const status = computeStatus(g.root, saved);
    assertAllowed('checkpoint', status, o.id);
    const criu = criuCheck(g.criu ?? 'criu');
    if (saved.spec.process?.terminal && !o.shellJob) {
      throw new RuntimeError('INVALID_ARGUMENT', 'the container has a terminal: CRIU can only dump it with --shell-job (and restore then needs the same terminal setup)');
    }
    const imageDir = path.resolve(o.imagePath);
    const workDir = path.resolve(o.workPath ?? path.join(stateDir(g.root, o.id), 'criu.work'));
    const createdImage = !fs.existsSync(imageDir);
    fs.mkdirSync(imageDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const log = o.preDump ? 'pre-dump.log' : 'dump.log';
    const args = ['-t', String(saved.pid), '-D', imageDir, '-W', workDir, '-o', log, '-v4', ...commonCriuArgs(o)];
    const freezer = freezerDir(saved.cgroupPath);
    if (freezer && fs.existsSync(freezer)) args.push('--freeze-cgroup', freezer);
    if (o.parentPath) args.push('--prev-images-dir', o.parentPath, '--track-mem');
    else if (o.preDump) args.push('--track-mem');
    if (o.leaveRunning && !o.preDump) args.push('--leave-running');
    const netns = externalNetns(saved.spec);
    if (netns) args.push('--external', `net[${fs.statSync(netns.path).ino}]:${netns.key}`);
    if (!o.preDump) {
      const layout = detectCgroupLayout();
      const cg = { version: layout.version, mounts: layout.mounts, dirs: Cgroup.open(saved.cgroupPath, layout).dirs() };
      args.push(...dumpMountArgs(externalMounts(saved.spec, saved.bundle, cg, saved.pid)));
      // restore hands the new stdio to CRIU in place of these (--inherit-fd), as runc does.
      const fds = [0, 1, 2].map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${saved.pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      fs.writeFileSync(path.join(imageDir, DESCRIPTORS_FILE), JSON.stringify(fds), { mode: 0o600 });
    }
    try {
      runCriu({ binary: criu, action: o.preDump ? 'pre-dump' : 'dump', args, log }, workDir);
    } catch (e) {
      // CRIU resumes the tasks when a dump fails: the container is as before; drop what we made
      // (the work dir keeps CRIU's log, named in the error).
      if (createdImage) fs.rmSync(imageDir, { recursive: true, force: true });
      else fs.rmSync(path.join(imageDir, DESCRIPTORS_FILE), { force: true });
      throw e;
    }
    if (!o.leaveRunning && !o.preDump) {
      // CRIU killed the processes after the dump. runc then destroys the container: the id is
      // free, ready for `restore` (lifecycle table: checkpoint ${operations.checkpoint.removes}).
      destroy(g.root, saved);
      removed = true;
    }
  } finally {
    unlock();
  }
  if (removed) runHooksWarnOnly(saved.spec.hooks?.poststop, publicState(g.root, saved, 'stopped'), 'poststop');
}
