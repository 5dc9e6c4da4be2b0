// POST /build as the Docker Engine API defines it, on top of Builder: the query string becomes
// BuildOptions, the request body is the context tar, and the answer is the classic builder's
// stream of JSON messages (one per line, HTTP 200 from the start):
//   {"stream":"Step 1/2 : FROM busybox\n"}        progress text, printed as is by the CLI
//   {"aux":{"ID":"sha256:..."}}                   the image ID
//   with q=1, the progress text is left out and the last message is {"stream":"sha256:...\n"}:
//   `docker build -q` prints the stream text it got, which is then just the ID (as with dockerd)
//   {"errorDetail":{"message":"..."},"error":"..."}  the failure; the CLI prints it and exits 1
// The engine's router calls serveBuild for POST /v1.NN/build.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BuildOptions, Builder } from './builder';

export class BuildRequestError extends Error {
  readonly status = 400;
}

const truthy = (v: string | null) => v !== null && v !== '' && v !== '0' && v.toLowerCase() !== 'false';

function jsonMap(q: URLSearchParams, name: string): Record<string, string> {
  const raw = q.get(name);
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new BuildRequestError(`invalid ${name}: not a JSON object: ${raw}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new BuildRequestError(`invalid ${name}: a JSON object of strings is expected`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    // --build-arg NAME with NAME unset in the client's environment arrives as null: not given
    if (val === null) continue;
    if (typeof val !== 'string') throw new BuildRequestError(`invalid ${name}: value of ${k} must be a string`);
    out[k] = val;
  }
  return out;
}

/** The query of POST /build (docker API "ImageBuild") as BuildOptions, plus `quiet`. */
export function buildOptionsFromQuery(q: URLSearchParams): BuildOptions & { quiet: boolean } {
  if (q.get('remote')) throw new BuildRequestError('remote build contexts (git URLs, tarball URLs) are not supported by strata-engine: send the context as the request body');
  const version = q.get('version');
  if (version && version !== '1') throw new BuildRequestError(`builder version ${version} (BuildKit) is not supported by strata-engine: only the classic builder (version=1)`);
  return {
    dockerfile: q.get('dockerfile') || undefined,
    tags: q.getAll('t').filter(Boolean),
    buildArgs: jsonMap(q, 'buildargs'),
    labels: jsonMap(q, 'labels'),
    noCache: truthy(q.get('nocache')),
    pull: truthy(q.get('pull')),
    target: q.get('target') || undefined,
    platform: q.get('platform') || undefined,
    networkMode: q.get('networkmode') || undefined,
    quiet: truthy(q.get('q')),
  };
}

/** Answer one POST /build: parse, build, stream the messages. Never throws once it has answered. */
export async function serveBuild(builder: Builder, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
  let opts: ReturnType<typeof buildOptionsFromQuery>;
  try {
    opts = buildOptionsFromQuery(query);
  } catch (e) {
    res.writeHead(400, { 'Content-Type': 'application/json' });
    res.end(`${JSON.stringify({ message: (e as Error).message })}\n`);
    req.resume();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // Ctrl-C in `docker build` closes the connection: cancel the build (dockerd does the same)
  const cancel = new AbortController();
  let finished = false;
  res.on('close', () => {
    if (!finished) cancel.abort();
  });
  const send = (m: object) => {
    if (!res.destroyed) res.write(`${JSON.stringify(m)}\n`);
  };
  try {
    const { imageId } = await builder.build(req, { ...opts, signal: cancel.signal }, {
      stream: (text) => {
        if (!opts.quiet) send({ stream: text });
      },
      aux: (o) => send({ aux: o }),
      error: (message) => send({ errorDetail: { message }, error: message }),
    });
    if (opts.quiet) send({ stream: `${imageId}\n` });
  } catch {
    // already sent as an error message (BuildError.reported)
  } finally {
    finished = true;
    req.resume(); // drain whatever of the body the build did not read
    res.end();
  }
}
