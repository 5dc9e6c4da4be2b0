// Foreground run/exec: signals sent to the runtime go to the container process (runc's
// signal handler does the same), and the exit status comes back as a shell-style code.

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export function forwardSignals(pid: number): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      if (sig === 'SIGWINCH') return; // terminal size is handled by the console relay
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => handlers.forEach(([sig, h]) => process.off(sig, h));
}

const SIGNUMS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6, SIGPIPE: 13, SIGSYS: 31 };

export function exitCodeOf(st: { code: number | null; signal: NodeJS.Signals | null }): number {
  if (st.code !== null) return st.code;
  return 128 + (st.signal ? SIGNUMS[st.signal] ?? 1 : 1);
}
