// docker cp, both directions, through GET/HEAD/PUT /containers/{id}/archive?path= (tar bodies).
// The copy rules are docker's (cli/command/container/cp.go, pkg/archive copy.go):
// - container -> host: a destination that is an existing directory receives the source inside it;
//   otherwise the source is written under the destination's name. `-` writes the tar to stdout.
// - host -> container: the daemon stats the destination (X-Docker-Container-Path-Stat); an
//   existing directory receives the source inside it, a new path renames the source. `-` reads a
//   tar from stdin and extracts it into the destination directory.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command';
import { readAll } from '../client';
import { CliError, isNotFound } from '../errors';
import { TarWriter, extractTar, readTar } from '../tar';
import { enc } from './each';

/** "c1:/etc/hosts" -> container side; anything with a "/" before ":" or starting with "." or "/" is local. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i <= 0 || arg.slice(0, i).includes('/')) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export const cp: Command = {
  name: 'cp',
  aliases: ['container cp'],
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tstrata cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  desc: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', desc: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', desc: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', desc: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  args: { min: 2, max: 2 },
  async run(ctx, _f, [a, b]) {
    const src = splitCpArg(a);
    const dst = splitCpArg(b);
    if (src.container && dst.container) throw new CliError('copying between containers is not supported');
    if (!src.container && !dst.container) throw new CliError('must specify at least one container source');
    if (src.container) {
      if (!src.path) throw new CliError('error: path cannot be empty');
      const res = await ctx.client.request('GET', `/containers/${enc(src.container)}/archive`, { query: { path: src.path } });
      if (dst.path === '-') {
        for await (const c of res) ctx.stdout.write(c as Buffer);
        return;
      }
      const entries = readTar(await readAll(res));
      if (!entries.length) return;
      const top = entries[0].name.split('/')[0];
      const dest = path.resolve(dst.path);
      const destIsDir = fs.existsSync(dest) && fs.statSync(dest).isDirectory();
      if (!destIsDir && dst.path.endsWith('/')) throw new CliError(`destination directory "${dst.path}" must exist`);
      if (!destIsDir && !fs.existsSync(path.dirname(dest))) throw new CliError(`lstat ${path.dirname(dest)}: no such file or directory`);
      if (destIsDir) extractTar(entries, dest);
      else extractTar(entries, path.dirname(dest), (n) => path.basename(dest) + n.slice(top.length));
      return;
    }
    // host -> container
    const container = dst.container!;
    let body: Buffer;
    let target = dst.path;
    if (src.path === '-') {
      body = await readAll(ctx.stdin);
    } else {
      const local = path.resolve(src.path);
      if (!fs.existsSync(local)) throw new CliError(`lstat ${local}: no such file or directory`);
      let destStat: any;
      try {
        const r = await ctx.client.request('HEAD', `/containers/${enc(container)}/archive`, { query: { path: dst.path } });
        r.resume();
        const h = r.headers['x-docker-container-path-stat'];
        destStat = h ? JSON.parse(Buffer.from(String(h), 'base64').toString()) : undefined;
      } catch (e) {
        if (!isNotFound(e) || /No such container/i.test((e as Error).message)) throw e;
      }
      const destIsDir = destStat ? (destStat.mode & 0x80000000) !== 0 || (destStat.mode & 0o170000) === 0o040000 : false;
      const w = new TarWriter();
      if (destIsDir) w.addPath(local, path.basename(local));
      else {
        if (dst.path.endsWith('/')) throw new CliError(`Error response from daemon: Could not find the file ${dst.path} in container ${container}`);
        w.addPath(local, path.posix.basename(dst.path));
        target = path.posix.dirname(dst.path) || '/';
      }
      body = w.finish();
    }
    (await ctx.client.request('PUT', `/containers/${enc(container)}/archive`, { query: { path: target, noOverwriteDirNonDir: 'true' }, body, headers: { 'Content-Type': 'application/x-tar' } })).resume();
  },
};
