// The byte streams of the Engine API.
// - Multiplexed stdio (attach/exec/logs without a TTY): frames of an 8-byte header
//   [stream: 0 stdin, 1 stdout, 2 stderr, 0, 0, 0, uint32 big-endian length] followed by the payload.
//   Chunks from the socket may cut a header or a payload anywhere, so the demuxer keeps a buffer.
// - JSON message streams (pull, push, load, build, events, stats): one JSON object after another,
//   usually separated by "\r\n" but a reader must not rely on it.

export class StdioDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  /** Chunks not yet joined: a big frame arriving in many pieces is copied once, not per piece. */
  private parts: Buffer[] = [];
  private partsLength = 0;
  private need = 8;
  constructor(private readonly emit: (stream: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    if (this.buf.length + this.partsLength < this.need) return;
    this.buf = Buffer.concat([this.buf, ...this.parts]);
    this.parts = [];
    this.partsLength = 0;
    this.need = 8;
    while (this.buf.length >= 8) {
      const stream = this.buf[0];
      if (stream > 3 || this.buf[1] || this.buf[2] || this.buf[3]) throw new Error(`unrecognized input header: ${this.buf[0]}`);
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) {
        this.need = 8 + len;
        break;
      }
      this.emit(stream, this.buf.subarray(8, 8 + len));
      this.buf = this.buf.subarray(8 + len);
    }
  }

  /** Bytes of an unfinished frame left at the end (a truncated stream). */
  get pending(): number {
    return this.buf.length + this.partsLength;
  }
}

/** Split concatenated JSON values: tracks string/escape state and brace depth. */
export class JsonSplitter {
  private text = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;
  constructor(
    private readonly emit: (value: any) => void,
    /** Rewrites one value's text before JSON.parse (e.g. to keep 19-digit integers exact). */
    private readonly rewrite: (text: string) => string = (t) => t,
  ) {}

  push(chunk: string): void {
    this.text += chunk;
    for (let i = this.scanned; i < this.text.length; i++) {
      const c = this.text[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') {
        if (this.depth++ === 0) this.start = i;
      } else if (c === '}' || c === ']') {
        if (--this.depth === 0) {
          this.emit(JSON.parse(this.rewrite(this.text.slice(this.start, i + 1))));
          this.text = this.text.slice(i + 1);
          i = -1;
          this.start = -1;
        }
      }
    }
    this.scanned = this.text.length;
    if (this.depth === 0 && !this.inString) {
      this.text = '';
      this.scanned = 0;
    }
  }
}

export async function* jsonMessages(s: NodeJS.ReadableStream, rewrite?: (text: string) => string): AsyncGenerator<any> {
  const queue: any[] = [];
  const splitter = new JsonSplitter((v) => queue.push(v), rewrite);
  s.setEncoding?.('utf8');
  for await (const chunk of s) {
    splitter.push(String(chunk));
    while (queue.length) yield queue.shift();
  }
}

/** Events carry timeNano (ns since 1970, 19 digits): keep it as a string so no digit is lost. */
export const quoteTimeNano = (text: string): string => text.replace(/"timeNano":(\d+)/g, '"timeNano":"$1"');
