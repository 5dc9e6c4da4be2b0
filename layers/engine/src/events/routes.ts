// GET /events (docker events): JSON lines, one event each, flushed as they happen. With `since`,
// the kept past events come first; with `until`, the stream ends at that time (at once if it has
// passed). The subscription ends when the client goes away.
import type { Route } from '../api/types';
import { invalidParam } from '../errors';
import type { EngineEvents } from './events';
import { parseFiltersParam } from './filters';
import { parseEventTime } from './time';

export function eventsRoutes(events: EngineEvents): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/events',
      handler: (req, res) => {
        const since = req.query.get('since') ? parseEventTime(req.query.get('since')!, 'since') : undefined;
        const until = req.query.get('until') ? parseEventTime(req.query.get('until')!, 'until') : undefined;
        if (since !== undefined && until !== undefined && until < since) throw invalidParam('`since` time must be before `until` time');
        const filters = parseFiltersParam(req.query.get('filters'));
        // Validate the filters before the 200 goes out: a bad one is a 400, not a broken stream.
        events.past({ filters, since: Number.MAX_SAFE_INTEGER });
        const out = res.stream(200, 'application/json');
        let unsubscribe = () => {};
        let timer: NodeJS.Timeout | undefined;
        const finish = () => {
          unsubscribe();
          if (timer) clearTimeout(timer);
          if (!out.writableEnded) out.end();
        };
        unsubscribe = events.subscribe({ filters, since, until }, (e) => out.write(`${JSON.stringify(e)}\n`));
        req.raw.socket.once('close', finish);
        out.once('close', finish);
        if (until !== undefined) {
          const wait = until / 1e6 - Date.now();
          if (wait <= 0) finish();
          else timer = setTimeout(finish, Math.min(wait, 2 ** 31 - 1));
        }
      },
    },
  ];
}
