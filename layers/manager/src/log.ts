// The daemon's log: logrus-like text lines (what containerd prints) or JSON lines
// (--log-format json), filtered by level.
import type { LogLevel } from './config';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(level: LogLevel, format: 'text' | 'json', out: NodeJS.WritableStream = process.stderr): Logger {
  return (l, msg, fields = {}) => {
    if (ORDER[l] < ORDER[level]) return;
    const time = new Date().toISOString();
    if (format === 'json') {
      out.write(`${JSON.stringify({ level: l === 'warn' ? 'warning' : l, msg, time, ...fields })}\n`);
      return;
    }
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    out.write(`time="${time}" level=${l === 'warn' ? 'warning' : l} msg=${JSON.stringify(msg)}${kv ? ` ${kv}` : ''}\n`);
  };
}
