// docker's default log driver, json-file: one JSON object per line in
// <data-root>/containers/<id>/<id>-json.log, {"log":"hello\n","stream":"stdout","time":"<RFC3339Nano>"}.
// Output is cut into lines as it arrives; a partial line waits for its newline (or is written as
// is once it is 16 KiB long, or when the stream ends), as docker's log copier does.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { StreamName } from './stdio';

export interface LogEntry {
  log: string;
  stream: StreamName;
  time: string;
}

const MAX_PARTIAL = 16 * 1024;

/** RFC3339 with nanoseconds (docker's jsonlog time); JS has milliseconds, padded. */
export function rfc3339Nano(d = new Date(), hr = process.hrtime.bigint()): string {
  const ns = String(hr % 1_000_000n).padStart(6, '0');
  return d.toISOString().replace(/\.(\d{3})Z$/, `.$1${ns}Z`);
}

export class JsonFileLog extends EventEmitter {
  private fd: number;
  private partial: Record<StreamName, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };

  constructor(readonly file: string) {
    super();
    this.fd = fs.openSync(file, 'a', 0o640);
  }

  write(stream: StreamName, data: Buffer): void {
    let buf = Buffer.concat([this.partial[stream], data]);
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) break;
      this.append(stream, buf.subarray(0, nl + 1));
      buf = buf.subarray(nl + 1);
    }
    if (buf.length >= MAX_PARTIAL) {
      this.append(stream, buf);
      buf = Buffer.alloc(0);
    }
    this.partial[stream] = buf;
  }

  flush(): void {
    for (const s of ['stdout', 'stderr'] as StreamName[]) {
      if (this.partial[s].length) this.append(s, this.partial[s]);
      this.partial[s] = Buffer.alloc(0);
    }
  }

  private append(stream: StreamName, line: Buffer): void {
    if (this.fd < 0) return;
    const entry: LogEntry = { log: line.toString('utf8'), stream, time: rfc3339Nano() };
    fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    this.emit('entry', entry);
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.emit('close');
  }
}

/** Every entry of a log file (bad lines skipped: a crash may leave half a line at the end). */
export function readLogEntries(file: string): LogEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as LogEntry);
    } catch {
      /* torn line */
    }
  }
  return out;
}
