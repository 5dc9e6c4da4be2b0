// crictl's output conventions: tables through Go's tabwriter (minimum cell width 20, padding 3),
// ids truncated to 13 characters, ages as "2 minutes ago" (go-units HumanDuration), sizes as
// "4.27MB" (go-units HumanSizeWithPrecision, decimal units, 3 significant digits), JSON indented
// by two spaces.

/** tabwriter.NewWriter(w, 20, 1, 3, ' ', 0) */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(20, ...all.map((r) => (r[i] ?? '').length + 3)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]))).join('')).join('\n') + '\n';
}

export const TRUNC = 13;
export const truncId = (id: string, n = TRUNC): string => {
  const hex = id.startsWith('sha256:') ? id.slice(7) : id;
  return hex.slice(0, n);
};

/** go-units HumanDuration */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const min = Math.floor(ms / 60_000);
  if (min === 1) return 'About a minute';
  if (min < 60) return `${min} minutes`;
  const h = Math.round(ms / 3_600_000);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

/** A CRI time (ns since the epoch) as crictl's CREATED column. */
export const ago = (ns: number): string => `${humanDuration(Date.now() - ns / 1e6)} ago`;

/** go-units HumanSizeWithPrecision(size, 3) */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

export const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/** State names as crictl's tables show them. */
export const podState = (s: number): string => (s === 0 ? 'Ready' : 'NotReady');
export const containerState = (s: number): string => ['Created', 'Running', 'Exited', 'Unknown'][s] ?? String(s);
