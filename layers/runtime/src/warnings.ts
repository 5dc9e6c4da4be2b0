// Warnings and debug notes from the operations. The CLI decides where they go (stderr or --log,
// text or JSON); the operations only say what happened.
type Sink = (level: 'debug' | 'warn', message: string) => void;

let sink: Sink = (level, message) => {
  if (level === 'warn') process.stderr.write(`strata-runtime: warning: ${message}\n`);
};

export function setWarningSink(s: Sink): void {
  sink = s;
}

export function warn(message: string): void {
  sink('warn', message);
}

export function debug(message: string): void {
  sink('debug', message);
}
