// strata-cri's log: logrus-like text lines (what containerd and CRI-O print) or JSON lines
// (--log-format json), filtered by level.
import type { LogLevel } from './config';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(level: LogLevel, format: 'text' | 'json', out: NodeJS.WritableStream = process.stderr): Logger {
  return (l, msg, fields = {}) => {
    if (ORDER[l] < ORDER[level]) return;
    const time = new Date().toISOString();
    const lv = l === 'warn' ? 'warning' : l;
    if (format === 'json') {
      out.write(`${JSON.stringify({ level: lv, msg, time, ...fields })}\n`);
      return;
    }
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    out.write(`time="${time}" level=${lv} msg=${JSON.stringify(msg)}${kv ? ` ${kv}` : ''}\n`);
  };
}
