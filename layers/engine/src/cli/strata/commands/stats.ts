// docker stats: --no-stream takes one sample per container (stream=0: the daemon measures two
// points so CPU % has a delta); streaming keeps one stream per container open and redraws the
// table every second.
import type { Command } from '../command';
import { FORMAT_FLAG } from '../command';
import { readAll } from '../client';
import { bool, str } from '../flags';
import { printList } from '../format/list';
import { STATS_HEADERS, STATS_TABLE, type StatsRow, statsRow } from '../format/stats';
import { jsonMessages } from '../stream';
import { enc } from './each';

export const stats: Command = {
  name: 'stats',
  aliases: ['container stats'],
  usage: '[OPTIONS] [CONTAINER...]',
  desc: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', desc: 'Show all containers (default shows just running)' },
    FORMAT_FLAG,
    { name: 'no-stream', kind: 'bool', desc: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', desc: "Don't truncate output" },
  ],
  async run(ctx, f, args) {
    const c = ctx.client;
    const trunc = !bool(f, 'no-trunc');
    let names = args;
    if (!names.length) {
      const list = await c.json<any[]>('GET', '/containers/json', { query: { all: bool(f, 'all') ? 1 : undefined } });
      names = list.map((x) => x.Id);
    }
    const show = (rows: StatsRow[]) => printList(ctx, { format: str(f, 'format'), defaultTable: STATS_TABLE, headers: STATS_HEADERS, items: rows });
    const label = (n: string) => (args.length ? n : n.slice(0, trunc ? 12 : undefined));
    if (bool(f, 'no-stream')) {
      const rows = await Promise.all(
        names.map(async (n) => {
          const res = await c.request('GET', `/containers/${enc(n)}/stats`, { query: { stream: 0 } });
          return statsRow(JSON.parse((await readAll(res)).toString()), { container: label(n), trunc });
        }),
      );
      show(rows);
      return;
    }
    const latest = new Map<string, StatsRow>(names.map((n) => [n, statsRow({ name: '', id: n }, { container: label(n), trunc })]));
    for (const n of names) {
      (async () => {
        const res = await c.request('GET', `/containers/${enc(n)}/stats`, { query: { stream: 1 } });
        for await (const s of jsonMessages(res)) latest.set(n, statsRow(s, { container: label(n), trunc }));
      })().catch(() => latest.delete(n));
    }
    const draw = () => {
      if (ctx.stdout.isTTY) ctx.out('\x1b[2J\x1b[H');
      show([...latest.values()]);
    };
    await new Promise<void>((resolve) => {
      const t = setInterval(draw, 1000);
      process.once('SIGINT', () => {
        clearInterval(t);
        resolve();
      });
    });
  },
};
