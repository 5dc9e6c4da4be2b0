// docker volume ls/create/rm/inspect/prune.
import type { Command } from '../command';
import { FILTER_FLAG, FORMAT_FLAG, QUIET_FLAG, filtersJson } from '../command';
import { CliError } from '../errors';
import { bool, list, str } from '../flags';
import { printList } from '../format/list';
import { humanSize } from '../format/units';
import { enc, forEach } from './each';
import { typedInspect } from './inspect';

const kvFlags = (values: string[]) => Object.fromEntries(values.map((v) => (v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, ''])));

export const volumeLs: Command = {
  name: 'volume ls',
  aliases: ['volume list'],
  usage: '[OPTIONS]',
  desc: 'List volumes',
  flags: [FILTER_FLAG, FORMAT_FLAG, QUIET_FLAG('volume names')],
  args: { max: 0 },
  async run(ctx, f) {
    const r = await ctx.client.json<{ Volumes: any[] | null }>('GET', '/volumes', { query: { filters: filtersJson(list(f, 'filter')) } });
    const vols = [...(r.Volumes ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
    printList(ctx, {
      format: str(f, 'format'),
      defaultTable: '{{.Driver}}\t{{.Name}}',
      headers: { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Scope: 'SCOPE', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' },
      items: vols.map((v) => ({
        Driver: v.Driver,
        Name: v.Name,
        Mountpoint: v.Mountpoint,
        Scope: v.Scope,
        Labels: Object.entries(v.Labels ?? {})
          .map(([k, x]) => `${k}=${x}`)
          .join(','),
        Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
        Size: v.UsageData && v.UsageData.Size >= 0 ? humanSize(v.UsageData.Size) : 'N/A',
        Label(k: string) {
          return v.Labels?.[k] ?? '';
        },
      })),
      quiet: bool(f, 'quiet') ? (v) => v.Name : undefined,
    });
  },
};

export const volumeCreate: Command = {
  name: 'volume create',
  usage: '[OPTIONS] [VOLUME]',
  desc: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', kind: 'string', desc: 'Specify volume driver name', def: 'local', valueName: 'string' },
    { name: 'label', kind: 'list', desc: 'Set metadata for a volume', valueName: 'list' },
    { name: 'name', kind: 'string', desc: 'Specify volume name', valueName: 'string' },
    { name: 'opt', short: 'o', kind: 'list', desc: 'Set driver specific options', valueName: 'map' },
  ],
  args: { max: 1 },
  async run(ctx, f, [name]) {
    if (name && str(f, 'name') && name !== str(f, 'name')) throw new CliError('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    const v = await ctx.client.json('POST', '/volumes/create', { body: { Name: name ?? str(f, 'name') ?? '', Driver: str(f, 'driver') ?? 'local', DriverOpts: kvFlags(list(f, 'opt')), Labels: kvFlags(list(f, 'label')) } });
    ctx.out(`${v.Name}\n`);
  },
};

export const volumeRm: Command = {
  name: 'volume rm',
  aliases: ['volume remove'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  desc: 'Remove one or more volumes',
  flags: [{ name: 'force', short: 'f', kind: 'bool', desc: 'Force the removal of one or more volumes' }],
  args: { min: 1 },
  run: (ctx, f, args) => forEach(ctx, args, (n) => ctx.client.request('DELETE', `/volumes/${enc(n)}`, { query: { force: bool(f, 'force') ? 1 : undefined } }).then((r) => void r.resume())),
};

export const volumeInspect = typedInspect('volume', 'volume inspect', '[OPTIONS] VOLUME [VOLUME...]', 'Display detailed information on one or more volumes');

export const volumePrune: Command = {
  name: 'volume prune',
  usage: '[OPTIONS]',
  desc: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', desc: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', kind: 'list', desc: 'Provide filter values (e.g. "label=<label>")', valueName: 'filter' },
    { name: 'force', short: 'f', kind: 'bool', desc: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    if (!bool(f, 'force')) throw new CliError('Error: strata volume prune needs --force (no interactive confirmation)');
    const filters = list(f, 'filter');
    // API >= 1.42 prunes only anonymous volumes unless all=true (docker CLI 23+ behaviour).
    if (bool(f, 'all')) filters.push('all=true');
    const r = await ctx.client.json('POST', '/volumes/prune', { query: { filters: filtersJson(filters) } });
    if (r.VolumesDeleted?.length) ctx.out(`Deleted Volumes:\n${r.VolumesDeleted.join('\n')}\n\n`);
    ctx.out(`Total reclaimed space: ${humanSize(r.SpaceReclaimed ?? 0)}\n`);
  },
};
