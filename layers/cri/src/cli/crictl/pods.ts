// Pod sandbox verbs: runp, pods, inspectp, stopp, rmp.
import { parseFlags, UsageError } from './args';
import { ago, json, podState, table, truncId } from './format';
import { labels, output, parsedInfo, readConfig, type Ctx } from './context';
import { jsonOf } from '../../api/json';
import type { ListPodSandboxResponse, PodSandboxStatusResponse } from '../../api/protos';

export async function runp(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [{ name: 'runtime', aliases: ['r'], kind: 'string' }]);
  if (args.length !== 1) throw new UsageError('runp: want exactly one argument: POD_CONFIG.json');
  const config = readConfig(args[0], 'PodSandboxConfig');
  const r = await ctx.client.runtime('RunPodSandbox', { config, runtimeHandler: (flags.runtime as string) ?? '' }, { timeoutMs: Math.max(ctx.timeoutMs, 60_000) });
  ctx.out.write(`${r.podSandboxId}\n`);
}

export async function pods(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'quiet', aliases: ['q'], kind: 'bool' },
    { name: 'name', kind: 'string' },
    { name: 'namespace', kind: 'string' },
    { name: 'id', kind: 'string' },
    { name: 'state', aliases: ['s'], kind: 'string' },
    { name: 'label', kind: 'list' },
    { name: 'output', aliases: ['o'], kind: 'string' },
    { name: 'no-trunc', kind: 'bool' },
    { name: 'latest', aliases: ['l'], kind: 'bool' },
    { name: 'last', kind: 'int' },
  ]);
  if (args.length) throw new UsageError(`pods: unexpected argument ${args[0]}`);
  const fmt = output(flags.output, ['table', 'json']);
  const state = flags.state as string | undefined;
  let stateFilter: { state: number } | undefined;
  if (state) {
    const s = state.toLowerCase();
    if (s !== 'ready' && s !== 'notready') throw new UsageError(`--state: want ready or notready (got ${state})`);
    stateFilter = { state: s === 'ready' ? 0 : 1 };
  }
  const r = await ctx.client.runtime<ListPodSandboxResponse>('ListPodSandbox', { filter: { id: '', state: stateFilter, labelSelector: labels(flags.label as string[]) } });
  let items = r.items.filter((p) => {
    if (flags.id && !p.id.startsWith(flags.id as string)) return false;
    if (flags.name && !new RegExp(flags.name as string).test(p.metadata?.name ?? '')) return false;
    if (flags.namespace && !new RegExp(flags.namespace as string).test(p.metadata?.namespace ?? '')) return false;
    return true;
  });
  items.sort((a, b) => b.createdAt - a.createdAt);
  if (flags.latest) items = items.slice(0, 1);
  if (flags.last) items = items.slice(0, flags.last as number);
  if (flags.quiet) {
    for (const p of items) ctx.out.write(`${p.id}\n`);
    return;
  }
  if (fmt === 'json') {
    ctx.out.write(json(jsonOf('ListPodSandboxResponse', { items })));
    return;
  }
  const trunc = (id: string) => (flags['no-trunc'] ? id : truncId(id));
  ctx.out.write(
    table(
      ['POD ID', 'CREATED', 'STATE', 'NAME', 'NAMESPACE', 'ATTEMPT', 'RUNTIME'],
      items.map((p) => [trunc(p.id), ago(p.createdAt), podState(p.state), p.metadata?.name ?? '', p.metadata?.namespace ?? '', String(p.metadata?.attempt ?? 0), p.runtimeHandler || '(default)']),
    ),
  );
}

export async function inspectp(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [{ name: 'output', aliases: ['o'], kind: 'string' }]);
  output(flags.output, ['json']);
  if (!args.length) throw new UsageError('inspectp: want POD-ID [POD-ID...]');
  for (const id of args) {
    const r = await ctx.client.runtime<PodSandboxStatusResponse>('PodSandboxStatus', { podSandboxId: id, verbose: true });
    ctx.out.write(json({ status: jsonOf('PodSandboxStatus', r.status), ...parsedInfo(r.info) }));
  }
}

export async function stopp(ctx: Ctx, argv: string[]): Promise<void> {
  const { args } = parseFlags(argv, []);
  if (!args.length) throw new UsageError('stopp: want POD-ID [POD-ID...]');
  for (const id of args) {
    await ctx.client.runtime('StopPodSandbox', { podSandboxId: id }, { timeoutMs: Math.max(ctx.timeoutMs, 60_000) });
    ctx.out.write(`Stopped sandbox ${id}\n`);
  }
}

export async function rmp(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'force', aliases: ['f'], kind: 'bool' },
    { name: 'all', aliases: ['a'], kind: 'bool' },
  ]);
  let ids = args;
  if (flags.all) ids = (await ctx.client.runtime<ListPodSandboxResponse>('ListPodSandbox', {})).items.map((p) => p.id);
  if (!ids.length && !flags.all) throw new UsageError('rmp: want POD-ID [POD-ID...] or --all');
  for (const id of ids) {
    // A ready pod must be stopped first; --force does that, as crictl's does.
    if (flags.force) await ctx.client.runtime('StopPodSandbox', { podSandboxId: id }, { timeoutMs: Math.max(ctx.timeoutMs, 60_000) });
    await ctx.client.runtime('RemovePodSandbox', { podSandboxId: id }, { timeoutMs: Math.max(ctx.timeoutMs, 60_000) });
    ctx.out.write(`Removed sandbox ${id}\n`);
  }
}
