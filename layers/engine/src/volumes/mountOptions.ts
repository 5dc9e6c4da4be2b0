// The local driver's options (`docker volume create -o type=tmpfs -o device=tmpfs -o o=size=10m`):
// when given, the volume's _data is a mount of <device> with filesystem <type> and options <o>,
// made while a container uses the volume (moby volume/local: mount on first use, unmount when
// the last user goes). Without options it is a plain directory.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { invalidParam } from '../errors';

export interface LocalOptions {
  type?: string;
  device?: string;
  o?: string;
}

const KNOWN = new Set(['type', 'device', 'o', 'size']);

export function parseLocalOptions(opts: Record<string, string> | undefined): LocalOptions | undefined {
  if (!opts || Object.keys(opts).length === 0) return undefined;
  for (const k of Object.keys(opts)) if (!KNOWN.has(k)) throw invalidParam(`invalid option: ${JSON.stringify(k)} (the local driver takes type, device, o)`);
  if (opts.size) throw invalidParam('quota size requested but no quota support (the local driver here has no project quotas)');
  const o: LocalOptions = { type: opts.type, device: opts.device, o: opts.o };
  if (!o.type && !o.device && !o.o) return undefined;
  if (!o.device) throw invalidParam('missing required option: "device"');
  if (!o.type && !/(^|,)bind(,|$)/.test(o.o ?? '')) throw invalidParam('missing required option: "type" (or o=bind)');
  for (const [k, v] of Object.entries(o)) if (v !== undefined && /[\0\n]/.test(v)) throw invalidParam(`option ${k}: holds a NUL or newline`);
  if (o.type && !/^[\w.-]+$/.test(o.type)) throw invalidParam(`option type: invalid filesystem type ${JSON.stringify(o.type)}`);
  return o;
}

export function mountVolume(o: LocalOptions, target: string): void {
  const args = [...(o.type ? ['-t', o.type] : []), ...(o.o ? ['-o', o.o] : []), '--', o.device!, target];
  const r = spawnSync('mount', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw invalidParam(`error while mounting volume '${target}': mount ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

export function unmountVolume(target: string): void {
  if (!isMountPoint(target)) return;
  const r = spawnSync('umount', [target], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) spawnSync('umount', ['-l', target], { timeout: 30_000 });
}

export function isMountPoint(p: string): boolean {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === p);
}
