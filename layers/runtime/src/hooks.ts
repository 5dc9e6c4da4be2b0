// Hooks that run in the runtime's namespace (config.md#posix-platform-hooks): prestart and
// createRuntime during create, poststart after start, poststop after delete. The container state
// goes to the hook's stdin as JSON.
import { spawnSync } from 'node:child_process';
import type { Hook, State } from '@strata/oci';
import { RuntimeError } from './errors';
import { warn } from './warnings';

export type HookPhase = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export function runHook(h: Hook, state: State, phase: HookPhase, index: number): void {
  const args = h.args && h.args.length ? h.args : [h.path];
  const r = spawnSync(h.path, args.slice(1), {
    argv0: args[0],
    input: JSON.stringify(state),
    env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    stdio: ['pipe', 'inherit', 'inherit'],
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
  });
  const where = `hooks.${phase}[${index}] (${h.path})`;
  // A hook that exits without reading its stdin makes our write fail with EPIPE: that is not
  // the hook failing, its exit status decides.
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null) r.error = undefined;
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw new RuntimeError('HOOK_FAILED', `${where}: timed out after ${h.timeout}s`);
    throw new RuntimeError('HOOK_FAILED', `${where}: ${r.error.message}`);
  }
  if (r.signal) throw new RuntimeError('HOOK_FAILED', `${where}: killed by ${r.signal}${h.timeout ? ` (timeout ${h.timeout}s)` : ''}`);
  if (r.status !== 0) throw new RuntimeError('HOOK_FAILED', `${where}: exited with status ${r.status}`);
}

/** Run every hook of a phase; the first failure stops the rest (prestart, createRuntime). */
export function runHooks(hooks: Hook[] | undefined, state: State, phase: HookPhase): void {
  (hooks ?? []).forEach((h, i) => runHook(h, state, phase, i));
}

/** poststart/poststop: a failure is only a warning and the remaining hooks still run (spec 1.2). */
export function runHooksWarnOnly(hooks: Hook[] | undefined, state: State, phase: HookPhase): void {
  (hooks ?? []).forEach((h, i) => {
    try {
      runHook(h, state, phase, i);
    } catch (e) {
      warn((e as Error).message);
    }
  });
}
