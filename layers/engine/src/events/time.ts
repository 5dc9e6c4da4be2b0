// Times in GET /events?since=&until=: the docker CLI sends "<seconds>[.<nanoseconds>]" (it turns
// "10m" or an RFC 3339 date into that before the request, see docker/cli's timetypes); other
// clients send RFC 3339 too, so both are read. Returned in nanoseconds since the epoch.
import { invalidParam } from '../errors';

export function parseEventTime(value: string, field: string): number {
  const v = value.trim();
  const m = /^(\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (m) return Number(m[1]) * 1e9 + Number((m[2] ?? '').padEnd(9, '0') || 0);
  const ms = Date.parse(v);
  if (/^\d{4}-\d{2}-\d{2}/.test(v) && Number.isFinite(ms)) return ms * 1e6;
  throw invalidParam(`invalid ${field} value ${JSON.stringify(value)}: want unix seconds (e.g. 1700000000.5) or an RFC 3339 date`);
}
