// docker image prune (POST /images/prune): dangling images (no name), or with dangling=false every
// image no container uses; filters until=<time> and label=/label!=. Images in use stay.
import { invalidParam } from '../errors';
import { boolFilter, checkFilterKeys, matchLabels } from '../events/filters';
import { parseEventTime } from '../events/time';
import { isDangling } from './names';
import type { ImageService } from './service';

export async function pruneImages(svc: ImageService, filters: Record<string, string[]>) {
  checkFilterKeys(filters, ['dangling', 'until', 'label', 'label!']);
  const danglingOnly = boolFilter(filters, 'dangling') ?? true;
  let until: number | undefined;
  if (filters.until?.length) {
    if (filters.until.length > 1) throw invalidParam('invalid filter: more than one until');
    until = parseUntil(filters.until[0]);
  }
  const deleted: ({ Untagged: string } | { Deleted: string })[] = [];
  let space = 0;
  for (const g of (await svc.catalog.images()).values()) {
    const nameless = g.records.every((r) => isDangling(r.name));
    if (danglingOnly && !nameless) continue;
    if (svc.o.isInUse?.(g.id)) continue;
    const labels = g.config.config?.Labels ?? {};
    if (!matchLabels(labels, filters.label)) continue;
    if (filters['label!']?.some((l) => matchLabels(labels, [l]))) continue;
    if (until !== undefined && g.config.created && Date.parse(g.config.created) * 1e6 > until) continue;
    try {
      deleted.push(...(await svc.remove(g.id, { force: true })));
      space += g.size;
    } catch (e) {
      svc.log('warn', 'image prune: could not remove an image', { id: g.id, err: (e as Error).message });
    }
  }
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}

/** until: a time, or a duration before now ("10m", "24h") as docker's filters accept. */
function parseUntil(v: string): number {
  const d = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (d) {
    const ms = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 }[d[2] as 'ns'] * Number(d[1]);
    return (Date.now() - ms) * 1e6;
  }
  return parseEventTime(v, 'until');
}
