// Pull/push progress like ctr's: on a terminal, one line per blob redrawn in place
// ("layer-sha256:ab12...:  downloading |+++++-----| 1.2 MiB/3.4 MiB"); otherwise one JSON line
// per event, for scripts and CI logs.
import type { ProgressEvent } from '../../distribution';

const size = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

export function progressRenderer(out: NodeJS.WriteStream | NodeJS.WritableStream, json = !(out as NodeJS.WriteStream).isTTY): { onProgress: (e: ProgressEvent) => void; finish: () => void } {
  if (json) return { onProgress: (e) => out.write(`${JSON.stringify(e)}\n`), finish: () => {} };
  const rows = new Map<string, ProgressEvent>();
  let drawn = 0;
  let last = 0;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    if (drawn) out.write(`\x1b[${drawn}A`);
    for (const e of rows.values()) {
      const pct = e.total ? Math.min(1, e.offset / e.total) : e.status === 'done' || e.status === 'exists' ? 1 : 0;
      const bar = `|${'+'.repeat(Math.round(pct * 40)).padEnd(40, '-')}|`;
      const name = `${e.ref.slice(0, 28)}...:`.padEnd(32);
      out.write(`\x1b[2K${name} ${e.status.padEnd(11)} ${bar} ${e.total ? `${size(e.offset)}/${size(e.total)}` : ''}\n`);
    }
    drawn = rows.size;
  };
  return {
    onProgress: (e) => {
      rows.set(e.ref, e);
      draw(e.status === 'done' || e.status === 'exists');
    },
    finish: () => draw(true),
  };
}
