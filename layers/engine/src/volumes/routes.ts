// The /volumes endpoints (docker volume ls/create/inspect/rm/prune).
import type { Route } from '../api/types';
import { invalidParam } from '../errors';
import { parseFiltersParam } from '../events/filters';
import type { VolumeCreateRequest, VolumeStore } from './store';

export function volumeRoutes(store: VolumeStore): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/volumes',
      handler: (req, res) => res.json(200, { Volumes: store.list(parseFiltersParam(req.query.get('filters'))), Warnings: null }),
    },
    {
      method: 'POST',
      pattern: '/volumes/create',
      handler: async (req, res) => {
        const body = (await req.json<VolumeCreateRequest>()) ?? {};
        if (typeof body !== 'object' || Array.isArray(body)) throw invalidParam('volume create: the body must be a JSON object');
        if (body.Name !== undefined && typeof body.Name !== 'string') throw invalidParam('volume create: Name must be a string');
        if (body.Driver !== undefined && typeof body.Driver !== 'string') throw invalidParam('volume create: Driver must be a string');
        res.json(201, await store.create(body));
      },
    },
    {
      method: 'POST',
      pattern: '/volumes/prune',
      handler: async (req, res) => res.json(200, await store.prune(parseFiltersParam(req.query.get('filters')), req.apiVersion)),
    },
    {
      method: 'GET',
      pattern: '/volumes/{name}',
      handler: (req, res) => res.json(200, store.get(req.params.name)),
    },
    {
      method: 'DELETE',
      pattern: '/volumes/{name}',
      handler: async (req, res) => {
        await store.remove(req.params.name, isTrue(req.query.get('force')));
        res.empty(204);
      },
    },
  ];
}

export const isTrue = (v: string | null): boolean => v === '1' || v === 'true' || v === 'True';
