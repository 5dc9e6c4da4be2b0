// runc restore: a new container whose processes CRIU recreates from a checkpoint image.
//   validate -> image present -> criu check -> state dir + lock -> cgroup -> rootfs bind
//   -> criu restore (detached, as our sibling child) -> state.json "running" -> pid file
//   -> foreground: wait, forward signals, delete (like `run`)
// Where CRIU puts things:
//   - namespaces: the ones the checkpoint dumped are created anew (a new pid namespace: the
//     container's pid 1 is pid 1 again); a joined network namespace (config path) is handed over
//     with --inherit-fd fd[N]:extRootNetNS, as runc does;
//   - mounts: CRIU rebuilds the tree on --root, a bind of the bundle's rootfs (CRIU wants the
//     root to be a mount point whose parent is not over-mounted: runc does the same bind); host
//     binds come from *this* bundle's config (criu/externalMounts.ts), so restoring elsewhere works;
//   - cgroups: --cgroup-root maps the dumped container cgroup onto the new container's cgroup,
//     created and configured from config.json first, like create;
//   - stdio: fds 0-2 that were pipes at dump time (descriptors.json) are replaced by our own
//     0-2 (--inherit-fd), so a caller (the shim) gets the restored output on its new pipes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cgroup, detectCgroupLayout, resolveCgroupsPath, processStartTime, processLiveness, mount, umount2, MNT_DETACH, waitpid, WNOHANG, exitCodeOf as waitExitCode } from '@strata/linux';
import type { GlobalOptions, RestoreOptions } from './types';
import { RuntimeError } from '../errors';
import { validateId, stateDir, saveState, lockContainer, rfc3339Nano, writeFileAtomic, type SavedState } from '../container';
import { restore as restoreEdge } from '../lifecycle';
import { loadSpec, killAndWait } from './create';
import { remove } from './delete';
import { deviceRules } from '../plan/devices';
import { MS } from '../plan/mountOptions';
import { criuCheck, runCriu } from '../criu/criu';
import { externalMounts, restoreMountArgs } from '../criu/externalMounts';
import { commonCriuArgs, externalNetns, DESCRIPTORS_FILE } from './checkpoint';
import { forwardSignals } from './signals';

function readDescriptors(imageDir: string): string[] {
  try {
    const d = JSON.parse(fs.readFileSync(path.join(imageDir, DESCRIPTORS_FILE), 'utf8'));
    return Array.isArray(d) ? d.map(String) : [];
  } catch {
    return []; // an image made by plain `criu dump`: nothing to substitute
  }
}

export async function restoreContainer(g: GlobalOptions, o: RestoreOptions): Promise<SavedState> {
  validateId(o.id);
  const imageDir = path.resolve(o.imagePath);
  if (!fs.existsSync(path.join(imageDir, 'inventory.img'))) {
    throw new RuntimeError('INVALID_ARGUMENT', `--image-path ${imageDir}: no checkpoint there (${fs.existsSync(imageDir) ? 'inventory.img missing' : 'directory does not exist'})`);
  }
  const spec = loadSpec(o.bundle);
  if (!spec.root?.path) throw new RuntimeError('INVALID_CONFIG', 'config.json /root/path: required', { pointer: '/root/path' });
  const rootfs = path.resolve(o.bundle, spec.root.path);
  if (!fs.statSync(rootfs, { throwIfNoEntry: false })?.isDirectory()) {
    throw new RuntimeError('INVALID_CONFIG', `config.json /root/path: rootfs ${rootfs} does not exist or is not a directory`, { pointer: '/root/path' });
  }
  if (spec.process?.terminal) {
    throw new RuntimeError('UNSUPPORTED', 'restoring a container with process.terminal is not supported by strata-runtime: CRIU needs the dumped terminal back (dump and restore with terminal:false)');
  }
  const criu = criuCheck(g.criu ?? 'criu');
  fs.mkdirSync(g.root, { recursive: true, mode: 0o700 });
  const dir = stateDir(g.root, o.id);
  try {
    fs.mkdirSync(dir, { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RuntimeError('EXISTS', restoreEdge.refusal.replace('%i', o.id));
    throw e;
  }
  const undo: (() => void)[] = [() => fs.rmSync(dir, { recursive: true, force: true })];
  const unlock = lockContainer(g.root, o.id);
  const criuRoot = path.join(dir, 'criu-root');
  let mounted = false;
  let nsFd: number | undefined;
  // Unmount before anything removes the state dir: `rm -r` through a bind of the rootfs would
  // delete the image's files.
  const releaseRoot = () => {
    if (mounted) umount2(criuRoot, MNT_DETACH);
    mounted = false;
    try {
      fs.rmdirSync(criuRoot); // an empty mount point now
    } catch {
      // not created, or already gone
    }
  };
  try {
    const layout = detectCgroupLayout();
    const cgroupPath = resolveCgroupsPath(spec.linux?.cgroupsPath, o.id);
    const cg = Cgroup.open(cgroupPath, layout);
    if (!cg.exists()) undo.push(() => cg.destroy());
    cg.create();
    try {
      cg.apply({ ...(spec.linux?.resources ?? {}), devices: deviceRules(spec) } as never);
    } catch (e) {
      const err = e as Error & { pointer?: string };
      throw new RuntimeError('CGROUP', `config.json ${err.pointer ?? '/linux/resources'}: ${err.message}`, { pointer: err.pointer, cause: e });
    }
    fs.mkdirSync(criuRoot, { mode: 0o755 });
    mount(rootfs, criuRoot, null, MS.BIND | MS.REC);
    mounted = true;
    const workDir = path.resolve(o.workPath ?? path.join(dir, 'criu.work'));
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const pidFile = path.join(workDir, 'restore.pid');
    fs.rmSync(pidFile, { force: true });
    const args = ['-D', imageDir, '-W', workDir, '-o', 'restore.log', '-v4', '--root', criuRoot, '--restore-detached', '--restore-sibling', '--pidfile', pidFile, '--evasive-devices', '--cgroup-root', cgroupPath, ...commonCriuArgs(o)];
    args.push(...restoreMountArgs(externalMounts(spec, o.bundle, { version: layout.version, mounts: layout.mounts, dirs: cg.dirs() })));
    readDescriptors(imageDir).forEach((d, fd) => {
      if (d.startsWith('pipe:')) args.push('--inherit-fd', `fd[${fd}]:${d}`);
    });
    const stdio: number[] = [0, 1, 2];
    const netns = externalNetns(spec);
    if (netns) {
      try {
        nsFd = fs.openSync(netns.path, 'r');
      } catch (e) {
        throw new RuntimeError('INVALID_CONFIG', `config.json /linux/namespaces: network namespace ${netns.path}: ${(e as Error).message}`);
      }
      stdio.push(nsFd);
      args.push('--inherit-fd', `fd[${stdio.length - 1}]:${netns.key}`);
    }
    try {
      runCriu({ binary: criu, action: 'restore', args, log: 'restore.log', stdio }, workDir);
    } finally {
      // CRIU may have written the pid before failing later: never leave such a process behind.
      const early = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : 0);
      if (early > 0) undo.push(() => killAndWait(early, undefined));
    }
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    if (!(pid > 0) || processLiveness(pid) !== 'alive') throw new RuntimeError('CRIU', `criu restore reported pid ${pid}, which is not running`);
    const saved: SavedState = {
      id: o.id,
      pid,
      pidStartTime: processStartTime(pid),
      bundle: o.bundle,
      rootfs,
      created: rfc3339Nano(),
      owner: os.userInfo().username,
      cgroupPath,
      spec,
    };
    saveState(g.root, saved);
    if (o.pidFile) writeFileAtomic(path.resolve(o.pidFile), String(pid), 0o644);
    return saved;
  } catch (e) {
    releaseRoot();
    for (const f of undo.reverse()) {
      try {
        f();
      } catch {
        // keep undoing; the original error is what the user needs
      }
    }
    throw e;
  } finally {
    if (nsFd !== undefined) fs.closeSync(nsFd);
    releaseRoot();
    unlock();
  }
}

/** Wait for our child (CRIU restored it as our sibling, so it is ours) without blocking signals. */
async function waitChild(pid: number): Promise<number> {
  for (;;) {
    const r = waitpid(pid, WNOHANG);
    if (r.pid === pid) return waitExitCode(r.status);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function restore(g: GlobalOptions, o: RestoreOptions): Promise<number> {
  if (o.consoleSocket && !fs.existsSync(o.consoleSocket)) throw new RuntimeError('INVALID_ARGUMENT', `--console-socket ${o.consoleSocket}: no such socket`);
  const saved = await restoreContainer(g, o);
  if (o.detach) return 0;
  const stop = forwardSignals(saved.pid);
  let code: number;
  try {
    code = await waitChild(saved.pid);
  } finally {
    stop();
  }
  await remove(g, { id: o.id, force: true });
  return code;
}
