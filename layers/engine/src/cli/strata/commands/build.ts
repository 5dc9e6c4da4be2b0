// docker build with the classic builder: the context directory goes to POST /build as a tar
// (minus what .dockerignore excludes; the Dockerfile and .dockerignore always go), the daemon
// answers with JSON messages ({"stream": "Step 1/3 : FROM busybox\n"}, {"aux": {"ID": ...}}).
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command';
import { CliError } from '../errors';
import { bool, list, str } from '../flags';
import { isExcluded, mayContainExceptions, parseDockerignore } from '../../../build/dockerignore';
import { displayStream } from '../format/progress';
import { humanSize } from '../format/units';
import { jsonMessages } from '../stream';
import { TarWriter } from '../tar';

const kv = (values: string[], flag: string, env = process.env): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i === 0) throw new CliError(`invalid argument "${v}" for "--${flag}" flag`);
    if (i < 0) {
      // docker: --build-arg NAME takes the value from the environment (skipped when unset)
      if (flag === 'build-arg' && env[v] === undefined) continue;
      out[v] = flag === 'build-arg' ? env[v]! : '';
    } else out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
};

/** The context as a tar: everything under `dir` that .dockerignore keeps. */
export function contextTar(dir: string, dockerfile: string): Buffer {
  const ignoreFile = path.join(dir, '.dockerignore');
  const rules = fs.existsSync(ignoreFile) ? parseDockerignore(fs.readFileSync(ignoreFile, 'utf8')) : [];
  const always = new Set([dockerfile, '.dockerignore']);
  const w = new TarWriter();
  w.addPath(dir, '', (rel, isDir) => always.has(rel) || !isExcluded(rel, rules) || (isDir && mayContainExceptions(rel, rules)));
  return w.finish();
}

export const build: Command = {
  name: 'build',
  aliases: ['image build', 'builder build'],
  usage: '[OPTIONS] PATH | URL | -',
  desc: 'Build an image from a Dockerfile',
  flags: [
    { name: 'build-arg', kind: 'list', desc: 'Set build-time variables', valueName: 'list' },
    { name: 'file', short: 'f', kind: 'string', desc: "Name of the Dockerfile (Default is 'PATH/Dockerfile')", valueName: 'string' },
    { name: 'label', kind: 'list', desc: 'Set metadata for an image', valueName: 'list' },
    { name: 'network', kind: 'string', desc: 'Set the networking mode for the RUN instructions during build', def: 'default', valueName: 'string' },
    { name: 'no-cache', kind: 'bool', desc: 'Do not use cache when building the image' },
    { name: 'platform', kind: 'string', desc: 'Set platform if server is multi-platform capable', valueName: 'string' },
    { name: 'pull', kind: 'bool', desc: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', kind: 'bool', desc: 'Suppress the build output and print image ID on success' },
    { name: 'rm', kind: 'bool', desc: 'Remove intermediate containers after a successful build', def: 'true' },
    { name: 'force-rm', kind: 'bool', desc: 'Always remove intermediate containers' },
    { name: 'tag', short: 't', kind: 'list', desc: 'Name and optionally a tag in the "name:tag" format', valueName: 'list' },
    { name: 'target', kind: 'string', desc: 'Set the target build stage to build.', valueName: 'string' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, f, [ctxPath]) {
    let body: Buffer;
    let dockerfile = str(f, 'file') ?? 'Dockerfile';
    if (ctxPath === '-') {
      // A Dockerfile on stdin, no context (docker: "build -" with a plain Dockerfile).
      const text = fs.readFileSync(0);
      const w = new TarWriter();
      w.add('Dockerfile', { type: 'file', mode: 0o644, data: text });
      body = w.finish();
      dockerfile = 'Dockerfile';
    } else {
      if (/^(https?|git):\/\//.test(ctxPath)) throw new CliError(`unable to prepare context: remote contexts are not supported by strata (${ctxPath})`);
      const dir = path.resolve(ctxPath);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`unable to prepare context: path "${ctxPath}" not found`);
      // -f may name a file outside the context (docker then sends it along under a random name)
      const df = str(f, 'file') ? path.resolve(str(f, 'file')!) : path.join(dir, 'Dockerfile');
      if (!fs.existsSync(df)) throw new CliError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${df}: no such file or directory`);
      const rel = path.relative(dir, df);
      if (rel.startsWith('..')) {
        dockerfile = `.dockerfile.${process.pid.toString(16)}`;
        const w = new TarWriter();
        w.addPath(dir, '');
        w.add(dockerfile, { type: 'file', mode: 0o644, data: fs.readFileSync(df) });
        body = w.finish();
      } else {
        dockerfile = rel;
        body = contextTar(dir, rel);
      }
    }
    const quiet = bool(f, 'quiet');
    if (!quiet) ctx.out(`Sending build context to Docker daemon  ${humanSize(body.length, 4)}\n`);
    const res = await ctx.client.request('POST', '/build', {
      query: {
        dockerfile,
        t: list(f, 'tag'),
        buildargs: JSON.stringify(kv(list(f, 'build-arg'), 'build-arg')),
        labels: JSON.stringify(kv(list(f, 'label'), 'label')),
        nocache: bool(f, 'no-cache') ? 1 : undefined,
        pull: bool(f, 'pull') ? 1 : undefined,
        q: quiet ? 1 : undefined,
        rm: f.rm === false ? 0 : 1,
        forcerm: bool(f, 'force-rm') ? 1 : undefined,
        target: str(f, 'target'),
        platform: str(f, 'platform'),
        networkmode: str(f, 'network'),
        version: '1',
      },
      body,
      headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': Buffer.from('{}').toString('base64') },
    });
    // With -q the daemon's stream is just the image ID (docker prints what it buffered).
    let buffered = '';
    const sink = quiet ? ({ write: (s: string) => ((buffered += s), true) } as unknown as NodeJS.WritableStream) : ctx.stdout;
    const d = await displayStream(jsonMessages(res), sink, false);
    const id = d.aux.find((a) => a?.ID)?.ID;
    if (quiet) ctx.out(buffered.trim() ? buffered : id ? `${id}\n` : '');
  },
};

