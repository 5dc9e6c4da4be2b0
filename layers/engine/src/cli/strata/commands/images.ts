// Image commands: images, pull, push, rmi, tag, save, load.
import fs from 'node:fs';
import { registryAuthHeader } from '../auth';
import type { Command } from '../command';
import { FILTER_FLAG, FORMAT_FLAG, QUIET_FLAG, filtersJson, shortId } from '../command';
import { CliError } from '../errors';
import { bool, list, str } from '../flags';
import { printList } from '../format/list';
import { displayStream } from '../format/progress';
import { goTime, humanSize, timeAgo } from '../format/units';
import { parseImageRef } from '../reference';
import { jsonMessages } from '../stream';
import { pullImage } from './pullImage';

const imagePath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

/** One row per tag (an untagged image is one "<none>" row), as `docker images` lists them. */
export function imageRows(images: any[], o: { trunc: boolean; digests?: boolean; now?: number }) {
  const rows: any[] = [];
  for (const im of [...images].sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0))) {
    const tags: string[] = im.RepoTags?.length ? im.RepoTags : ['<none>:<none>'];
    for (const t of tags) {
      const i = t.lastIndexOf(':');
      const repo = t.slice(0, i);
      // docker shows a digest only with --digests (cli/command/formatter/image.go)
      const digest = (o.digests && (im.RepoDigests ?? []).find((d: string) => d.startsWith(`${repo}@`))?.split('@')[1]) || '<none>';
      rows.push({
        Containers: im.Containers === -1 || im.Containers === undefined ? 'N/A' : String(im.Containers),
        CreatedAt: goTime(im.Created),
        CreatedSince: timeAgo(im.Created, o.now),
        Digest: digest,
        ID: o.trunc ? shortId(im.Id) : im.Id,
        Repository: repo,
        SharedSize: im.SharedSize === -1 || im.SharedSize === undefined ? 'N/A' : humanSize(im.SharedSize),
        Size: humanSize(im.Size ?? 0),
        Tag: t.slice(i + 1),
        UniqueSize: 'N/A',
        VirtualSize: humanSize(im.VirtualSize ?? im.Size ?? 0, 4),
      });
    }
  }
  return rows;
}

export const images: Command = {
  name: 'images',
  aliases: ['image ls', 'image list'],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  desc: 'List images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', desc: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', desc: 'Show digests' },
    FILTER_FLAG,
    FORMAT_FLAG,
    { name: 'no-trunc', kind: 'bool', desc: "Don't truncate output" },
    QUIET_FLAG('image IDs'),
  ],
  args: { max: 1 },
  async run(ctx, f, args) {
    const filters = list(f, 'filter');
    if (args[0]) filters.push(`reference=${args[0]}`);
    const list_ = await ctx.client.json<any[]>('GET', '/images/json', { query: { all: bool(f, 'all') ? 1 : undefined, filters: filtersJson(filters) } });
    const rows = imageRows(list_, { trunc: !bool(f, 'no-trunc'), digests: bool(f, 'digests') });
    if (bool(f, 'quiet') && !str(f, 'format')) {
      const seen = new Set<string>();
      for (const r of rows) if (!seen.has(r.ID)) ctx.out(`${seen.add(r.ID) && r.ID}\n`);
      return;
    }
    const tmpl = bool(f, 'digests') ? '{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}' : '{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    printList(ctx, {
      format: str(f, 'format'),
      defaultTable: tmpl,
      headers: { Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE' },
      items: rows,
    });
  },
};

export const pull: Command = {
  name: 'pull',
  aliases: ['image pull'],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  desc: 'Download an image from a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', desc: 'Download all tagged images in the repository' },
    { name: 'platform', kind: 'string', desc: 'Set platform if server is multi-platform capable', valueName: 'string' },
    { name: 'quiet', short: 'q', kind: 'bool', desc: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f, [ref]) {
    let r;
    try {
      r = parseImageRef(ref);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (!r.tag && !r.digest && !bool(f, 'all-tags') && !bool(f, 'quiet')) ctx.out('Using default tag: latest\n');
    const canonical = await pullImage(ctx, ref, { quiet: bool(f, 'quiet'), out: ctx.stdout, platform: str(f, 'platform') });
    ctx.out(`${canonical}\n`);
  },
};

export const push: Command = {
  name: 'push',
  aliases: ['image push'],
  usage: '[OPTIONS] NAME[:TAG]',
  desc: 'Upload an image to a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', desc: 'Push all tags of an image to the repository' },
    { name: 'quiet', short: 'q', kind: 'bool', desc: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f, [ref]) {
    let r;
    try {
      r = parseImageRef(ref);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const name = `${r.domain === 'docker.io' ? '' : `${r.domain}/`}${r.domain === 'docker.io' ? r.path.replace(/^library\//, '') : r.path}`;
    if (!r.tag && !bool(f, 'all-tags') && !bool(f, 'quiet')) ctx.out('Using default tag: latest\n');
    const res = await ctx.client.request('POST', `/images/${imagePath(name)}/push`, {
      query: { tag: bool(f, 'all-tags') ? undefined : (r.tag ?? 'latest') },
      headers: { 'X-Registry-Auth': registryAuthHeader(r.domain) },
    });
    const sink = bool(f, 'quiet') ? ({ write: () => true } as unknown as NodeJS.WritableStream) : ctx.stdout;
    await displayStream(jsonMessages(res), sink, !bool(f, 'quiet') && !!ctx.stdout.isTTY);
    if (bool(f, 'quiet')) ctx.out(`${ref}\n`);
  },
};

export const rmi: Command = {
  name: 'rmi',
  aliases: ['image rm', 'image remove'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  desc: 'Remove one or more images',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', desc: 'Force removal of the image' },
    { name: 'no-prune', kind: 'bool', desc: 'Do not delete untagged parents' },
  ],
  args: { min: 1 },
  async run(ctx, f, args) {
    let failed = false;
    for (const name of args) {
      try {
        const r = await ctx.client.json<{ Untagged?: string; Deleted?: string }[]>('DELETE', `/images/${imagePath(name)}`, { query: { force: bool(f, 'force') ? 1 : undefined, noprune: bool(f, 'no-prune') ? 1 : undefined } });
        for (const d of r ?? []) {
          if (d.Untagged) ctx.out(`Untagged: ${d.Untagged}\n`);
          if (d.Deleted) ctx.out(`Deleted: ${d.Deleted}\n`);
        }
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        ctx.err(`${e.message}\n`);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};

export const tag: Command = {
  name: 'tag',
  aliases: ['image tag'],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  desc: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, _f, [src, target]) {
    let r;
    try {
      r = parseImageRef(target);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    if (r.digest) throw new CliError('refusing to create a tag with a digest reference');
    const repo = r.domain === 'docker.io' ? r.path.replace(/^library\//, '') : `${r.domain}/${r.path}`;
    (await ctx.client.request('POST', `/images/${imagePath(src)}/tag`, { query: { repo, tag: r.tag ?? 'latest' } })).resume();
  },
};

export const save: Command = {
  name: 'save',
  aliases: ['image save'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  desc: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [{ name: 'output', short: 'o', kind: 'string', desc: 'Write to a file, instead of STDOUT', valueName: 'string' }],
  args: { min: 1 },
  async run(ctx, f, args) {
    const out = str(f, 'output');
    if (!out && ctx.stdout.isTTY) throw new CliError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const q = new URLSearchParams();
    for (const a of args) q.append('names', a);
    const res = await ctx.client.request('GET', `/images/get?${q}`);
    if (!out) {
      for await (const c of res) ctx.stdout.write(c as Buffer);
      return;
    }
    const tmp = `${out}.strata-tmp-${process.pid}`;
    const w = fs.createWriteStream(tmp, { mode: 0o644 });
    try {
      for await (const c of res) if (!w.write(c)) await new Promise<void>((r) => w.once('drain', () => r()));
      await new Promise<void>((resolve, reject) => w.end((e?: Error | null) => (e ? reject(e) : resolve())));
      fs.renameSync(tmp, out);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
  },
};

export const load: Command = {
  name: 'load',
  aliases: ['image load'],
  usage: '[OPTIONS]',
  desc: 'Load an image from a tar archive or STDIN',
  flags: [
    { name: 'input', short: 'i', kind: 'string', desc: 'Read from tar archive file, instead of STDIN', valueName: 'string' },
    { name: 'quiet', short: 'q', kind: 'bool', desc: 'Suppress the load output' },
  ],
  args: { max: 0 },
  async run(ctx, f) {
    const input = str(f, 'input');
    if (!input && ctx.stdin.isTTY) throw new CliError('requested load from stdin, but stdin is empty');
    let body: NodeJS.ReadableStream;
    if (input) {
      if (!fs.existsSync(input)) throw new CliError(`open ${input}: no such file or directory`);
      body = fs.createReadStream(input);
    } else body = ctx.stdin;
    const quiet = bool(f, 'quiet') || !ctx.stdout.isTTY;
    const res = await ctx.client.request('POST', '/images/load', { query: { quiet: quiet ? 1 : 0 }, body, headers: { 'Content-Type': 'application/x-tar' } });
    if (!String(res.headers['content-type'] ?? '').includes('json')) {
      for await (const c of res) ctx.stdout.write(c as Buffer);
      return;
    }
    await displayStream(jsonMessages(res), ctx.stdout, !!ctx.stdout.isTTY);
  },
};
