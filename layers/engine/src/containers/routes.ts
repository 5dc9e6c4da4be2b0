// The container and exec endpoints of the Engine API (moby's api/server/router/container).
import { MULTIPLEXED_STREAM, RAW_STREAM } from '../api/stdcopy';
import type { Route } from '../api/types';
import { EngineError, invalidParam } from '../errors';
import type { CheckpointService } from '../checkpoints/service';
import type { ExecService } from '../exec/exec';
import { archiveRoutes } from './archiveRoutes';
import { attachContainer, logsOptions, streamLogs } from './attach';
import type { ContainerService } from './service';
import { containerStats } from './stats';
import { containerTop } from './top';
import { inspectView, listView, matchFilters, parseFilters } from './views';

const bool = (q: URLSearchParams, k: string, dflt = false) => {
  const v = q.get(k);
  if (v === null || v === '') return dflt;
  return !['0', 'false', 'False', 'no'].includes(v);
};

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw invalidParam(`invalid value for "${k}": ${v}`);
  return Number(v);
}

export function containerRoutes(svc: ContainerService, execs: ExecService, checkpoints: CheckpointService): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/containers/create',
      handler: async (req, res) => {
        const body = await req.json();
        if (body === undefined) throw invalidParam('config cannot be empty in order to create a container');
        res.json(201, await svc.create(body, req.query.get('name') || null));
      },
    },
    {
      method: 'GET',
      pattern: '/containers/json',
      handler: (req, res) => {
        const all = bool(req.query, 'all');
        const limit = intParam(req.query, 'limit') ?? -1;
        const filters = parseFilters(req.query.get('filters'));
        let list = svc.store.all().filter((c) => (all || limit > 0 || c.State.Running || filters.status?.length ? true : false) && matchFilters(c, filters, (r) => svc.store.find(r)));
        if (!all && !filters.status?.length && limit <= 0) list = list.filter((c) => c.State.Running);
        if (limit > 0) list = list.slice(0, limit);
        res.json(200, list.map(listView));
      },
    },
    {
      method: 'POST',
      pattern: '/containers/prune',
      handler: async (req, res) => {
        const filters = parseFilters(req.query.get('filters'));
        for (const k of Object.keys(filters)) if (!['label', 'label!', 'until'].includes(k)) throw invalidParam(`invalid filter '${k}'`);
        const until = filters.until?.[0] ? (/^\d+(\.\d+)?$/.test(filters.until[0]) ? Number(filters.until[0]) * 1000 : Date.parse(filters.until[0])) : Infinity;
        const deleted: string[] = [];
        let reclaimed = 0;
        for (const c of svc.store.all()) {
          if (!['created', 'exited', 'dead'].includes(c.State.Status) || Date.parse(c.Created) > until) continue;
          if (filters.label && !matchFilters(c, { label: filters.label }, () => undefined)) continue;
          if (filters['label!']?.some((l) => matchFilters(c, { label: [l] }, () => undefined))) continue;
          reclaimed += await svc.client.snapshots(svc.snapshotter).usage(c.Id).then((u) => u.size).catch(() => 0);
          await svc.remove(c.Id, { force: false, volumes: false });
          execs.purge(c.Id);
          deleted.push(c.Id);
        }
        res.json(200, { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
      },
    },
    { method: 'GET', pattern: '/containers/{id}/json', handler: (req, res) => res.json(200, inspectView(svc.get(req.params.id), execs.idsOf(svc.get(req.params.id).Id))) },
    {
      method: 'POST',
      pattern: '/containers/{id}/start',
      handler: async (req, res) => {
        // ?checkpoint=NAME (&checkpoint-dir=DIR): restore the task from a checkpoint (experimental)
        const checkpoint = req.query.get('checkpoint');
        if (checkpoint) {
          await checkpoints.restore(req.params.id, checkpoint, req.query.get('checkpoint-dir') || undefined);
          return res.empty(204);
        }
        try {
          await svc.start(req.params.id);
        } catch (e) {
          if (e instanceof EngineError && e.kind === 'notModified') return res.empty(304);
          throw e;
        }
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/stop',
      handler: async (req, res) => {
        try {
          await svc.stop(req.params.id, intParam(req.query, 't'), req.query.get('signal') ?? undefined);
        } catch (e) {
          if (e instanceof EngineError && e.kind === 'notModified') return res.empty(304);
          throw e;
        }
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/restart',
      handler: async (req, res) => {
        await svc.restart(req.params.id, intParam(req.query, 't'), req.query.get('signal') ?? undefined);
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/kill',
      handler: async (req, res) => {
        await svc.kill(req.params.id, req.query.get('signal') ?? undefined);
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/pause',
      handler: async (req, res) => {
        await svc.pause(req.params.id);
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/unpause',
      handler: async (req, res) => {
        await svc.unpause(req.params.id);
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/rename',
      handler: async (req, res) => {
        await svc.rename(req.params.id, req.query.get('name') ?? '');
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/resize',
      handler: async (req, res) => {
        await svc.resize(req.params.id, intParam(req.query, 'h') ?? 0, intParam(req.query, 'w') ?? 0);
        res.json(200, {});
      },
    },
    {
      method: 'DELETE',
      pattern: '/containers/{id}',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        await svc.remove(req.params.id, { force: bool(req.query, 'force'), volumes: bool(req.query, 'v') });
        execs.purge(c.Id);
        res.empty(204);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/wait',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const cond = (req.query.get('condition') || 'not-running') as 'not-running' | 'next-exit' | 'removed';
        if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalidParam(`invalid condition: "${cond}"`);
        // headers now (the CLI waits for them before it starts the container), the body at the exit
        const waited = svc.wait(c, cond);
        const out = res.stream(200, 'application/json');
        const r = await waited;
        out.end(`${JSON.stringify(r)}\n`);
      },
    },
    {
      method: 'POST',
      pattern: '/containers/{id}/attach',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const { assertAllowed } = await import('../states');
        assertAllowed('attach', c.State.Status, { id: c.Id, name: c.Name });
        const o = { stdin: bool(req.query, 'stdin'), stdout: bool(req.query, 'stdout'), stderr: bool(req.query, 'stderr'), stream: bool(req.query, 'stream'), logs: bool(req.query, 'logs') };
        const sock = res.hijack(c.Config.Tty ? RAW_STREAM : MULTIPLEXED_STREAM);
        await attachContainer(svc, c, sock, o);
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/logs',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const o = logsOptions(req.query);
        if (c.HostConfig.LogConfig && !['json-file', 'local', ''].includes(c.HostConfig.LogConfig.Type)) throw invalidParam(`configured logging driver does not support reading`);
        const out = res.stream(200, c.Config.Tty ? RAW_STREAM : MULTIPLEXED_STREAM);
        let closed = false;
        req.raw.socket.on('close', () => (closed = true));
        await streamLogs(svc, c, out, o, () => closed);
        out.end();
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/top',
      handler: async (req, res) => res.json(200, await containerTop(svc, svc.get(req.params.id), req.query.get('ps_args') || '-ef')),
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/stats',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const stream = bool(req.query, 'stream', true);
        const oneShot = bool(req.query, 'one-shot');
        await containerStats(svc, c, res, { stream, oneShot, isClosed: () => req.raw.socket.destroyed });
      },
    },
    ...archiveRoutes(svc),
    // --- exec --------------------------------------------------------------------------------
    {
      method: 'POST',
      pattern: '/containers/{id}/exec',
      handler: async (req, res) => res.json(201, execs.create(req.params.id, await req.json())),
    },
    {
      method: 'POST',
      pattern: '/exec/{id}/start',
      handler: async (req, res) => {
        const body = (await req.json<{ Detach?: boolean; Tty?: boolean }>()) ?? {};
        const e = execs.get(req.params.id);
        if (body.Detach) {
          await execs.start(e.ID, { detach: true, tty: body.Tty });
          return res.json(200, {});
        }
        const tty = body.Tty ?? e.ProcessConfig.tty;
        const upgrade = (req.headers.upgrade ?? '').toLowerCase() === 'tcp';
        if (!upgrade) {
          // a plain POST: the output is the (chunked) response body
          const out = res.stream(200, tty ? RAW_STREAM : MULTIPLEXED_STREAM);
          await execs.start(e.ID, { detach: false, tty, sock: () => out as any });
          return;
        }
        await execs.start(e.ID, { detach: false, tty, sock: () => res.hijack(tty ? RAW_STREAM : MULTIPLEXED_STREAM) });
      },
    },
    {
      method: 'POST',
      pattern: '/exec/{id}/resize',
      handler: async (req, res) => {
        await execs.resize(req.params.id, intParam(req.query, 'h') ?? 0, intParam(req.query, 'w') ?? 0);
        res.json(200, {});
      },
    },
    { method: 'GET', pattern: '/exec/{id}/json', handler: (req, res) => res.json(200, execs.inspect(req.params.id)) },
  ];
}
