// Showing a JSON message stream (pull, push, load, build) as the docker CLI does
// (pkg/jsonmessage): on a terminal one line per layer id, redrawn in place with cursor
// movements and a progress bar; otherwise each message that is not a progress update on its own
// line. A message with "error"/"errorDetail" ends the stream with that error.
import { CliError } from '../errors';
import { humanSize } from './units';

export interface JsonMessage {
  id?: string;
  status?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: any;
}

/** "[=====>     ]  1.2MB/4.5MB": a 50-column bar and the numbers, like docker's JSONProgress. */
export function progressBar(current: number, total: number): string {
  if (!(total > 0)) return current > 0 ? humanSize(current) : '';
  const pct = Math.min(100, (current / total) * 100);
  const filled = Math.floor(pct / 2);
  const bar = filled >= 50 ? '='.repeat(50) : `${'='.repeat(filled)}>${' '.repeat(49 - filled)}`;
  return `[${bar}] ${`${humanSize(current)}`.padStart(8)}/${humanSize(total)}`;
}

export class ProgressDisplay {
  private lines = new Map<string, number>();
  private count = 0;
  readonly aux: any[] = [];

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
  ) {}

  private text(m: JsonMessage): string {
    const prefix = m.id ? `${m.id}: ` : '';
    const detail = m.progressDetail;
    const bar = m.progress ?? (detail && (detail.current || detail.total) ? progressBar(detail.current ?? 0, detail.total ?? 0) : '');
    return `${prefix}${m.status ?? ''}${bar ? ` ${bar}` : ''}`;
  }

  show(m: JsonMessage): void {
    if (m.error || m.errorDetail) throw new CliError(m.errorDetail?.message ?? m.error ?? 'unknown error');
    if (m.aux !== undefined) {
      this.aux.push(m.aux);
      return;
    }
    if (m.stream !== undefined) {
      this.out.write(m.stream);
      return;
    }
    const isProgress = !!m.progress || !!(m.progressDetail && (m.progressDetail.current || m.progressDetail.total));
    if (!this.tty) {
      if (!isProgress && (m.status || m.id)) this.out.write(`${this.text(m)}\n`);
      return;
    }
    if (!m.id) {
      this.out.write(`${this.text(m)}\n`);
      this.count = 0;
      this.lines.clear();
      return;
    }
    let line = this.lines.get(m.id);
    if (line === undefined) {
      line = this.count++;
      this.lines.set(m.id, line);
      this.out.write(`${this.text(m)}\n`);
      return;
    }
    // Move up to the id's line, clear it, rewrite it, and come back down.
    const up = this.count - line;
    this.out.write(`\x1b[${up}A\x1b[2K\r${this.text(m)}\x1b[${up}B\r`);
  }
}

export async function displayStream(messages: AsyncIterable<JsonMessage>, out: NodeJS.WritableStream, tty: boolean): Promise<ProgressDisplay> {
  const d = new ProgressDisplay(out, tty);
  for await (const m of messages) d.show(m);
  return d;
}
