// Container verbs: create, start, ps, inspect, stop, rm, stats.
import { parseFlags, UsageError } from './args';
import { ago, containerState, humanSize, json, table, truncId } from './format';
import { labels, output, parsedInfo, readConfig, type Ctx } from './context';
import { jsonOf } from '../../api/json';
import type { ContainerStats, ContainerStatusResponse, ListContainersResponse, ListContainerStatsResponse, ListPodSandboxResponse } from '../../api/protos';

const LONG = 60_000;

export async function create(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'with-pull', kind: 'bool' },
    { name: 'no-pull', kind: 'bool' },
    { name: 'creds', kind: 'string' },
    { name: 'auth', kind: 'string' },
  ]);
  if (args.length !== 3) throw new UsageError('create: want POD-ID CONTAINER_CONFIG.json POD_CONFIG.json');
  const [pod, ctrFile, podFile] = args;
  const config = readConfig(ctrFile, 'ContainerConfig');
  const sandboxConfig = readConfig(podFile, 'PodSandboxConfig');
  if (flags['with-pull'] && !flags['no-pull']) {
    const image = config.image?.image;
    if (!image) throw new UsageError(`${ctrFile}: image.image is needed to pull`);
    const { authOf } = await import('./images');
    await ctx.client.image('PullImage', { image: { image }, auth: authOf(flags), sandboxConfig }, { timeoutMs: 0 });
  }
  const r = await ctx.client.runtime('CreateContainer', { podSandboxId: pod, config, sandboxConfig }, { timeoutMs: Math.max(ctx.timeoutMs, LONG) });
  ctx.out.write(`${r.containerId}\n`);
}

export async function start(ctx: Ctx, argv: string[]): Promise<void> {
  const { args } = parseFlags(argv, []);
  if (!args.length) throw new UsageError('start: want CONTAINER-ID [CONTAINER-ID...]');
  for (const id of args) {
    await ctx.client.runtime('StartContainer', { containerId: id }, { timeoutMs: Math.max(ctx.timeoutMs, LONG) });
    ctx.out.write(`${id}\n`);
  }
}

const STATES: Record<string, number> = { created: 0, running: 1, exited: 2, unknown: 3 };

export async function ps(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'all', aliases: ['a'], kind: 'bool' },
    { name: 'quiet', aliases: ['q'], kind: 'bool' },
    { name: 'pod', aliases: ['p'], kind: 'string' },
    { name: 'name', kind: 'string' },
    { name: 'id', kind: 'string' },
    { name: 'state', aliases: ['s'], kind: 'string' },
    { name: 'label', kind: 'list' },
    { name: 'image', kind: 'string' },
    { name: 'output', aliases: ['o'], kind: 'string' },
    { name: 'no-trunc', kind: 'bool' },
    { name: 'latest', aliases: ['l'], kind: 'bool' },
    { name: 'last', kind: 'int' },
  ]);
  if (args.length) throw new UsageError(`ps: unexpected argument ${args[0]}`);
  const fmt = output(flags.output, ['table', 'json']);
  let state: number | undefined;
  if (flags.state) {
    state = STATES[(flags.state as string).toLowerCase()];
    if (state === undefined) throw new UsageError(`--state: want created, running, exited or unknown (got ${flags.state})`);
  } else if (!flags.all && !flags.latest && !flags.last) state = 1; // running only, like crictl ps
  const r = await ctx.client.runtime<ListContainersResponse>('ListContainers', { filter: { id: '', podSandboxId: '', state: state === undefined ? undefined : { state }, labelSelector: labels(flags.label as string[]) } });
  const pods = new Map((await ctx.client.runtime<ListPodSandboxResponse>('ListPodSandbox', {})).items.map((p) => [p.id, p]));
  let list = r.containers.filter((c) => {
    if (flags.id && !c.id.startsWith(flags.id as string)) return false;
    if (flags.pod && !c.podSandboxId.startsWith(flags.pod as string)) return false;
    if (flags.name && !new RegExp(flags.name as string).test(c.metadata?.name ?? '')) return false;
    if (flags.image && !(c.image?.image ?? '').includes(flags.image as string) && !c.imageRef.includes(flags.image as string)) return false;
    return true;
  });
  list.sort((a, b) => b.createdAt - a.createdAt);
  if (flags.latest) list = list.slice(0, 1);
  if (flags.last) list = list.slice(0, flags.last as number);
  if (flags.quiet) {
    for (const c of list) ctx.out.write(`${c.id}\n`);
    return;
  }
  if (fmt === 'json') {
    ctx.out.write(json(jsonOf('ListContainersResponse', { containers: list })));
    return;
  }
  const t = (id: string) => (flags['no-trunc'] ? id : truncId(id));
  const img = (s: string) => (s.startsWith('sha256:') ? t(s) : s);
  ctx.out.write(
    table(
      ['CONTAINER', 'IMAGE', 'CREATED', 'STATE', 'NAME', 'ATTEMPT', 'POD ID', 'POD'],
      list.map((c) => [t(c.id), img(c.image?.image || c.imageRef), ago(c.createdAt), containerState(c.state), c.metadata?.name ?? '', String(c.metadata?.attempt ?? 0), t(c.podSandboxId), pods.get(c.podSandboxId)?.metadata?.name ?? 'unknown']),
    ),
  );
}

export async function inspect(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [{ name: 'output', aliases: ['o'], kind: 'string' }]);
  output(flags.output, ['json']);
  if (!args.length) throw new UsageError('inspect: want CONTAINER-ID [CONTAINER-ID...]');
  for (const id of args) {
    const r = await ctx.client.runtime<ContainerStatusResponse>('ContainerStatus', { containerId: id, verbose: true });
    ctx.out.write(json({ status: jsonOf('ContainerStatus', r.status), ...parsedInfo(r.info) }));
  }
}

export async function stop(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [{ name: 'timeout', aliases: ['t'], kind: 'int' }]);
  if (!args.length) throw new UsageError('stop: want CONTAINER-ID [CONTAINER-ID...]');
  const timeout = (flags.timeout as number | undefined) ?? 0;
  if (timeout < 0) throw new UsageError('--timeout: must not be negative');
  for (const id of args) {
    await ctx.client.runtime('StopContainer', { containerId: id, timeout }, { timeoutMs: Math.max(ctx.timeoutMs, timeout * 1000 + LONG) });
    ctx.out.write(`${id}\n`);
  }
}

export async function rm(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'force', aliases: ['f'], kind: 'bool' },
    { name: 'all', aliases: ['a'], kind: 'bool' },
  ]);
  let ids = args;
  if (flags.all) ids = (await ctx.client.runtime<ListContainersResponse>('ListContainers', {})).containers.map((c) => c.id);
  if (!ids.length && !flags.all) throw new UsageError('rm: want CONTAINER-ID [CONTAINER-ID...] or --all');
  for (const id of ids) {
    if (flags.force) await ctx.client.runtime('StopContainer', { containerId: id, timeout: 0 }, { timeoutMs: Math.max(ctx.timeoutMs, LONG) });
    await ctx.client.runtime('RemoveContainer', { containerId: id }, { timeoutMs: Math.max(ctx.timeoutMs, LONG) });
    ctx.out.write(`${id}\n`);
  }
}

/** CPU % between two samples (crictl's way when the runtime gives no usage_nano_cores). */
function cpuPercent(a: ContainerStats | undefined, b: ContainerStats): string {
  if (b.cpu?.usageNanoCores?.value) return (b.cpu.usageNanoCores.value / 1e7).toFixed(2);
  const u0 = a?.cpu?.usageCoreNanoSeconds?.value;
  const u1 = b.cpu?.usageCoreNanoSeconds?.value;
  const dt = (b.cpu?.timestamp ?? 0) - (a?.cpu?.timestamp ?? 0);
  if (u0 === undefined || u1 === undefined || dt <= 0) return '0.00';
  return (((u1 - u0) / dt) * 100).toFixed(2);
}

export async function stats(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'all', aliases: ['a'], kind: 'bool' },
    { name: 'id', kind: 'string' },
    { name: 'pod', aliases: ['p'], kind: 'string' },
    { name: 'label', kind: 'list' },
    { name: 'output', aliases: ['o'], kind: 'string' },
    { name: 'seconds', aliases: ['s'], kind: 'int' },
  ]);
  const fmt = output(flags.output, ['table', 'json']);
  const filter = { id: (flags.id as string) ?? args[0] ?? '', podSandboxId: (flags.pod as string) ?? '', labelSelector: labels(flags.label as string[]) };
  const sample = () => ctx.client.runtime<ListContainerStatsResponse>('ListContainerStats', { filter });
  const first = await sample();
  if (fmt === 'json') {
    ctx.out.write(json(jsonOf('ListContainerStatsResponse', first)));
    return;
  }
  // Two samples one second apart give the CPU rate, as crictl computes it.
  await new Promise((r) => setTimeout(r, ((flags.seconds as number) || 1) * 1000));
  const second = await sample();
  const before = new Map(first.stats.map((s) => [s.attributes?.id, s]));
  let running = new Set<string>();
  if (!flags.all) running = new Set((await ctx.client.runtime<ListContainersResponse>('ListContainers', { filter: { state: { state: 1 } } })).containers.map((c) => c.id));
  const rows = second.stats
    .filter((s) => flags.all || running.has(s.attributes?.id ?? ''))
    .map((s) => [truncId(s.attributes?.id ?? ''), s.attributes?.metadata?.name ?? '', cpuPercent(before.get(s.attributes?.id), s), humanSize(s.memory?.workingSetBytes?.value ?? 0), humanSize(s.writableLayer?.usedBytes?.value ?? 0), String(s.writableLayer?.inodesUsed?.value ?? 0)]);
  ctx.out.write(table(['CONTAINER', 'NAME', 'CPU %', 'MEM', 'DISK', 'INODES'], rows));
}
