// Terminal resize events. The server turns the resize stream/channel (JSON {"Width":W,"Height":H}
// objects, client-go's TerminalSize without json tags) into a TerminalSizeQueue the runtime reads.
import { EventEmitter } from 'node:events';
import type { ResizeSource, TerminalSize } from './types';

/** Both an EventEmitter ('resize', 'end') and an async iterable of sizes; ends with the session. */
export class TerminalSizeQueue extends EventEmitter implements AsyncIterable<TerminalSize> {
  private ended = false;
  private readonly pending: TerminalSize[] = [];
  private wake?: () => void;

  push(size: TerminalSize): void {
    if (this.ended) return;
    // Only the latest sizes matter; a consumer that listens to events and never iterates must not
    // make the queue grow for the whole session.
    if (this.pending.length >= 16) this.pending.shift();
    this.pending.push(size);
    this.emit('resize', size);
    this.wake?.();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.emit('end');
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TerminalSize> {
    for (;;) {
      const next = this.pending.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** The size of a terminal stream such as process.stdout (tty.WriteStream has columns/rows). */
function terminalSizeOf(source: unknown): TerminalSize | undefined {
  const t = source as { columns?: unknown; rows?: unknown };
  return typeof t.columns === 'number' && typeof t.rows === 'number' ? { width: t.columns, height: t.rows } : undefined;
}

/**
 * Call fn for every size from either form of ResizeSource; returns a function that stops listening.
 * An EventEmitter is expected to emit 'resize' with a TerminalSize (as TerminalSizeQueue does); a
 * terminal stream like process.stdout works too: its 'resize' event (SIGWINCH) carries no size,
 * so the size is read from its columns/rows, and the current size is sent first, as client-go's
 * terminal size queue does.
 */
export function onResize(source: ResizeSource | undefined, fn: (size: TerminalSize) => void): () => void {
  if (!source) return () => {};
  if (source instanceof EventEmitter && !(source instanceof TerminalSizeQueue)) {
    const handler = (size?: TerminalSize) => {
      const s = size ?? terminalSizeOf(source);
      if (s) fn(s);
    };
    const initial = terminalSizeOf(source);
    if (initial) fn(initial);
    source.on('resize', handler);
    return () => source.off('resize', handler);
  }
  if (source instanceof TerminalSizeQueue) {
    // Replay sizes queued before anyone listened (the first size often arrives with the streams).
    let stopped = false;
    void (async () => {
      for await (const s of source) {
        if (stopped) return;
        fn(s);
      }
    })();
    return () => {
      stopped = true;
    };
  }
  let stopped = false;
  void (async () => {
    for await (const s of source as AsyncIterable<TerminalSize>) {
      if (stopped) return;
      fn(s);
    }
  })().catch(() => {});
  return () => {
    stopped = true;
  };
}

/** Validate one decoded resize message; sizes are uint16 on the wire side (TIOCSWINSZ). */
export function parseTerminalSize(value: unknown): TerminalSize | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const width = v.Width ?? v.width;
  const height = v.Height ?? v.height;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff;
  return ok(width) && ok(height) ? { width, height } : undefined;
}

/**
 * Splits a byte stream of concatenated JSON objects (Go's json.Encoder writes one per line, but a
 * decoder must not depend on line breaks) into objects, by tracking brace depth outside strings.
 */
export class JsonObjectSplitter {
  private buf = '';
  feed(chunk: Buffer | string, onObject: (v: unknown) => void): void {
    this.buf += chunk.toString();
    let depth = 0;
    let inString = false;
    let escaped = false;
    let start = -1;
    let consumed = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (c === '}' && depth > 0) {
        depth--;
        if (depth === 0) {
          const text = this.buf.slice(start, i + 1);
          consumed = i + 1;
          try {
            onObject(JSON.parse(text));
          } catch {
            // a malformed object is skipped, like a resize the kubelet cannot decode
          }
        }
      } else if (depth === 0 && !/\s/.test(c)) consumed = i + 1; // junk between objects
    }
    this.buf = this.buf.slice(consumed);
    if (this.buf.length > 64 * 1024) this.buf = ''; // a runaway object: drop it rather than grow forever
  }
}

