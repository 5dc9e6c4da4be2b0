// The /images endpoints of the Docker Engine API (docker pull/images/inspect/history/tag/rmi/
// save/load/push/prune). Streaming answers (pull, push, load) are JSON lines; an error before the
// first line is a normal HTTP error, one after it an {"errorDetail"} line, as dockerd does.
import type { Writable } from 'node:stream';
import { familiarName, parseReference } from '@strata/manager';
import type { ApiRequest, ApiResponse, Route } from '../api/types';
import { EngineError, invalidParam } from '../errors';
import { boolFilter, checkFilterKeys, matchLabels, parseFiltersParam } from '../events/filters';
import { loadImages, saveImages, saveNames } from './archive';
import type { DockerImage } from './catalog';
import { importRootfs } from './importRootfs';
import { imageHistory, imageInspect, imageSummary } from './json';
import { isDangling } from './names';
import { errorMessage, type JsonMessage } from './progress';
import { pullReference } from './pull';
import { pushImage } from './push';
import { decodeRegistryAuth } from './registry';
import type { ImageService } from './service';

const isTrue = (v: string | null): boolean => v === '1' || v === 'true' || v === 'True';

/** A JSON-lines response opened at the first message. */
function lazyStream(res: ApiResponse) {
  let out: Writable | undefined;
  return {
    send(m: JsonMessage) {
      out ??= res.stream(200, 'application/json');
      out.write(`${JSON.stringify(m)}\n`);
    },
    get started() {
      return out !== undefined;
    },
    end() {
      out ??= res.stream(200, 'application/json');
      out.end();
    },
  };
}

/** Run a streamed operation: errors after the first line are sent as docker's error line. */
async function streamed(res: ApiResponse, fn: (send: (m: JsonMessage) => void) => Promise<void>): Promise<void> {
  const s = lazyStream(res);
  try {
    await fn((m) => s.send(m));
  } catch (e) {
    if (!s.started) throw e;
    s.send(errorMessage((e as Error).message));
  }
  s.end();
}

export function imageRoutes(svc: ImageService): Route[] {
  const list = async (req: ApiRequest, res: ApiResponse) => {
    const filters = parseFiltersParam(req.query.get('filters'));
    checkFilterKeys(filters, ['reference', 'dangling', 'label', 'before', 'since', 'until']);
    const dangling = boolFilter(filters, 'dangling');
    const all = [...(await svc.catalog.images()).values()];
    const created = (g: DockerImage) => Date.parse(g.config.created ?? '') || 0;
    const before = filters.before?.length ? created(await svc.lookup(filters.before[0])) : undefined;
    const since = filters.since?.length ? created(await svc.lookup(filters.since[0])) : undefined;
    const refMatchers = (filters.reference ?? []).map(globToRegExp);
    const out = all
      .filter((g) => {
        const nameless = g.records.every((r) => isDangling(r.name));
        if (dangling !== undefined && dangling !== nameless) return false;
        // docker images (without -a) shows dangling images too; -a adds intermediate ones, which this store has none of
        if (!matchLabels(g.config.config?.Labels ?? undefined, filters.label)) return false;
        if (before !== undefined && !(created(g) < before)) return false;
        if (since !== undefined && !(created(g) > since)) return false;
        if (refMatchers.length && !g.repoTags.some((t) => refMatchers.some((re) => re.test(t) || re.test(t.replace(/:[^:/]+$/, ''))))) return false;
        return true;
      })
      .sort((a, b) => created(b) - created(a));
    res.json(200, out.map((g) => imageSummary(g, svc.o.isInUse?.(g.id) ? 1 : -1)));
  };

  return [
    { method: 'GET', pattern: '/images/json', handler: list },
    {
      method: 'POST',
      pattern: '/images/create',
      handler: async (req, res) => {
        const fromImage = req.query.get('fromImage');
        const fromSrc = req.query.get('fromSrc');
        if (fromSrc !== null) {
          if (fromSrc !== '-') throw new EngineError('notImplemented', `import from ${JSON.stringify(fromSrc)}: strata-engine imports only from the request body (fromSrc=-), not from URLs`);
          const id = await importRootfs(svc, req.raw, {
            repo: req.query.get('repo') || undefined,
            tag: req.query.get('tag') || undefined,
            message: req.query.get('message') || undefined,
            changes: req.query.getAll('changes'),
            platform: req.query.get('platform') || undefined,
          });
          const out = res.stream(200, 'application/json');
          out.end(`${JSON.stringify({ status: id })}\n`);
          return;
        }
        if (!fromImage) throw invalidParam('fromImage or fromSrc is required');
        const ref = pullReference(fromImage, req.query.get('tag'));
        const auth = decodeRegistryAuth(headerOf(req, 'x-registry-auth'));
        const platform = req.query.get('platform') || undefined;
        await streamed(res, async (send) => {
          await svc.pull(ref, { auth, platform, onProgress: send });
        });
      },
    },
    {
      method: 'GET',
      pattern: '/images/search',
      handler: () => {
        throw new EngineError('notImplemented', 'image search is not supported by strata-engine: it talks to registries by the distribution API, which has no search (list a registry with GET /v2/_catalog instead)');
      },
    },
    {
      method: 'POST',
      pattern: '/images/prune',
      handler: async (req, res) => res.json(200, await svc.prune(parseFiltersParam(req.query.get('filters')))),
    },
    {
      method: 'GET',
      pattern: '/images/get',
      handler: async (req, res) => save(svc, req.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean), res),
    },
    {
      method: 'POST',
      pattern: '/images/load',
      handler: async (req, res) => {
        const quiet = isTrue(req.query.get('quiet'));
        const lines = await loadImages(svc, req.raw);
        const out = res.stream(200, 'application/json');
        for (const l of lines) out.write(`${JSON.stringify({ stream: `${l}\n` })}\n`);
        void quiet; // dockerd prints the same lines with or without quiet once the archive is read
        out.end();
      },
    },
    {
      method: 'GET',
      pattern: '/images/{name*}/json',
      handler: async (req, res) => res.json(200, imageInspect(await svc.lookup(req.params.name), svc.snapshotter)),
    },
    {
      method: 'GET',
      pattern: '/images/{name*}/history',
      handler: async (req, res) => res.json(200, imageHistory(await svc.lookup(req.params.name))),
    },
    {
      method: 'GET',
      pattern: '/images/{name*}/get',
      handler: async (req, res) => save(svc, [req.params.name], res),
    },
    {
      method: 'POST',
      pattern: '/images/{name*}/tag',
      handler: async (req, res) => {
        await svc.tag(req.params.name, req.query.get('repo') ?? '', req.query.get('tag') || undefined);
        res.empty(201);
      },
    },
    {
      method: 'POST',
      pattern: '/images/{name*}/push',
      handler: async (req, res) => {
        const auth = decodeRegistryAuth(headerOf(req, 'x-registry-auth'));
        const tag = req.query.get('tag') || undefined;
        // No tag (docker push -a / API without tag): every tag of the repository, as dockerd does.
        const tags = tag ? [tag] : await repositoryTags(svc, req.params.name);
        for (const t of tags) await svc.lookup(t ? `${req.params.name}:${t}` : req.params.name); // 404 before the stream starts
        await streamed(res, async (send) => {
          for (const t of tags) await pushImage(svc, req.params.name, t, { auth, onProgress: send });
        });
      },
    },
    {
      method: 'DELETE',
      pattern: '/images/{name*}',
      handler: async (req, res) => res.json(200, await svc.remove(req.params.name, { force: isTrue(req.query.get('force')), noprune: isTrue(req.query.get('noprune')) })),
    },
  ];
}

async function save(svc: ImageService, inputs: string[], res: ApiResponse): Promise<void> {
  const { names, ids } = await saveNames(svc, inputs);
  const out = res.stream(200, 'application/x-tar');
  try {
    await saveImages(svc, names, out);
  } catch (e) {
    // the tar is half sent: break the connection so the client sees a failure, not a short archive
    res.raw.destroy(e as Error);
    svc.log('error', 'image save failed', { names, err: (e as Error).message });
    return;
  }
  for (const id of ids) svc.events.emit('image', 'save', id, { name: id });
}

/** The tags of a repository ("busybox" -> ["latest", "1.36"]); [undefined] when the name has its own tag. */
async function repositoryTags(svc: ImageService, name: string): Promise<(string | undefined)[]> {
  let ref;
  try {
    ref = parseReference(name, { defaultTag: false });
  } catch (e) {
    throw invalidParam(`invalid reference format: ${(e as Error).message.replace(/^reference: /, '')}`);
  }
  if (ref.tag || ref.digest) return [undefined];
  const repo = `${ref.domain}/${ref.path}:`;
  const tags = (await svc.catalog.records()).filter((r) => r.name.startsWith(repo)).map((r) => r.name.slice(repo.length));
  if (tags.length === 0) throw new EngineError('notFound', `An image does not exist locally with the tag: ${familiarName(ref)}`);
  return tags.sort();
}

function headerOf(req: ApiRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** docker's reference filter: a glob (path.Match) on the familiar name, with or without the tag. */
function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}
