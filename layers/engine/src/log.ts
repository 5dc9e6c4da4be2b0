// The daemon's log: logrus-like text lines, as dockerd prints them, filtered by --log-level.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(level: LogLevel, out: NodeJS.WritableStream = process.stderr): Logger {
  return (l, msg, fields = {}) => {
    if (ORDER[l] < ORDER[level]) return;
    const kv = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s|"/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    out.write(`time="${new Date().toISOString()}" level=${l === 'warn' ? 'warning' : l} msg=${JSON.stringify(msg)}${kv ? ` ${kv}` : ''}\n`);
  };
}

export const silentLogger: Logger = () => {};
