// docker network ls --filter: name (substring), id (prefix), driver, label (key or key=value),
// type (builtin | custom), scope (local). Values of one key are ORed, keys are ANDed (moby's filters).
import type { NetworkFilters, NetworkRecord } from './types';

export function filterNetworks(networks: NetworkRecord[], filters: NetworkFilters, predefined: string[]): NetworkRecord[] {
  const match = (key: string, test: (v: string, n: NetworkRecord) => boolean) => (n: NetworkRecord) => !filters[key]?.length || filters[key].some((v) => test(v, n));
  return networks
    .filter(match('name', (v, n) => n.Name.includes(v)))
    .filter(match('id', (v, n) => n.Id.startsWith(v)))
    .filter(match('driver', (v, n) => n.Driver === v))
    .filter(match('scope', (v) => v === 'local'))
    .filter(match('type', (v, n) => (v === 'builtin') === predefined.includes(n.Name)))
    .filter(
      match('label', (v, n) => {
        const [k, val] = v.split('=', 2);
        return k in n.Labels && (val === undefined || n.Labels[k] === val);
      }),
    )
    .sort((a, b) => a.Name.localeCompare(b.Name));
}
