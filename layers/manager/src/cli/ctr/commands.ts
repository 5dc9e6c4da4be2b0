// strata-ctr's commands: each parses nothing itself (args.ts did), calls the client library
// (client/), and prints like ctr.
import crypto from 'node:crypto';
import { constants as osConstants } from 'node:os';
import type { ManagerClient } from '../../client/client';
import { pullImage } from '../../client/pull';
import { getImage, newContainer, PROCESS_TYPE_URL, removeContainer, specAny, startTask } from '../../client/run';
import { attach, makeFifos } from '../../client/io';
import { fromTimestamp } from '@strata/shim/proto';
import { UsageError, type FlagSpec, type Parsed } from './args';
import { CONTAINER_SUBCOMMANDS, TASK_COMMAND } from './checkpointCommands';
import { IMAGE_COMMANDS } from './imageCommands';
import { progressRenderer } from './progress';
import { registryClient, registryFlags } from './registry';
import { humanSize, table } from './table';

export interface Command {
  summary: string;
  usage: string;
  aliases?: string[];
  flags: FlagSpec[];
  stopAtPositional?: number;
  /** `strata-ctr containers checkpoint ...`: a first argument naming one of these runs it instead. */
  subcommands?: Record<string, Command>;
  run(c: ManagerClient, p: Parsed): Promise<number>;
}

const STATUS = ['UNKNOWN', 'CREATED', 'RUNNING', 'STOPPED', 'PAUSED', 'PAUSING'];
const out = (s: string) => process.stdout.write(s);


const signalNumber = (s: string): number => {
  if (/^\d+$/.test(s)) return Number(s);
  const n = (osConstants.signals as Record<string, number>)[s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`];
  if (!n) throw new UsageError(`unknown signal ${JSON.stringify(s)}`);
  return n;
};

export const COMMANDS: Record<string, Command> = {
  pull: {
    summary: 'fetch an image from a registry and unpack it',
    usage: '[--platform P] [--user U:P] REF',
    flags: [{ name: 'platform', value: true, help: 'platform to pull (default: this machine\'s)' }, { name: 'snapshotter', value: true, help: 'unpack into this snapshotter (default overlayfs)' }, { name: 'no-unpack', help: 'only fetch' }, { name: 'json', help: 'progress as JSON lines' }, ...registryFlags],
    async run(c, p) {
      const [ref] = p.args;
      if (!ref || p.args.length > 1) throw new UsageError('pull needs exactly one image reference');
      const r = progressRenderer(process.stdout, p.flags.json ? true : undefined);
      const res = await pullImage(c, ref, { registry: registryClient(p, ref), platform: p.flags.platform as string | undefined, unpack: p.flags['no-unpack'] ? false : ((p.flags.snapshotter as string) || 'overlayfs'), onProgress: r.onProgress });
      r.finish();
      out(`${res.name}: pulled ${res.target.digest}${res.chainId ? ', unpacked' : ''}\n`);
      return 0;
    },
  },
  ...IMAGE_COMMANDS,
  images: {
    summary: 'list images',
    usage: '[-q] [FILTER...]',
    aliases: ['image', 'i'],
    flags: [{ name: 'quiet', alias: 'q', help: 'names only' }],
    async run(c, p) {
      const list = await c.images.list(p.args);
      if (p.flags.quiet) {
        out(list.map((i) => `${i.name}\n`).join(''));
        return 0;
      }
      out(table(['REF', 'TYPE', 'DIGEST', 'SIZE', 'LABELS'], list.map((i) => [i.name, i.target?.mediaType ?? '', i.target?.digest ?? '', humanSize(i.target?.size ?? 0), Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-'])));
      return 0;
    },
  },
  rmi: {
    summary: 'remove image names (their content goes at the next garbage collection)',
    usage: '[--sync] IMAGE...',
    flags: [{ name: 'sync', help: 'wait for the garbage collection' }],
    async run(c, p) {
      if (!p.args.length) throw new UsageError('rmi needs at least one image');
      let status = 0;
      for (const name of p.args) {
        try {
          const img = await getImage(c, name);
          await c.images.delete(img.name, !!p.flags.sync);
          out(`${img.name}\n`);
        } catch (e) {
          process.stderr.write(`strata-ctr rmi ${name}: ${(e as Error).message}\n`);
          status = 1;
        }
      }
      return status;
    },
  },
  tag: {
    summary: 'give an image another name',
    usage: 'SOURCE TARGET',
    flags: [{ name: 'force', help: 'replace TARGET if it exists' }],
    async run(c, p) {
      const [src, dst] = p.args;
      if (!src || !dst) throw new UsageError('tag needs SOURCE and TARGET');
      const img = await getImage(c, src);
      if (p.flags.force) await c.images.put({ name: dst, labels: img.labels, target: img.target as any });
      else await c.images.create({ name: dst, labels: img.labels, target: img.target as any });
      out(`${dst}\n`);
      return 0;
    },
  },
  run: {
    summary: 'create a container from an image and run its task',
    usage: '[--rm] [-d] [-t] [-i] [--runtime R] [-e K=V] IMAGE ID [COMMAND [ARG...]]',
    stopAtPositional: 2,
    flags: [
      { name: 'rm', help: 'remove the container when the task exits' },
      { name: 'detach', alias: 'd', help: 'start the task and return' },
      { name: 'tty', alias: 't', help: 'allocate a terminal' },
      { name: 'interactive', alias: 'i', help: 'keep stdin open' },
      { name: 'runtime', value: true, help: 'runtime name (default io.containerd.strata.v2; io.containerd.runc.v2 for containerd-shim-runc-v2)' },
      { name: 'snapshotter', value: true, help: 'snapshotter (default overlayfs)' },
      { name: 'env', alias: 'e', value: true, repeat: true, help: 'environment variable K=V' },
      { name: 'cwd', value: true, help: 'working directory' },
      { name: 'user', alias: 'u', value: true, help: 'UID[:GID]' },
      { name: 'mount', value: true, repeat: true, help: 'bind mount SRC:DST[:ro]' },
      { name: 'net-host', help: 'use the host network namespace' },
      { name: 'memory-limit', value: true, help: 'memory limit in bytes' },
      { name: 'label', value: true, repeat: true, help: 'container label K=V' },
      { name: 'read-only', help: 'read-only rootfs' },
    ],
    async run(c, p) {
      const [image, id, ...args] = p.args;
      if (!image || !id) throw new UsageError('run needs IMAGE and ID');
      const tty = !!p.flags.tty;
      const mounts = ((p.flags.mount as string[] | undefined) ?? []).map((m) => {
        const [source, destination, ro] = m.split(':');
        if (!source || !destination) throw new UsageError(`--mount ${m}: expected SRC:DST[:ro]`);
        return { source, destination, options: ['rbind', ro === 'ro' ? 'ro' : 'rw'] };
      });
      const labels = Object.fromEntries(((p.flags.label as string[] | undefined) ?? []).map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')]));
      await newContainer(c, {
        image,
        id,
        runtime: (p.flags.runtime as string) || 'io.containerd.strata.v2',
        snapshotter: p.flags.snapshotter as string | undefined,
        args: args.length ? args : undefined,
        env: p.flags.env as string[] | undefined,
        cwd: p.flags.cwd as string | undefined,
        user: p.flags.user as string | undefined,
        terminal: tty,
        mounts,
        hostNetwork: !!p.flags['net-host'],
        memoryLimit: p.flags['memory-limit'] ? Number(p.flags['memory-limit']) : undefined,
        readonlyRootfs: !!p.flags['read-only'],
        labels,
      });
      if (p.flags.detach) {
        await startTask(c, id, { detach: true, streams: { stdout: process.stdout, stderr: process.stderr } });
        return 0;
      }
      let status = 0;
      const restore = rawMode(tty);
      const onSignal = (sig: NodeJS.Signals) => void c.tasks.kill(id, osConstants.signals[sig]).catch(() => {});
      if (!tty) for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, onSignal);
      try {
        status = await startTask(c, id, {
          terminal: tty,
          withStdin: !!p.flags.interactive,
          streams: { stdin: p.flags.interactive ? process.stdin : undefined, stdout: process.stdout, stderr: process.stderr },
          onStarted: () => {
            if (tty && process.stdout.isTTY) {
              const resize = () => void c.tasks.resize(id, process.stdout.columns, process.stdout.rows).catch(() => {});
              resize();
              process.stdout.on('resize', resize);
            }
          },
        });
      } finally {
        restore();
        for (const s of ['SIGINT', 'SIGTERM'] as const) process.off(s, onSignal);
        process.stdin.pause();
        if (p.flags.rm) await removeContainer(c, id, { force: true });
      }
      return status;
    },
  },
  ps: {
    summary: 'list containers and the state of their tasks',
    usage: '[-q] [FILTER...]',
    aliases: ['containers', 'c', 'ls'],
    flags: [{ name: 'quiet', alias: 'q', help: 'ids only' }],
    subcommands: CONTAINER_SUBCOMMANDS,
    async run(c, p) {
      const [containers, tasks] = await Promise.all([c.containers.list(p.args), c.tasks.list()]);
      if (p.flags.quiet) {
        out(containers.map((x) => `${x.id}\n`).join(''));
        return 0;
      }
      const byId = new Map(tasks.map((t) => [t.id || t.containerId, t]));
      out(table(['CONTAINER', 'IMAGE', 'RUNTIME', 'STATUS', 'PID'], containers.map((x) => {
        const t = byId.get(x.id);
        return [x.id, x.image || '-', x.runtime?.name ?? '', t ? STATUS[t.status] ?? String(t.status) : 'no task', t ? String(t.pid) : '-'];
      })));
      return 0;
    },
  },
  tasks: TASK_COMMAND,
  start: {
    summary: 'start the task of an existing container (attached unless -d)',
    usage: '[-d] [-t] ID',
    flags: [{ name: 'detach', alias: 'd', help: 'return after start' }, { name: 'tty', alias: 't', help: 'the task has a terminal' }],
    async run(c, p) {
      const [id] = p.args;
      if (!id) throw new UsageError('start needs ID');
      return startTask(c, id, { detach: !!p.flags.detach, terminal: !!p.flags.tty, streams: { stdout: process.stdout, stderr: process.stderr } });
    },
  },
  exec: {
    summary: 'run another process in a running task',
    usage: '[-t] [-i] [--exec-id ID] CONTAINER COMMAND [ARG...]',
    stopAtPositional: 1,
    flags: [
      { name: 'tty', alias: 't', help: 'allocate a terminal' },
      { name: 'interactive', alias: 'i', help: 'keep stdin open' },
      { name: 'exec-id', value: true, help: 'name of the exec process (default: random)' },
      { name: 'env', alias: 'e', value: true, repeat: true, help: 'extra environment K=V' },
      { name: 'cwd', value: true, help: 'working directory' },
    ],
    async run(c, p) {
      const [id, ...args] = p.args;
      if (!id || !args.length) throw new UsageError('exec needs CONTAINER and COMMAND');
      const container = await c.containers.get(id);
      const spec = JSON.parse(Buffer.from(container.spec.value).toString());
      const proc = { ...spec.process, args, terminal: !!p.flags.tty, env: [...(spec.process.env ?? []), ...((p.flags.env as string[]) ?? [])], cwd: (p.flags.cwd as string) || spec.process.cwd };
      const execId = (p.flags['exec-id'] as string) || `exec-${crypto.randomBytes(4).toString('hex')}`;
      const fifos = makeFifos(execId, { stdin: !!p.flags.interactive, terminal: !!p.flags.tty });
      const io = attach(fifos, { stdin: p.flags.interactive ? process.stdin : undefined, stdout: process.stdout, stderr: process.stderr });
      const restore = rawMode(!!p.flags.tty);
      try {
        await c.tasks.exec({ containerId: id, execId, spec: specAny(proc, PROCESS_TYPE_URL), stdin: fifos.stdin, stdout: fifos.stdout, stderr: fifos.stderr, terminal: !!p.flags.tty });
        const waited = c.tasks.wait(id, execId);
        await c.tasks.start(id, execId);
        io.opened(); // an exec's FIFOs are opened by the shim at Start
        void io.stdinClosed.then(() => c.tasks.closeIO(id, execId).catch(() => {}));
        const res = await waited;
        // the shim closes the exec's FIFOs when the process is deleted
        await c.tasks.deleteProcess(id, execId).catch(() => {});
        await Promise.race([io.done, new Promise((r) => setTimeout(r, 5_000))]);
        return res.exitStatus;
      } finally {
        restore();
        process.stdin.pause();
        io.close();
      }
    },
  },
  kill: {
    summary: 'send a signal to a task',
    usage: '[-s SIGNAL] [--all] ID',
    flags: [{ name: 'signal', alias: 's', value: true, help: 'signal name or number (default SIGTERM)' }, { name: 'all', alias: 'a', help: 'every process of the task' }, { name: 'exec-id', value: true, help: 'an exec process instead of the task' }],
    async run(c, p) {
      const [id] = p.args;
      if (!id) throw new UsageError('kill needs ID');
      await c.tasks.kill(id, signalNumber((p.flags.signal as string) || 'SIGTERM'), { all: !!p.flags.all, execId: p.flags['exec-id'] as string | undefined });
      return 0;
    },
  },
  rm: {
    summary: 'delete containers (their stopped task and their snapshot too)',
    usage: '[-f] ID...',
    flags: [{ name: 'force', alias: 'f', help: 'kill a running task first' }],
    async run(c, p) {
      if (!p.args.length) throw new UsageError('rm needs at least one ID');
      let status = 0;
      for (const id of p.args) {
        try {
          await removeContainer(c, id, { force: !!p.flags.force });
          out(`${id}\n`);
        } catch (e) {
          process.stderr.write(`strata-ctr rm ${id}: ${(e as Error).message}\n`);
          status = 1;
        }
      }
      return status;
    },
  },
  pause: {
    summary: 'freeze a task',
    usage: 'ID',
    flags: [],
    async run(c, p) {
      if (!p.args[0]) throw new UsageError('pause needs ID');
      await c.tasks.pause(p.args[0]);
      return 0;
    },
  },
  resume: {
    summary: 'thaw a paused task',
    usage: 'ID',
    flags: [],
    async run(c, p) {
      if (!p.args[0]) throw new UsageError('resume needs ID');
      await c.tasks.resume(p.args[0]);
      return 0;
    },
  },
  events: {
    summary: 'print events as they happen (until interrupted)',
    usage: '[FILTER...]',
    flags: [{ name: 'json', help: 'one JSON object per line' }],
    async run(c, p) {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      for await (const e of c.events(p.args, ac.signal)) {
        const when = fromTimestamp(e.timestamp) ?? new Date();
        const type = e.event?.typeUrl ?? '';
        if (p.flags.json) out(`${JSON.stringify({ timestamp: when.toISOString(), namespace: e.namespace, topic: e.topic, type })}\n`);
        else out(`${when.toISOString()} ${e.namespace} ${e.topic} ${type}\n`);
      }
      return 0;
    },
  },
  version: {
    summary: 'client and server versions',
    usage: '',
    flags: [],
    async run(c) {
      const v = await c.version();
      out(`Client:\n  Version:  0.1.0\n  Program:  strata-ctr\n\nServer:\n  Version:  ${v.version}\n  Revision: ${v.revision}\n  UUID: ${await c.serverUuid().catch(() => '-')}\n`);
      return 0;
    },
  },
  namespaces: {
    summary: 'list namespaces',
    usage: '',
    aliases: ['ns'],
    flags: [],
    async run(c) {
      const list = await c.namespaces.list();
      out(table(['NAME', 'LABELS'], list.map((n) => [n.name, Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',')])));
      return 0;
    },
  },
};

/** A terminal in raw mode while a tty task runs (keys go to the container, not to us). */
function rawMode(on: boolean): () => void {
  if (!on || !process.stdin.isTTY) return () => {};
  process.stdin.setRawMode(true);
  return () => process.stdin.setRawMode(false);
}

