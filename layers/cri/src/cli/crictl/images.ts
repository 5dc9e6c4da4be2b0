// Image verbs: images, pull, rmi, inspecti, imagefsinfo.
import { parseFlags, UsageError, type Parsed } from './args';
import { humanSize, json, table, truncId } from './format';
import { output, parsedInfo, readConfig, type Ctx } from './context';
import { jsonOf } from '../../api/json';
import type { AuthConfig, Image, ImageFsInfoResponse, ImageStatusResponse, ListImagesResponse } from '../../api/protos';

/** --creds USER[:PASSWORD] or --auth BASE64, as crictl pull takes them. */
export function authOf(flags: Parsed['flags']): Partial<AuthConfig> | undefined {
  if (flags.creds && flags.auth) throw new UsageError('--creds and --auth cannot be used together');
  if (flags.creds) {
    const c = flags.creds as string;
    const colon = c.indexOf(':');
    if (colon === 0) throw new UsageError('--creds: the username is empty (want USER[:PASSWORD])');
    return colon < 0 ? { username: c, password: '' } : { username: c.slice(0, colon), password: c.slice(colon + 1) };
  }
  if (flags.auth) return { auth: flags.auth as string };
  return undefined;
}

export async function pull(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'creds', kind: 'string' },
    { name: 'auth', kind: 'string' },
    { name: 'pod-config', aliases: ['p'], kind: 'string' },
  ]);
  if (args.length !== 1) throw new UsageError('pull: want exactly one argument: IMAGE');
  const sandboxConfig = flags['pod-config'] ? readConfig(flags['pod-config'] as string, 'PodSandboxConfig') : undefined;
  // No deadline for a pull (crictl has its own pull timeout, 0 = none by default).
  const r = await ctx.client.image('PullImage', { image: { image: args[0] }, auth: authOf(flags), sandboxConfig }, { timeoutMs: 0 });
  ctx.out.write(`Image is up to date for ${r.imageRef}\n`);
}

function splitTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(':');
  if (colon > repoTag.lastIndexOf('/')) return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
  return [repoTag, '<none>'];
}

export async function images(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'quiet', aliases: ['q'], kind: 'bool' },
    { name: 'digests', kind: 'bool' },
    { name: 'verbose', aliases: ['v'], kind: 'bool' },
    { name: 'no-trunc', kind: 'bool' },
    { name: 'output', aliases: ['o'], kind: 'string' },
  ]);
  if (args.length > 1) throw new UsageError('images: at most one IMAGE filter');
  const fmt = output(flags.output, ['table', 'json']);
  const r = await ctx.client.image<ListImagesResponse>('ListImages', { filter: args[0] ? { image: { image: args[0] } } : undefined });
  const list = r.images;
  if (flags.quiet) {
    for (const i of list) ctx.out.write(`${i.id}\n`);
    return;
  }
  if (fmt === 'json') {
    ctx.out.write(json(jsonOf('ListImagesResponse', { images: list })));
    return;
  }
  const id = (s: string) => (flags['no-trunc'] ? s : truncId(s));
  const rows: string[][] = [];
  for (const img of list) {
    const digest = img.repoDigests[0]?.split('@')[1] ?? '';
    const names = img.repoTags.length ? img.repoTags : img.repoDigests.length ? [img.repoDigests[0].split('@')[0]] : ['<none>'];
    for (const n of names) {
      const [repo, tag] = img.repoTags.length ? splitTag(n) : [n, '<none>'];
      rows.push(flags.digests ? [repo, tag, truncId(digest), id(img.id), humanSize(img.size)] : [repo, tag, id(img.id), humanSize(img.size)]);
    }
  }
  ctx.out.write(table(flags.digests ? ['IMAGE', 'TAG', 'DIGEST', 'IMAGE ID', 'SIZE'] : ['IMAGE', 'TAG', 'IMAGE ID', 'SIZE'], rows));
}

async function status(ctx: Ctx, ref: string, verbose: boolean): Promise<ImageStatusResponse & { image: Image }> {
  const r = await ctx.client.image<ImageStatusResponse>('ImageStatus', { image: { image: ref }, verbose });
  if (!r.image) throw new UsageError(`no such image ${ref} present`);
  return r as ImageStatusResponse & { image: Image };
}

export async function rmi(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [
    { name: 'all', aliases: ['a'], kind: 'bool' },
    { name: 'prune', aliases: ['q'], kind: 'bool' },
  ]);
  let refs = args;
  if (flags.all) refs = (await ctx.client.image<ListImagesResponse>('ListImages', {})).images.map((i) => i.id);
  if (!refs.length && !flags.all) throw new UsageError('rmi: want IMAGE-ID [IMAGE-ID...] or --all');
  for (const ref of refs) {
    const { image } = await status(ctx, ref, false);
    await ctx.client.image('RemoveImage', { image: { image: image.id } });
    for (const n of image.repoTags.length ? image.repoTags : [image.id]) ctx.out.write(`Deleted: ${n}\n`);
  }
}

export async function inspecti(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [{ name: 'output', aliases: ['o'], kind: 'string' }]);
  output(flags.output, ['json']);
  if (!args.length) throw new UsageError('inspecti: want IMAGE [IMAGE...]');
  for (const ref of args) {
    const r = await status(ctx, ref, true);
    ctx.out.write(json({ status: jsonOf('Image', r.image), ...parsedInfo(r.info) }));
  }
}

export async function imagefsinfo(ctx: Ctx, argv: string[]): Promise<void> {
  const { flags, args } = parseFlags(argv, [{ name: 'output', aliases: ['o'], kind: 'string' }]);
  output(flags.output, ['json']);
  if (args.length) throw new UsageError(`imagefsinfo: unexpected argument ${args[0]}`);
  const r = await ctx.client.image<ImageFsInfoResponse>('ImageFsInfo', {});
  ctx.out.write(json({ status: jsonOf('ImageFsInfoResponse', r) }));
}
