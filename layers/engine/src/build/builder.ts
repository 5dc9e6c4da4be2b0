// The builder: `docker build` as dockerd's classic builder does it, over the manager API.
//
//   context tar -> temp dir -> Dockerfile parsed -> for each instruction of the target stage:
//     FROM                  the base image, unpacked into snapshots (its ID is the start)
//     RUN / COPY / ADD /    a snapshot is prepared on the layers so far, changed (a container
//     WORKDIR               runs, or files are written into it), diffed against its parent
//                           into a new layer blob, and committed under the new chain ID
//     everything else       changes only the image config (an "empty_layer" history entry)
//   every step ends in an image (config blob) whose ID the output prints, and which the cache
//   remembers; the last one is the result, named by each -t tag.
//
// Everything a build creates is held by a lease until it is referenced; the containers,
// active snapshots, mounts and temp dirs of a step are removed whether the build succeeds
// or fails.
import fs from 'node:fs';
import path from 'node:path';
import { ManagerClient, familiarName, normalizeReference, parseReference, type Descriptor } from '@strata/manager';
import { BuildCache } from './cache';
import { applyDockerignore, extractContext, readDockerfile } from './context';
import { DockerfileError } from './dockerfile/lines';
import { parseDockerfile, targetStage, type Instruction } from './dockerfile/parse';
import { Dispatcher } from './dispatch';

export interface BuildOptions {
  /** Path of the Dockerfile inside the context (default "Dockerfile"). */
  dockerfile?: string;
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  noCache?: boolean;
  /** --pull: pull every FROM image (through BuilderOptions.pull) even when it is present. */
  pull?: boolean;
  target?: string;
  platform?: string;
  runtime?: string;
  /** "host" runs RUN in the host's network namespace; anything else: a private one (loopback only). */
  networkMode?: string;
  /** Abort to cancel the build (the client disconnected): a running RUN is killed, everything cleaned up. */
  signal?: AbortSignal;
}

export interface BuildEvents {
  stream(text: string): void;
  aux(obj: { ID: string }): void;
  error(message: string): void;
}

export interface BuilderOptions {
  /** A client of namespace "moby" (the builder opens its own connection to the same address and namespace). */
  client: ManagerClient;
  /** Where contexts, mounts and the cache index go (e.g. <data-root>/builder). */
  workDir: string;
  snapshotter?: string;
  /** Default runtime for RUN containers (io.containerd.strata.v2). */
  runtime?: string;
  /** Pull a missing base image (normalised name), e.g. through the engine's pull. */
  pull?: (ref: string) => Promise<void>;
  /**
   * Name the built image (the engine's ImageService.setName): what the tag named before becomes
   * a dangling <none> image, as with docker. Without it the builder writes the name itself.
   */
  setName?: (name: string, target: Descriptor) => Promise<void>;
}

export interface BuildResult {
  /** sha256:<config digest> */
  imageId: string;
  /** The manifest the tags point at. */
  manifest: Descriptor;
}

/** An error of a build: `status` for the HTTP answer; `reported` once it went out as an error event. */
export class BuildError extends Error {
  reported = false;
  constructor(
    message: string,
    readonly status = 500,
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

export class Builder {
  readonly cache: BuildCache;
  readonly snapshotter: string;

  constructor(readonly o: BuilderOptions) {
    this.snapshotter = o.snapshotter ?? 'overlayfs';
    fs.mkdirSync(o.workDir, { recursive: true, mode: 0o700 });
    this.cache = new BuildCache(o.workDir);
  }

  /**
   * Build an image from a context tar. Output goes to `ev` as the classic builder's JSON
   * stream would carry it. On failure the error is sent with ev.error once (the rejection's
   * BuildError has reported = true) and the promise rejects.
   */
  async build(context: NodeJS.ReadableStream, opts: BuildOptions, ev: BuildEvents): Promise<BuildResult> {
    try {
      return await this.run(context, opts, ev);
    } catch (e) {
      const err = e instanceof BuildError ? e : new BuildError((e as Error).message, (e as { status?: number }).status ?? 500);
      if (!(e instanceof BuildError)) err.cause = e;
      err.reported = true;
      ev.error(err.message);
      throw err;
    }
  }

  /** Drop the build cache (docker builder prune): returns how many cached steps were forgotten. */
  prune(): Promise<number> {
    return this.cache.prune(this.o.client);
  }

  private async run(context: NodeJS.ReadableStream, opts: BuildOptions, ev: BuildEvents): Promise<BuildResult> {
    // Tags are checked before anything is done, as docker does.
    const names = opts.tags.map((t) => {
      try {
        return { name: normalizeReference(t), familiar: familiarName(parseReference(t)) };
      } catch {
        throw new BuildError(`invalid reference format: ${JSON.stringify(t)} (tags look like name[:tag])`, 400);
      }
    });
    const dfName = opts.dockerfile || 'Dockerfile';
    const work = fs.mkdtempSync(path.join(this.o.workDir, 'build-'));
    // One connection per build: the lease header lives on the connection.
    const client = new ManagerClient(this.o.client.address, this.o.client.namespace);
    const cleanup = new Cleanup(client, this.snapshotter);
    try {
      const ctx = path.join(work, 'context');
      await extractContext(context, ctx);
      const text = readDockerfile(ctx, dfName);
      applyDockerignore(ctx, [dfName]);
      const df = parseDockerfile(text, path.posix.basename(dfName));
      const target = targetStage(df, opts.target);
      if (Object.keys(opts.labels ?? {}).length) {
        // docker adds --label as a LABEL instruction at the end of the Dockerfile
        const args = Object.entries(opts.labels).map(([k, v]) => `${JSON.stringify(k)}=${JSON.stringify(v)}`).join(' ');
        df.stages[target].instructions.push({ line: 0, cmd: 'LABEL', original: `LABEL ${args}`, args, flags: {} });
      }
      return await client.withLease(async () => {
        const d = new Dispatcher({
          client,
          snapshotter: this.snapshotter,
          runtime: opts.runtime || this.o.runtime || 'io.containerd.strata.v2',
          hostNetwork: opts.networkMode === 'host',
          platform: opts.platform,
          pull: this.o.pull,
          setName: this.o.setName,
          alwaysPull: !!opts.pull,
          contextDir: ctx,
          mountDir: path.join(work, 'mnt'),
          escape: df.escape,
          buildArgs: opts.buildArgs ?? {},
          cache: opts.noCache ? undefined : this.cache,
          recordCache: this.cache,
          cleanup,
          out: (t) => ev.stream(t),
          signal: opts.signal,
        });
        const steps: Instruction[] = [...df.globalArgs];
        for (let i = 0; i <= target; i++) steps.push(df.stages[i].from, ...df.stages[i].instructions);
        let n = 0;
        for (const ins of df.globalArgs) {
          ev.stream(`Step ${++n}/${steps.length} : ${ins.original}\n`);
          d.globalArg(ins);
        }
        for (let i = 0; i <= target; i++) {
          const stage = df.stages[i];
          d.checkCanceled();
          ev.stream(`Step ${++n}/${steps.length} : ${stage.from.original}\n`);
          await d.from(stage.from);
          for (const ins of stage.instructions) {
            ev.stream(`Step ${++n}/${steps.length} : ${ins.original}\n`);
            await d.step(ins);
          }
          d.endStage(stage.name);
        }
        const unused = d.unusedBuildArgs();
        if (unused.length) ev.stream(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
        const result = await d.finish(names.map((x) => x.name));
        ev.aux({ ID: result.imageId });
        ev.stream(`Successfully built ${short(result.imageId)}\n`);
        for (const x of names) ev.stream(`Successfully tagged ${x.familiar}\n`);
        return result;
      });
    } catch (e) {
      if (e instanceof DockerfileError) throw new BuildError(e.message, 400);
      throw e;
    } finally {
      await cleanup.run();
      client.close();
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
}

/** What a build must remove if it stops half-way: active snapshots, views. Containers clean up in run.ts. */
export class Cleanup {
  private readonly snapshots = new Set<string>();

  constructor(
    private readonly client: ManagerClient,
    private readonly snapshotter: string,
  ) {}

  track(key: string): void {
    this.snapshots.add(key);
  }

  /** The snapshot was committed (its active key is gone) or removed already. */
  done(key: string): void {
    this.snapshots.delete(key);
  }

  async remove(key: string): Promise<void> {
    await this.client.snapshots(this.snapshotter).remove(key).catch(() => {});
    this.snapshots.delete(key);
  }

  async run(): Promise<void> {
    for (const k of [...this.snapshots]) await this.remove(k);
  }
}
