// GET /containers/{id}/top (docker top): the host's `ps` with the client's ps_args, keeping the
// rows whose PID belongs to the container (the task's pids from Tasks.ListPids), as dockerd does.
import { spawnSync } from 'node:child_process';
import { EngineError, invalidParam } from '../errors';
import type { ContainerService } from './service';
import type { ContainerRecord } from './types';

export async function containerTop(svc: ContainerService, c: ContainerRecord, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
  if (!c.State.Running || c.State.Status === 'restarting') throw new EngineError('conflict', `container ${c.Id} is not running`);
  if (c.State.Paused) throw new EngineError('conflict', `Container ${c.Id} is paused, unpause the container before running top`);
  const args = psArgs.split(/\s+/).filter(Boolean);
  if (args.some((a) => !/^[\w,=:%+-]+$/.test(a))) throw invalidParam(`invalid ps_args: ${psArgs}`);
  const pids = new Set((await svc.client.tasks.pids(c.Id)).map((p) => p.pid));
  const r = spawnSync('ps', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new EngineError('system', `Error running ps: ${(r.stderr || r.error?.message || '').trim()}`);
  return parsePs(r.stdout, pids);
}

export function parsePs(out: string, pids: Set<number>): { Titles: string[]; Processes: string[][] } {
  const lines = out.split('\n').filter((l) => l.trim());
  const Titles = (lines[0] ?? '').trim().split(/\s+/);
  const col = Titles.indexOf('PID');
  if (col < 0) throw new EngineError('system', `Couldn't find PID field in ps output`);
  const Processes: string[][] = [];
  for (const l of lines.slice(1)) {
    const f = l.trim().split(/\s+/);
    if (!pids.has(Number(f[col]))) continue;
    // the last column (CMD) keeps its spaces
    Processes.push([...f.slice(0, Titles.length - 1), f.slice(Titles.length - 1).join(' ')]);
  }
  return { Titles, Processes };
}
