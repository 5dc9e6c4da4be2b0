// `logs`: crictl runs on the node, so it reads the container's CRI log file itself (the path from
// ContainerStatus), as the kubelet does. Each line of the file is
//   <RFC3339Nano time> <stdout|stderr> <P|F> <text>
// where P marks a partial line (the runtime split a long line) continued by the next entry.
import fs from 'node:fs';
import { parseFlags, UsageError } from './args';
import type { Ctx } from './context';
import type { ContainerStatusResponse } from '../../api/protos';

interface Entry {
  time: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Complete lines from CRI log text; partial pieces are joined. Malformed lines are skipped. */
export function parseCriLog(text: string): Entry[] {
  const out: Entry[] = [];
  const pending: Record<string, Entry | undefined> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) (P|F) ?(.*)$/.exec(line);
    if (!m) continue;
    const stream = m[2] as Entry['stream'];
    const prev = pending[stream];
    const e: Entry = prev ? { ...prev, text: prev.text + m[4] } : { time: m[1], stream, text: m[4] };
    if (m[3] === 'P') pending[stream] = e;
    else {
      pending[stream] = undefined;
      out.push(e);
    }
  }
  return out;
}

export async function logs(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'follow', aliases: ['f'], kind: 'bool' },
    { name: 'tail', kind: 'int' },
    { name: 'timestamps', aliases: ['t'], kind: 'bool' },
    { name: 'since', kind: 'string' },
    { name: 'limit-bytes', kind: 'int' },
    { name: 'previous', aliases: ['p'], kind: 'bool' },
  ]);
  if (args.length !== 1) throw new UsageError('logs: want exactly one CONTAINER-ID');
  const st = await ctx.client.runtime<ContainerStatusResponse>('ContainerStatus', { containerId: args[0], verbose: false });
  const file = st.status?.logPath;
  if (!file) throw new UsageError(`container ${args[0]} has no log file (its config set no log_path)`);
  const since = flags.since ? Date.parse(flags.since as string) : undefined;
  if (flags.since && Number.isNaN(since)) throw new UsageError(`--since: ${flags.since} is not an RFC3339 time`);
  let budget = (flags['limit-bytes'] as number | undefined) ?? Infinity;
  const emit = (entries: Entry[]) => {
    for (const e of entries) {
      if (since !== undefined && Date.parse(e.time) < since) continue;
      const line = `${flags.timestamps ? `${e.time} ` : ''}${e.text}\n`;
      if (budget <= 0) return;
      const chunk = line.length > budget ? line.slice(0, budget) : line;
      budget -= chunk.length;
      (e.stream === 'stderr' ? ctx.err : ctx.out).write(chunk);
    }
  };
  let offset = 0;
  const readNew = (): Entry[] => {
    let buf: Buffer;
    try {
      buf = fs.readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    if (buf.length < offset) offset = 0; // rotated (ReopenContainerLog): start over on the new file
    const text = buf.subarray(offset).toString('utf8');
    const end = text.lastIndexOf('\n') + 1; // only whole lines; the rest is read next time
    offset += Buffer.byteLength(text.slice(0, end));
    return parseCriLog(text.slice(0, end));
  };
  let first = readNew();
  if (flags.tail !== undefined && (flags.tail as number) >= 0) first = first.slice(Math.max(0, first.length - (flags.tail as number)));
  emit(first);
  if (!flags.follow) return;
  // Follow until the container is no longer running (crictl logs -f does the same), polling.
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    emit(readNew());
    const s = await ctx.client.runtime<ContainerStatusResponse>('ContainerStatus', { containerId: args[0] }).catch(() => undefined);
    if (!s || s.status?.state !== 1) {
      emit(readNew());
      return;
    }
  }
}
