// The docker CLI's exit statuses (docker run reference, "Exit Status"): 125 when the daemon or the
// command line itself fails, 126 when the contained command cannot be invoked, 127 when it cannot
// be found, 1 for most other client-side errors; otherwise the container's own exit code.
export const EXIT_DAEMON = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

/** An error the CLI prints and turns into an exit status (the message is printed as is). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The daemon answered with an error status: docker prints "Error response from daemon: <message>". */
export class DaemonError extends CliError {
  constructor(
    readonly status: number,
    readonly daemonMessage: string,
  ) {
    super(`Error response from daemon: ${daemonMessage}`, 1);
    this.name = 'DaemonError';
  }
}

/** A wrong flag or argument count: docker prints the usage line and exits 125 (flags) or 1 (args). */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command: string,
    exitCode = 125,
  ) {
    super(message, exitCode);
    this.name = 'UsageError';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof DaemonError && e.status === 404;

/**
 * docker run/start/exec map an OCI runtime failure onto 126/127 by its text (cli/command/container
 * run.go: "executable file not found" / "no such file or directory" -> 127, "permission denied" -> 126).
 */
export function runtimeExitCode(message: string): number {
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(message)) return EXIT_NOT_FOUND;
  if (/permission denied|cannot execute|exec format error/i.test(message)) return EXIT_CANNOT_INVOKE;
  return EXIT_DAEMON;
}
