// Messages on the control socket between the runtime and strata-init: [u32 type][u32 len][payload],
// little endian. Must match the enum at the top of layers/linux/native/strata-init.c.

export const MSG = {
  PLAN: 1,
  CONTINUE: 2,
  PID: 10,
  HOOKS: 11,
  READY: 12,
  ERROR: 13,
  /**
   * Tracing only: the init is about to execve (payload: "<epoch ms> <path>", see execNote); the
   * socket closes on success.
   */
  EXEC: 14,
} as const;

/**
 * A tracing init says "about to execve" with the time it said it (epoch ms, the trace clock): on
 * exec.fifo as "x<ms>" (an "!" follows if execve failed), on the control socket as EXEC with
 * "<ms> <path>". The reader may be scheduled late, so the trace uses this time, not its own.
 * Returns the time, or undefined when `text` is not such a note.
 */
export function execNote(text: string): number | undefined {
  const m = /^x?(\d+(?:\.\d+)?)(?: |$)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export type MessageType = (typeof MSG)[keyof typeof MSG];

export interface Message {
  type: number;
  payload: Buffer;
}

export function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

/** Incremental decoder: feed chunks, get whole messages. */
export class MessageReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Message[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Message[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32LE(4);
      if (this.buf.length < 8 + len) break;
      out.push({ type: this.buf.readUInt32LE(0), payload: this.buf.subarray(8, 8 + len) });
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }
}
