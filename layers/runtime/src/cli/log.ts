// runc-style log lines. Text: time="..." level=error msg="..."; JSON (--log-format json):
// {"level":"error","msg":"...","time":"..."}. Callers such as containerd-shim-runc-v2 read the
// last error line of the --log file, so errors always go there when --log is set. A person
// (text format, or no --log) also sees them on stderr. A shim (--log FILE --log-format json)
// does not: during create and exec the runtime's stderr is the *container's* stderr, and the
// error would reach `docker run`'s output as a JSON line before the daemon's own message.
import fs from 'node:fs';

export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface LogConfig {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
}

let cfg: LogConfig = { format: 'text', debug: false };

export function configureLog(c: LogConfig): void {
  cfg = c;
}

function line(level: Level, msg: string): string {
  const time = new Date().toISOString();
  if (cfg.format === 'json') return `${JSON.stringify({ level, msg, time })}\n`;
  return `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
}

export function log(level: Level, msg: string): void {
  if (level === 'debug' && !cfg.debug) return;
  const text = line(level, msg);
  if (cfg.file) {
    try {
      fs.appendFileSync(cfg.file, text);
    } catch {
      // the log file is best effort; stderr still gets it below
    }
  }
  if (!cfg.file || (level === 'error' && cfg.format !== 'json')) fs.writeSync(2, text);
}
