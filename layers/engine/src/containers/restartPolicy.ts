// Restart policies (docker run --restart; moby's restartmanager): after an exit that was not a
// user's stop, "always" and "unless-stopped" restart, "on-failure[:N]" restarts on a non-zero
// exit up to N times. The delay starts at 100 ms and doubles each time, capped at one minute,
// and goes back to 100 ms once the container had run for at least 10 seconds.
import type { ContainerRecord } from './types';

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
export const RESET_AFTER_MS = 10_000;

const backoff = new WeakMap<ContainerRecord, number>();

export function restartDecision(c: ContainerRecord, ranForMs: number): { restart: boolean; delayMs: number } {
  const p = c.HostConfig.RestartPolicy ?? { Name: 'no' };
  let restart = false;
  if (!c.Strata.manuallyStopped) {
    if (p.Name === 'always' || p.Name === 'unless-stopped') restart = true;
    else if (p.Name === 'on-failure') restart = c.State.ExitCode !== 0 && (!p.MaximumRetryCount || c.RestartCount < p.MaximumRetryCount);
  }
  const prev = ranForMs >= RESET_AFTER_MS ? 0 : (backoff.get(c) ?? 0);
  const delayMs = prev ? Math.min(prev * 2, BACKOFF_MAX_MS) : BACKOFF_START_MS;
  if (restart) backoff.set(c, delayMs);
  else backoff.delete(c);
  return { restart, delayMs };
}
