// Linux signal numbers (x86_64, signal(7)) and the names runc accepts: KILL, SIGKILL, 9,
// RTMIN+3, SIGRTMAX-1.
export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

export function signalNumber(raw: string): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw new Error(`unknown signal "${raw}"`);
  }
  let name = s.toUpperCase();
  if (!name.startsWith('SIG')) name = `SIG${name}`;
  if (SIGNALS[name] !== undefined) return SIGNALS[name];
  const rt = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'MIN' ? SIGRTMIN : SIGRTMAX;
    const n = base + (rt[2] === '-' ? -1 : 1) * Number(rt[3] ?? 0);
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw new Error(`unknown signal "${raw}"`);
}

export function signalName(n: number): string {
  for (const [k, v] of Object.entries(SIGNALS)) if (v === n && k !== 'SIGIOT' && k !== 'SIGPOLL') return k;
  if (n >= SIGRTMIN && n <= SIGRTMAX) return n === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${n - SIGRTMIN}`;
  return `SIG${n}`;
}
