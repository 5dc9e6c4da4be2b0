// docker's pattern for commands over several containers (stop, rm, kill, ...): act on each, print
// the name as given on success, print each failure to stderr, exit 1 if any failed.
import type { Ctx } from '../command';
import { CliError } from '../errors';

/** act returns what to print (default: the name as given), or null to print nothing. */
export async function forEach(ctx: Ctx, names: string[], act: (name: string) => Promise<string | void | null>): Promise<number> {
  let failed = false;
  for (const n of names) {
    try {
      const shown = await act(n);
      if (shown !== null) ctx.out(`${shown ?? n}\n`);
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      ctx.err(`${e.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

export const enc = encodeURIComponent;
