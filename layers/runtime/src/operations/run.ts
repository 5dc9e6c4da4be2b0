// run = create + start (+ wait + delete in the foreground), as runc run.
import type { GlobalOptions, RunOptions } from './types';
import { createContainer } from './create';
import { start } from './start';
import { remove } from './delete';
import { forwardSignals, exitCodeOf } from './signals';
import { ConsoleRelay } from '../consoleRelay';
import { loadSpec } from './create';
import { RuntimeError } from '../errors';

export async function run(g: GlobalOptions, o: RunOptions): Promise<number> {
  const terminal = !!loadSpec(o.bundle).process?.terminal;
  if (o.detach) {
    if (terminal && !o.consoleSocket) throw new RuntimeError('INVALID_ARGUMENT', 'cannot allocate tty if runc will detach without setting console socket');
    const { session } = await createContainer(g, o, { foreground: false });
    session.detach();
    await start(g, { id: o.id });
    return 0;
  }
  const relay = terminal && !o.consoleSocket ? new ConsoleRelay() : undefined;
  const { saved, session } = await createContainer(g, o, {
    foreground: true,
    consoleSocket: relay ? `fd:${3 + o.preserveFds}` : undefined,
    extraFds: relay ? [relay.theirs] : undefined,
  });
  const stop = forwardSignals(saved.pid);
  let code: number;
  try {
    relay?.attach();
    await start(g, { id: o.id });
    code = exitCodeOf(await session.exited);
  } finally {
    stop();
    relay?.close();
  }
  if (!o.keep) await remove(g, { id: o.id, force: true });
  return code;
}
