// strata-ctr's checkpoint/restore commands, with containerd 1.6 ctr's flags and output:
//   containers checkpoint [--rw] [--image] [--task] [--exit] CONTAINER REF   (prints nothing)
//   containers restore [--rw] [--live] CONTAINER REF                          (prints nothing)
//   tasks checkpoint [--exit] [--image-path DIR] [--work-path DIR] CONTAINER  (prints the image name)
// `--exit` on `containers checkpoint` is Strata's: ctr has no flag for containerd's
// WithCheckpointTaskExit. The work is in client/checkpoint.ts and client/restore.ts.
import { checkpointContainer, checkpointTask } from '../../client/checkpoint';
import { restoreContainer } from '../../client/restore';
import { UsageError, type Parsed } from './args';
import type { Command } from './commands';
import { table } from './table';

const out = (s: string) => process.stdout.write(s);
const STATUS = ['UNKNOWN', 'CREATED', 'RUNNING', 'STOPPED', 'PAUSED', 'PAUSING'];

/** CONTAINER and REF, with ctr's messages when one is missing. */
function containerAndRef(p: Parsed, verb: string): [string, string] {
  const [id, ref, ...extra] = p.args;
  if (!id) throw new UsageError(`container id must be provided (${verb} CONTAINER REF)`);
  if (!ref) throw new UsageError(`ref must be provided: the checkpoint image name (${verb} ${id} REF)`);
  if (extra.length) throw new UsageError(`unexpected arguments after REF: ${extra.join(' ')}`);
  return [id, ref];
}

export const CONTAINER_SUBCOMMANDS: Record<string, Command> = {
  checkpoint: {
    summary: 'checkpoint a container into an image named REF',
    usage: '[--rw] [--image] [--task] [--exit] CONTAINER REF',
    flags: [
      { name: 'rw', help: 'include the rw layer in the checkpoint' },
      { name: 'image', help: 'include the image in the checkpoint' },
      { name: 'task', help: 'checkpoint the container\'s task (CRIU dump of its processes)' },
      { name: 'exit', help: 'stop the task after the dump (Strata; ctr leaves it running)' },
    ],
    async run(c, p) {
      const [id, ref] = containerAndRef(p, 'containers checkpoint');
      if (p.flags.exit && !p.flags.task) throw new UsageError('--exit needs --task (without it no task is dumped)');
      await checkpointContainer(c, id, ref, { task: !!p.flags.task, image: !!p.flags.image, rw: !!p.flags.rw, exit: !!p.flags.exit });
      return 0;
    },
  },
  restore: {
    summary: 'restore a container (and start its task) from the checkpoint image REF',
    usage: '[--rw] [--live] CONTAINER REF',
    flags: [
      { name: 'rw', help: 'restore the rw layer from the checkpoint' },
      { name: 'live', help: 'restore the runtime and memory data from the checkpoint (else the task starts afresh)' },
    ],
    async run(c, p) {
      const [id, ref] = containerAndRef(p, 'containers restore');
      await restoreContainer(c, id, ref, { rw: !!p.flags.rw, live: !!p.flags.live });
      return 0;
    },
  },
};

export const TASK_COMMAND: Command = {
  summary: 'list tasks (subcommand: checkpoint)',
  usage: '[-q] | checkpoint [--exit] [--image-path DIR] [--work-path DIR] CONTAINER',
  aliases: ['t', 'task'],
  flags: [{ name: 'quiet', alias: 'q', help: 'ids only' }],
  async run(c, p) {
    if (p.args.length) throw new UsageError(`no such tasks subcommand "${p.args[0]}" (have: checkpoint)`);
    const tasks = await c.tasks.list();
    if (p.flags.quiet) out(tasks.map((t) => `${t.id || t.containerId}\n`).join(''));
    else out(table(['TASK', 'PID', 'STATUS'], tasks.map((t) => [t.id || t.containerId, String(t.pid), STATUS[t.status] ?? String(t.status)])));
    return 0;
  },
  subcommands: {
    checkpoint: {
      summary: 'checkpoint a task into an image containerd.io/checkpoint/<id>:<date>',
      usage: '[--exit] [--image-path DIR] [--work-path DIR] CONTAINER',
      flags: [
        { name: 'exit', help: 'stop the container after the checkpoint' },
        { name: 'image-path', value: true, help: 'path to criu image files (then no image is stored)' },
        { name: 'work-path', value: true, help: 'path to criu work files and logs' },
      ],
      async run(c, p) {
        const [id, ...extra] = p.args;
        if (!id) throw new UsageError('container id must be provided (tasks checkpoint CONTAINER)');
        if (extra.length) throw new UsageError(`unexpected arguments after CONTAINER: ${extra.join(' ')}`);
        const image = await checkpointTask(c, id, { exit: !!p.flags.exit, imagePath: (p.flags['image-path'] as string) || '', workPath: (p.flags['work-path'] as string) || '' });
        out(`${image?.name ?? ''}\n`);
        return 0;
      },
    },
  },
};
