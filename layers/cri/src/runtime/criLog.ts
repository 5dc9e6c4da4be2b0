// The CRI container log format (kubernetes/cri-api, "CRI logging"; kubelet pkg/kubelet/kuberuntime/logs):
// one record per line of output,
//     <RFC3339Nano timestamp> <stdout|stderr> <F|P> <content>\n
// F = the line ended here ("full"), P = a piece of a longer line ("partial"): a line longer
// than 16 KiB is cut into P records followed by one F record, so a reader can rebuild it while
// no record grows without bound. The kubelet reads these files for `kubectl logs` and rotates
// them: it renames the file and calls ReopenContainerLog, after which we write to a new file at
// the same path.
import fs from 'node:fs';
import path from 'node:path';

export const MAX_LOG_LINE = 16 * 1024;

// Wall clock with nanosecond steps: Date has milliseconds only, hrtime is monotonic.
const baseNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export const nowNs = (): bigint => baseNs + process.hrtime.bigint();

/** Go's time.RFC3339Nano in UTC: fractional seconds with trailing zeros trimmed. */
export function rfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

export type LogStream = 'stdout' | 'stderr';

export class CriLogWriter {
  private fd = -1;
  private readonly pending: Record<LogStream, Buffer[]> = { stdout: [], stderr: [] };
  private readonly pendingLen: Record<LogStream, number> = { stdout: 0, stderr: 0 };

  constructor(readonly file: string) {
    this.open();
  }

  private open(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    this.fd = fs.openSync(this.file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
  }

  /** After a rotation (the old file renamed away): continue in a new file at the same path. */
  reopen(): void {
    const old = this.fd;
    this.open();
    if (old >= 0) fs.closeSync(old);
  }

  private record(stream: LogStream, tag: 'F' | 'P', content: Buffer): void {
    if (this.fd < 0) return;
    const head = Buffer.from(`${rfc3339Nano(nowNs())} ${stream} ${tag} `);
    try {
      fs.writeSync(this.fd, Buffer.concat([head, content, Buffer.from('\n')]));
    } catch {
      // a full disk must not stop the container's output pump; the kubelet reports the gap
    }
  }

  write(stream: LogStream, chunk: Buffer): void {
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, start)) {
      this.push(stream, chunk.subarray(start, i));
      this.flush(stream, 'F');
      start = i + 1;
    }
    if (start < chunk.length) this.push(stream, chunk.subarray(start));
  }

  /** Buffer a piece of the current line, cutting P records off while it is over the limit. */
  private push(stream: LogStream, piece: Buffer): void {
    this.pending[stream].push(piece);
    this.pendingLen[stream] += piece.length;
    while (this.pendingLen[stream] > MAX_LOG_LINE) {
      const all = Buffer.concat(this.pending[stream]);
      this.record(stream, 'P', all.subarray(0, MAX_LOG_LINE));
      const rest = all.subarray(MAX_LOG_LINE);
      this.pending[stream] = [rest];
      this.pendingLen[stream] = rest.length;
    }
  }

  private flush(stream: LogStream, tag: 'F' | 'P'): void {
    const line = Buffer.concat(this.pending[stream]);
    this.pending[stream] = [];
    this.pendingLen[stream] = 0;
    this.record(stream, tag, line);
  }

  /** At the end of a stream: what is left of the last line is written as a full record. */
  end(stream: LogStream): void {
    if (this.pendingLen[stream] > 0) this.flush(stream, 'F');
  }

  close(): void {
    this.end('stdout');
    this.end('stderr');
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
