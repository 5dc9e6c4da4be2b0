// Engine start: the containers of the last run come back (moby's daemon.restore). Records are
// read from <data-root>/containers; for each one the engine believed running, the manager says
// what became of its task while the engine was away:
//   - still running or paused -> re-adopted: FIFOs re-opened, its exit awaited again;
//   - exited                  -> the exit status is collected from the manager (Tasks.Delete) and
//                                handled as any exit (die event, restart policy, --rm);
//   - gone                    -> exited with 255 and an error saying so.
// Then containers with restart policy "always" (and "unless-stopped" not stopped by the user)
// that are not running are started, as dockerd does at boot.
import fs from 'node:fs';
import path from 'node:path';
import { ManagerError, managerApi } from '@strata/manager';
import { JsonFileLog } from './jsonLog';
import type { ContainerService } from './service';
import { fifoPaths, ProcessIO } from './stdio';
import type { ContainerRecord } from './types';

export async function recoverContainers(svc: ContainerService): Promise<void> {
  const list = svc.store.load((id, e) => svc.o.log('error', 'cannot load container', { id, err: String(e) }));
  for (const c of list) {
    try {
      await recoverOne(svc, c);
    } catch (e) {
      svc.o.log('error', 'recovering a container failed', { id: c.Id, err: String(e) });
    }
  }
  for (const c of list) {
    const p = c.HostConfig.RestartPolicy?.Name;
    if (c.State.Running || !svc.store.find(c.Id)) continue;
    if (p === 'always' || (p === 'unless-stopped' && !c.Strata.manuallyStopped)) {
      await svc.locked(c.Id, () => svc.startLocked(c)).catch((e) => svc.o.log('warn', 'restart at engine start failed', { id: c.Id, err: String(e) }));
    }
  }
}

async function recoverOne(svc: ContainerService, c: ContainerRecord): Promise<void> {
  if (c.State.Status === 'removing') {
    // the engine stopped in the middle of a removal: finish it
    await svc.locked(c.Id, () => svc.removeLocked(c, { volumes: false }));
    return;
  }
  if (c.State.Status === 'restarting') svc.setState(c, 'exited');
  if (!c.State.Running) return;
  let proc: managerApi.Process | undefined;
  try {
    proc = await svc.client.tasks.get(c.Id);
  } catch (e) {
    if (!(e instanceof ManagerError && e.code === 'NOT_FOUND')) throw e;
  }
  const fifos = fifoPaths(path.join(svc.o.execRoot, 'containers', c.Id), 'init', { stdin: !!c.Config.OpenStdin, tty: !!c.Config.Tty });
  const alive = proc && (proc.status === managerApi.ProcessStatus.RUNNING || proc.status === managerApi.ProcessStatus.PAUSED || proc.status === managerApi.ProcessStatus.PAUSING);
  if (proc && alive && fs.existsSync(fifos.stdout)) {
    const log = new JsonFileLog(c.LogPath);
    const io = svc.fanOut(c.Id, new ProcessIO(fifos, false, log));
    const waited = svc.client.tasks.wait(c.Id);
    waited.catch(() => {});
    c.State.Pid = proc.pid;
    svc.noteCgroup(c.Id, proc.pid);
    svc.setState(c, proc.status === managerApi.ProcessStatus.RUNNING ? 'running' : 'paused');
    svc.adopt(c, io, log, waited);
    svc.o.log('info', 'container re-adopted', { id: c.Id, pid: proc.pid });
    return;
  }
  // it exited while the engine was away (or never came back): collect and handle the exit
  let code = 255;
  if (proc) {
    if (alive) await svc.client.tasks.kill(c.Id, 9, { all: true }).catch(() => {}); // its FIFOs are gone: nobody can read it
    const r = await svc.client.tasks.wait(c.Id).catch(() => undefined);
    code = r?.exitStatus ?? proc.exitStatus;
  } else c.State.Error = 'the task was gone when the engine restarted';
  await svc.locked(c.Id, () => svc.handleExit(c, code));
}
