// Container commands that are one API call per container, plus ps, logs, wait, top.
import type { Command } from '../command';
import { FILTER_FLAG, FORMAT_FLAG, QUIET_FLAG, filtersJson, shortId } from '../command';
import { readAll } from '../client';
import { CliError } from '../errors';
import { bool, int, list, str } from '../flags';
import { printList } from '../format/list';
import { tabwrite } from '../format/table';
import { goTime, humanSize, parseTimestamp, timeAgo } from '../format/units';
import { StdioDemuxer } from '../stream';
import { enc, forEach } from './each';

/** docker's Ellipsis: cut to n display characters, the last one an ellipsis. */
export const ellipsis = (s: string, n: number): string => ([...s].length <= n ? s : `${[...s].slice(0, n - 1).join('')}…`);

/** "0.0.0.0:8080->80/tcp, 443/tcp": published ports first as host->container, then exposed ones. */
export function displayPorts(ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = []): string {
  const sorted = [...ports].sort((a, b) => (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.PrivatePort - b.PrivatePort || (a.IP ?? '').localeCompare(b.IP ?? ''));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of sorted) {
    const ip = p.IP ? (p.IP.includes(':') ? `[${p.IP}]` : p.IP) : '';
    const s = p.PublicPort ? `${ip}:${p.PublicPort}->${p.PrivatePort}/${p.Type}` : `${p.PrivatePort}/${p.Type}`;
    if (!seen.has(s)) out.push(s);
    seen.add(s);
  }
  return out.join(', ');
}

/** The template context of one `ps` row (cli/command/formatter/container.go's field names). */
export function containerRow(c: any, o: { trunc: boolean; now?: number }) {
  const names = (c.Names ?? []).map((n: string) => n.replace(/^\//, '')).filter((n: string) => !n.includes('/'));
  const command = o.trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '');
  const labels: Record<string, string> = c.Labels ?? {};
  return {
    Command: JSON.stringify(command),
    CreatedAt: goTime(c.Created),
    ID: o.trunc ? shortId(c.Id) : c.Id,
    Image: o.trunc && /^sha256:/.test(c.Image ?? '') ? shortId(c.Image) : (c.Image ?? ''),
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m: any) => m.Driver === 'local').length),
    Mounts: (c.Mounts ?? []).map((m: any) => (m.Name ? (o.trunc ? ellipsis(m.Name, 15) : m.Name) : m.Source)).join(','),
    Names: names.join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(','),
    Platform: null,
    Ports: displayPorts(c.Ports),
    RunningFor: timeAgo(c.Created, o.now),
    Size: `${humanSize(c.SizeRw ?? 0)}${c.SizeRootFs ? ` (virtual ${humanSize(c.SizeRootFs)})` : ''}`,
    State: c.State ?? '',
    Status: c.Status ?? '',
    Label(k: string) {
      return labels[k] ?? '';
    },
  };
}

const PS_HEADERS = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Status: 'STATUS', Ports: 'PORTS', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', Size: 'SIZE', State: 'STATE', LocalVolumes: 'LOCAL VOLUMES' };

export const ps: Command = {
  name: 'ps',
  aliases: ['container ls', 'container list', 'container ps'],
  usage: '[OPTIONS]',
  desc: 'List containers',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', desc: 'Show all containers (default shows just running)' },
    FILTER_FLAG,
    FORMAT_FLAG,
    { name: 'last', short: 'n', kind: 'int', desc: 'Show n last created containers (includes all states)', def: '-1', valueName: 'int' },
    { name: 'latest', short: 'l', kind: 'bool', desc: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', kind: 'bool', desc: "Don't truncate output" },
    QUIET_FLAG('container IDs'),
    { name: 'size', short: 's', kind: 'bool', desc: 'Display total file sizes' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const last = bool(f, 'latest') ? 1 : (int(f, 'last') ?? -1);
    // docker asks for sizes when the format shows them (json and {{json .}} include Size).
    const fmt = str(f, 'format') ?? '';
    const wantSize = bool(f, 'size') || /\.Size|json/.test(fmt);
    const list_ = await ctx.client.json<any[]>('GET', '/containers/json', {
      query: { all: bool(f, 'all') || last > 0 ? 1 : undefined, limit: last > 0 ? last : undefined, size: wantSize ? 1 : undefined, filters: filtersJson(list(f, 'filter')) },
    });
    const trunc = !bool(f, 'no-trunc');
    const now = Date.now();
    let tmpl = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
    if (bool(f, 'size')) tmpl += '\t{{.Size}}';
    printList(ctx, {
      format: str(f, 'format'),
      defaultTable: tmpl.slice(6),
      headers: PS_HEADERS,
      items: list_.map((c) => containerRow(c, { trunc, now })),
      quiet: bool(f, 'quiet') ? (r) => r.ID : undefined,
    });
  },
};

export const stop: Command = {
  name: 'stop',
  aliases: ['container stop'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  desc: 'Stop one or more running containers',
  flags: [
    { name: 'signal', short: 's', kind: 'string', desc: 'Signal to send to the container', valueName: 'string' },
    { name: 'time', short: 't', kind: 'int', desc: 'Seconds to wait before killing the container', valueName: 'int' },
  ],
  args: { min: 1 },
  run: (ctx, f, args) => forEach(ctx, args, (n) => ctx.client.request('POST', `/containers/${enc(n)}/stop`, { query: { t: int(f, 'time'), signal: str(f, 'signal') } }).then((r) => void r.resume())),
};

export const restart: Command = {
  name: 'restart',
  aliases: ['container restart'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  desc: 'Restart one or more containers',
  flags: stop.flags,
  args: { min: 1 },
  run: (ctx, f, args) => forEach(ctx, args, (n) => ctx.client.request('POST', `/containers/${enc(n)}/restart`, { query: { t: int(f, 'time'), signal: str(f, 'signal') } }).then((r) => void r.resume())),
};

export const kill: Command = {
  name: 'kill',
  aliases: ['container kill'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  desc: 'Kill one or more running containers',
  flags: [{ name: 'signal', short: 's', kind: 'string', desc: 'Signal to send to the container', valueName: 'string' }],
  args: { min: 1 },
  run: (ctx, f, args) => forEach(ctx, args, (n) => ctx.client.request('POST', `/containers/${enc(n)}/kill`, { query: { signal: str(f, 'signal') } }).then((r) => void r.resume())),
};

export const rm: Command = {
  name: 'rm',
  aliases: ['container rm', 'container remove'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  desc: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', desc: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', desc: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', desc: 'Remove anonymous volumes associated with the container' },
  ],
  args: { min: 1 },
  run: (ctx, f, args) =>
    forEach(ctx, args, async (n) => {
      // docker rm -f of a missing container is not an error
      try {
        (await ctx.client.request('DELETE', `/containers/${enc(n)}`, { query: { force: bool(f, 'force') ? 1 : undefined, v: bool(f, 'volumes') ? 1 : undefined } })).resume();
      } catch (e) {
        // docker rm -f of a missing container prints the daemon's error but does not fail
        if (bool(f, 'force') && e instanceof CliError && /No such container/.test(e.message)) {
          ctx.err(`${e.message}\n`);
          return null;
        }
        throw e;
      }
    }),
};

export const pause: Command = {
  name: 'pause',
  aliases: ['container pause'],
  usage: 'CONTAINER [CONTAINER...]',
  desc: 'Pause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  run: (ctx, _f, args) => forEach(ctx, args, (n) => ctx.client.request('POST', `/containers/${enc(n)}/pause`).then((r) => void r.resume())),
};

export const unpause: Command = {
  name: 'unpause',
  aliases: ['container unpause'],
  usage: 'CONTAINER [CONTAINER...]',
  desc: 'Unpause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  run: (ctx, _f, args) => forEach(ctx, args, (n) => ctx.client.request('POST', `/containers/${enc(n)}/unpause`).then((r) => void r.resume())),
};

export const rename: Command = {
  name: 'rename',
  aliases: ['container rename'],
  usage: 'CONTAINER NEW_NAME',
  desc: 'Rename a container',
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, _f, [c, name]) {
    if (!name.trim()) throw new CliError('Error: Neither old nor new names may be empty');
    try {
      (await ctx.client.request('POST', `/containers/${enc(c)}/rename`, { query: { name } })).resume();
    } catch (e) {
      if (e instanceof CliError) throw new CliError(`${e.message}\nError: failed to rename container named ${c}`);
      throw e;
    }
  },
};

export const wait: Command = {
  name: 'wait',
  aliases: ['container wait'],
  usage: 'CONTAINER [CONTAINER...]',
  desc: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: { min: 1 },
  run: (ctx, _f, args) =>
    forEach(ctx, args, async (n) => {
      const res = await ctx.client.request('POST', `/containers/${enc(n)}/wait`);
      const body = JSON.parse((await readAll(res)).toString() || '{}');
      if (body.Error?.Message) throw new CliError(body.Error.Message);
      return String(body.StatusCode);
    }),
};

export const top: Command = {
  name: 'top',
  aliases: ['container top'],
  usage: 'CONTAINER [ps OPTIONS]',
  desc: 'Display the running processes of a container',
  flags: [],
  args: { min: 1 },
  interspersed: false,
  async run(ctx, _f, [c, ...psArgs]) {
    const r = await ctx.client.json<{ Titles: string[]; Processes: string[][] }>('GET', `/containers/${enc(c)}/top`, { query: { ps_args: psArgs.join(' ') || undefined } });
    ctx.out(tabwrite(`${[r.Titles, ...r.Processes].map((row) => row.join('\t')).join('\n')}\n`, { minWidth: 20 }));
  },
};

export const logs: Command = {
  name: 'logs',
  aliases: ['container logs'],
  usage: '[OPTIONS] CONTAINER',
  desc: 'Fetch the logs of a container',
  flags: [
    { name: 'details', kind: 'bool', desc: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', desc: 'Follow log output' },
    { name: 'since', kind: 'string', desc: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', valueName: 'string' },
    { name: 'tail', short: 'n', kind: 'string', desc: 'Number of lines to show from the end of the logs', def: 'all', valueName: 'string' },
    { name: 'timestamps', short: 't', kind: 'bool', desc: 'Show timestamps' },
    { name: 'until', kind: 'string', desc: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)', valueName: 'string' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f, [c]) {
    const info = await ctx.client.json('GET', `/containers/${enc(c)}/json`);
    const time = (k: string) => {
      const v = str(f, k);
      if (v === undefined) return undefined;
      try {
        return String(parseTimestamp(v));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
    };
    const tail = str(f, 'tail') ?? 'all';
    if (tail !== 'all' && !/^-?\d+$/.test(tail)) throw new CliError(`invalid value for "tail": "${tail}"`);
    const res = await ctx.client.request('GET', `/containers/${info.Id}/logs`, {
      query: { stdout: 1, stderr: 1, follow: bool(f, 'follow') ? 1 : undefined, tail, timestamps: bool(f, 'timestamps') ? 1 : undefined, since: time('since'), until: time('until'), details: bool(f, 'details') ? 1 : undefined },
    });
    if (info.Config?.Tty) {
      for await (const chunk of res) ctx.stdout.write(chunk as Buffer);
      return;
    }
    const demux = new StdioDemuxer((s, p) => (s === 2 ? ctx.stderr : ctx.stdout).write(p));
    for await (const chunk of res) demux.push(chunk as Buffer);
  },
};

export const port: Command = {
  name: 'port',
  aliases: ['container port'],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  desc: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx, _f, [c, which]) {
    const info = await ctx.client.json('GET', `/containers/${enc(c)}/json`);
    const ports: Record<string, { HostIp: string; HostPort: string }[] | null> = info.NetworkSettings?.Ports ?? {};
    const want = which && !which.includes('/') ? `${which}/tcp` : which;
    const lines: string[] = [];
    for (const [k, bs] of Object.entries(ports)) {
      if (want && k !== want) continue;
      for (const b of bs ?? []) {
        const host = `${b.HostIp.includes(':') ? `[${b.HostIp}]` : b.HostIp || '0.0.0.0'}:${b.HostPort}`;
        lines.push(want ? host : `${k} -> ${host}`);
      }
    }
    if (want && !lines.length) throw new CliError(`Error: No public port '${want}' published for ${c}`);
    for (const l of lines) ctx.out(`${l}\n`);
  },
};

