// The checkpoint endpoints of the Engine API (experimental in dockerd too; a daemon without
// --experimental answers them 501). The restore half is a query of POST /containers/{id}/start,
// served by the container routes (containers/routes.ts) through CheckpointService.restore.
import type { Route } from '../api/types';
import { invalidParam } from '../errors';
import type { CheckpointCreateRequest, CheckpointService } from './service';

export function checkpointRoutes(cp: CheckpointService): Route[] {
  const dir = (q: URLSearchParams) => q.get('dir') ?? undefined;
  return [
    {
      method: 'POST',
      pattern: '/containers/{id}/checkpoints',
      handler: async (req, res) => {
        cp.assertEnabled();
        const body = await req.json<CheckpointCreateRequest>();
        if (!body || typeof body !== 'object') throw invalidParam('checkpoint create: the body must be a JSON object {"CheckpointID": NAME, "CheckpointDir": DIR, "Exit": BOOL}');
        await cp.create(req.params.id, body);
        res.empty(201);
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/checkpoints',
      handler: (req, res) => res.json(200, cp.list(req.params.id, dir(req.query))),
    },
    {
      method: 'DELETE',
      pattern: '/containers/{id}/checkpoints/{checkpoint}',
      handler: (req, res) => {
        cp.remove(req.params.id, req.params.checkpoint, dir(req.query));
        res.empty(204);
      },
    },
  ];
}
