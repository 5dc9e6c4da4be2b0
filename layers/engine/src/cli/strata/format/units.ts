// The docker CLI's human units (github.com/docker/go-units): decimal sizes with a precision
// ("1.98MB" in `docker images`, 3 significant digits) and coarse durations ("2 seconds",
// "About a minute", "3 weeks") used for CREATED ("... ago") and STATUS ("Up ...").

const SIZE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Go's %.Ng: N significant digits, trailing zeros removed. */
export function goG(x: number, precision: number): string {
  if (x === 0) return '0';
  let s = x.toPrecision(precision);
  if (s.includes('e')) {
    const [m, e] = s.split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const exp = Number(e);
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

/** Sizes in powers of 1000 with `precision` significant digits: 1982000 -> "1.98MB" (precision 3). */
export function humanSize(bytes: number, precision = 3): string {
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < SIZE_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${goG(v, precision)}${SIZE_UNITS[i]}`;
}

/** Powers of 1024 ("1.5MiB"), as `docker stats` shows memory. */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${goG(v, 4)}${units[i]}`;
}

/** A duration in words, rounded down to what a person cares about. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3_600_000) / 24 / 365)} years`;
}

/** "2 seconds ago" for a unix time in seconds (or an RFC 3339 string). */
export function timeAgo(when: number | string, now = Date.now()): string {
  const t = typeof when === 'number' ? when * 1000 : Date.parse(when);
  if (!Number.isFinite(t) || t <= 0) return '';
  return `${humanDuration(Math.max(0, now - t))} ago`;
}

/** Go's time.Time String() shape docker prints for CreatedAt: "2026-11-23 13:50:18 +0000 UTC". */
export function goTime(when: number | string): string {
  const d = typeof when === 'number' ? new Date(when * 1000) : new Date(when);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

/** Parse a --since/--until value: a unix time, an RFC 3339 date, or a duration ago ("10m", "1h30m", "2s"). */
export function parseTimestamp(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const dur = parseGoDuration(v);
  if (dur !== undefined) return (now - dur) / 1000;
  const t = Date.parse(v);
  if (Number.isFinite(t)) return t / 1000;
  throw new Error(`invalid time "${v}": use a unix timestamp, an RFC 3339 date or a duration such as 10m`);
}

/** Go's time.ParseDuration for h, m, s, ms (what docker's time flags accept). Milliseconds, or undefined. */
export function parseGoDuration(v: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|ns))+$/.test(v)) return undefined;
  const mult: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, ns: 0.000001 };
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g)) total += Number(m[1]) * mult[m[2]];
  return total;
}

/** docker's memory flags ("512m", "1g", "1024"): bytes, powers of 1024 (go-units RAMInBytes). */
export function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) throw new Error(`invalid size: '${v}'`);
  const pow = ['', 'k', 'm', 'g', 't', 'p'].indexOf(m[2].toLowerCase());
  return Math.floor(Number(m[1]) * 1024 ** pow);
}
