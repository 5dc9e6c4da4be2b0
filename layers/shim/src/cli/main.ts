// containerd-shim-strata-v2: the three ways containerd runs the shim binary (runtime v2 contract):
// `start` (print the address of a running shim), `delete` (clean up after one), and no action (the
// daemon itself). Each loads only its own code (dynamic imports, split bundle): `start` and
// `delete` are on the path of every `ctr run`.
import { DEFAULT_RUNTIME, SHIM_VERSION } from '../version';
import { FlagError, parseShimFlags, USAGE, type ShimFlags } from './flags';
import { processName, processStart, traceEvent, tracing } from '@strata/linux/trace';

export { SOCKET_DIR, socketAddress } from './address';

export async function main(argv: string[]): Promise<number> {
  let flags: ShimFlags;
  try {
    flags = parseShimFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`containerd-shim-strata-v2: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`containerd-shim-strata-v2:\n  Version:  ${SHIM_VERSION}\n  Runtime:  ${DEFAULT_RUNTIME} (default engine)\n  Node:     ${process.version}\n`);
    return 0;
  }
  try {
    if (!flags.namespace) throw new FlagError('shim namespace cannot be empty (-namespace)');
    if (!flags.id) throw new FlagError('shim id cannot be empty (-id)');
    if (flags.action === 'start') return traceAction('start', flags, await (await import('./start')).start(flags));
    if (flags.action === 'delete') return traceAction('delete', flags, await (await import('./delete')).deleteAction(flags));
    return await (await import('./daemon')).daemon(flags as ShimFlags);
  } catch (e) {
    if (flags.action) traceAction(flags.action, flags, 1, e);
    // containerd shows start's combined output as the error: keep it to one line.
    process.stderr.write(`containerd-shim-strata-v2: ${(e as Error).message}\n`);
    return 1;
  }
}

/**
 * Traces `start`/`delete` as the call its parent (containerd) made by running this binary: from
 * this process's start to now. Imports no more than the trace writer (this is on every task's path).
 */
function traceAction(action: string, f: ShimFlags, code: number, error?: unknown): number {
  if (tracing()) {
    traceEvent({ layer: 'shim', from: processName(process.ppid), to: 'containerd-shim-strata-v2', protocol: 'shim-cli', op: action, ids: { container: f.id }, start: processStart(), by: 'callee', error });
  }
  return code;
}
