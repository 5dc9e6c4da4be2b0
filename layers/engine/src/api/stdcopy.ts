// docker's stream multiplexing (moby's pkg/stdcopy): without a TTY, stdout and stderr share one
// connection, each chunk prefixed by an 8-byte header [stream, 0, 0, 0, size as uint32 big-endian]
// with stream 0 = stdin, 1 = stdout, 2 = stderr (3 = systemerr). With a TTY the bytes go raw.
export const STREAM_IDS = { stdin: 0, stdout: 1, stderr: 2, systemerr: 3 } as const;

export function frame(stream: keyof typeof STREAM_IDS, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = STREAM_IDS[stream];
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** Split a multiplexed byte stream back into frames (for tests and the strata CLI). */
export function demux(buf: Buffer): { stream: number; data: Buffer }[] {
  const out: { stream: number; data: Buffer }[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    if (i + 8 + len > buf.length) break;
    out.push({ stream: buf[i], data: buf.subarray(i + 8, i + 8 + len) });
    i += 8 + len;
  }
  return out;
}

export const RAW_STREAM = 'application/vnd.docker.raw-stream';
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream';
