// strata checkpoint create|ls|rm: docker's experimental checkpoint commands (CRIU through the
// engine). The engine must run with --experimental (strata's autostart passes it); a daemon
// without it answers 501, printed as docker prints any daemon error. Restoring is
// `strata start --checkpoint NAME [--checkpoint-dir DIR] CONTAINER` (run.ts).
import type { Command, Ctx } from '../command';
import { CliError } from '../errors';
import { bool, str, type FlagDef } from '../flags';
import { enc } from './each';

/**
 * Like the docker CLI, refuse experimental commands and flags before calling a daemon whose
 * /_ping does not say Docker-Experimental: true (`what`: the command path or the flag).
 */
export async function requireExperimental(ctx: Ctx, what: string): Promise<void> {
  await ctx.client.negotiate();
  if (ctx.client.serverHeaders['docker-experimental'] !== 'true') throw new CliError(`${what} is only supported on a Docker daemon with experimental features enabled`);
}

export const CHECKPOINT_DIR_FLAG: FlagDef = { name: 'checkpoint-dir', kind: 'string', desc: 'Use a custom checkpoint storage directory' };

export const checkpointCreate: Command = {
  name: 'checkpoint create',
  usage: '[OPTIONS] CONTAINER CHECKPOINT',
  desc: 'Create a checkpoint from a running container',
  flags: [CHECKPOINT_DIR_FLAG, { name: 'leave-running', kind: 'bool', desc: 'Leave the container running after checkpoint' }],
  args: { min: 2, max: 2 },
  async run(ctx, f, [container, name]) {
    await requireExperimental(ctx, 'strata checkpoint create');
    // Exit: the default stops the container once CRIU has dumped it
    const body = { CheckpointID: name, CheckpointDir: str(f, 'checkpoint-dir') ?? '', Exit: !bool(f, 'leave-running') };
    const res = await ctx.client.request('POST', `/containers/${enc(container)}/checkpoints`, { body });
    res.resume();
    ctx.out(`${name}\n`);
  },
};

export const checkpointLs: Command = {
  name: 'checkpoint ls',
  aliases: ['checkpoint list'],
  usage: '[OPTIONS] CONTAINER',
  desc: 'List checkpoints for a container',
  flags: [CHECKPOINT_DIR_FLAG],
  args: { min: 1, max: 1 },
  async run(ctx, f, [container]) {
    await requireExperimental(ctx, 'strata checkpoint ls');
    const list = await ctx.client.json<{ Name: string }[] | null>('GET', `/containers/${enc(container)}/checkpoints`, { query: { dir: str(f, 'checkpoint-dir') } });
    // one column: nothing to align (docker's table has just this header)
    ctx.out(['CHECKPOINT NAME', ...(list ?? []).map((c) => c.Name)].map((l) => `${l}\n`).join(''));
  },
};

export const checkpointRm: Command = {
  name: 'checkpoint rm',
  aliases: ['checkpoint remove'],
  usage: '[OPTIONS] CONTAINER CHECKPOINT',
  desc: 'Remove a checkpoint',
  flags: [CHECKPOINT_DIR_FLAG],
  args: { min: 2, max: 2 },
  async run(ctx, f, [container, name]) {
    await requireExperimental(ctx, 'strata checkpoint rm');
    const res = await ctx.client.request('DELETE', `/containers/${enc(container)}/checkpoints/${enc(name)}`, { query: { dir: str(f, 'checkpoint-dir') } });
    res.resume();
  },
};
