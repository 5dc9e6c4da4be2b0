// POST /images/create?fromImage=&tag= with the registry credentials, showing docker's progress.
// Shared by `pull` and by `run`/`create` when the image is missing ("Unable to find image").
import { registryAuthHeader } from '../auth';
import type { Ctx } from '../command';
import { CliError } from '../errors';
import { displayStream } from '../format/progress';
import { canonicalRef, parseImageRef, splitForPull } from '../reference';
import { jsonMessages } from '../stream';

export async function pullImage(ctx: Ctx, ref: string, o: { quiet?: boolean; out: NodeJS.WriteStream; platform?: string }): Promise<string> {
  let parsed;
  try {
    parsed = parseImageRef(ref);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { fromImage, tag } = splitForPull(ref);
  const res = await ctx.client.request('POST', '/images/create', {
    query: { fromImage, tag, platform: o.platform },
    headers: { 'X-Registry-Auth': registryAuthHeader(parsed.domain) },
  });
  if (o.quiet) {
    // Still read the stream to the end: errors come as messages inside it.
    await displayStream(jsonMessages(res), { write: () => true } as unknown as NodeJS.WritableStream, false);
  } else await displayStream(jsonMessages(res), o.out, !!o.out.isTTY);
  return canonicalRef(ref);
}

/** How docker names the image in "Unable to find image 'busybox:latest' locally". */
export function localName(ref: string): string {
  try {
    const r = parseImageRef(ref);
    if (r.digest || r.tag) return ref;
    return `${ref}:latest`;
  } catch {
    return ref;
  }
}
