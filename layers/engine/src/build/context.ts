// The build context: the tar stream POST /build receives (the docker CLI sends the context
// directory as a tar, gzip-compressed or not), extracted into a private temp dir.
//
// The tar is untrusted. It is unpacked with the manager's layer extractor (archive/apply.ts),
// which refuses absolute names, names climbing out with "..", and any entry whose parent is a
// symlink — so a context cannot write outside its directory. Symlinks *inside* the context are
// kept as symlinks; COPY resolves them within the context only (copy.ts).
//
// .dockerignore: the docker CLI applies it itself and never sends ignored files (except that it
// always sends the Dockerfile and .dockerignore). dockerd only uses it to drop those two when
// they are listed. The builder applies the whole file again: a no-op for the docker CLI's
// contexts, and it makes the strata CLI — or curl with a plain tar — behave the same.
import fs from 'node:fs';
import path from 'node:path';
import { archive } from '@strata/manager';
import { DockerfileError } from './dockerfile/lines';
import { resolveInRoot } from './rootfs';
import { isExcluded, parseDockerignore } from './dockerignore';

export class ContextError extends Error {
  readonly status = 400;
}

export async function extractContext(stream: NodeJS.ReadableStream, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    await archive.applyLayer(dir, stream as AsyncIterable<Buffer>, { whiteouts: 'delete', name: 'build context' });
  } catch (e) {
    throw new ContextError(`invalid build context: ${(e as Error).message}`);
  }
}

/** The Dockerfile's text: a path inside the context (symlinks resolved within it). */
export function readDockerfile(dir: string, name = 'Dockerfile'): string {
  const p = resolveInRoot(dir, name);
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) throw new Error('not a file');
    return fs.readFileSync(p, 'utf8');
  } catch {
    // docker CLI's wording when the file is missing from the context
    throw new DockerfileError(`Cannot locate specified Dockerfile: ${name}`);
  }
}

/** Delete what .dockerignore excludes (keeping `keep`, the Dockerfile being used). Returns how many paths went. */
export function applyDockerignore(dir: string, keep: string[] = []): number {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, '.dockerignore'), 'utf8');
  } catch {
    return 0;
  }
  const patterns = parseDockerignore(text);
  if (!patterns.length) return 0;
  const hasExceptions = patterns.some((p) => p.negate);
  const keepSet = new Set(keep.map((k) => path.posix.normalize(k).replace(/^\/+/, '')));
  let removed = 0;
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      const ignored = isExcluded(r, patterns) && !keepSet.has(r);
      if (st.isDirectory() && (!ignored || hasExceptions || [...keepSet].some((k) => k.startsWith(`${r}/`)))) {
        // "!pattern" may bring back something below an ignored directory: look inside
        walk(r);
        if (ignored && fs.readdirSync(abs).length === 0) {
          fs.rmdirSync(abs);
          removed++;
        }
      } else if (ignored) {
        fs.rmSync(abs, { recursive: true, force: true });
        removed++;
      }
    }
  };
  walk('');
  return removed;
}
