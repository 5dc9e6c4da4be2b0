// One Dockerfile instruction at a time (the classic builder's dispatchers): expand its
// variables, then either change the image config (a metadata step) or change the filesystem
// (a layer step: snapshot -> change -> diff -> commit). Every step ends in a new image ID,
// or in the cached one.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ManagerError, MediaType, parseConfig, type Descriptor, type ImageConfig, type ManagerClient, type Mount } from '@strata/manager';
import { BuildCache } from './cache';
import type { Cleanup } from './builder';
import { CopyError, copyInto, resolveSources, sourcesChecksum } from './copy';
import { DockerfileError } from './dockerfile/lines';
import type { Instruction } from './dockerfile/parse';
import { SubstitutionError, expandWord, expandWords, rawWords } from './dockerfile/words';
import { DOCKER_LAYER, leaseExisting, resolveBase, scratchConfig, topChain, writeImage, writeStepConfig } from './image';
import { ScopeError, lookupUser, resolveInRoot, withMounted } from './rootfs';
import { runStep } from './run';
import { DEFAULT_SHELL, cloneDoc, runArgs, setEnv, stageLookup, type StageState } from './state';

export interface DispatchContext {
  client: ManagerClient;
  snapshotter: string;
  runtime: string;
  hostNetwork: boolean;
  platform?: string;
  pull?: (ref: string) => Promise<void>;
  /** Names the final image (see BuilderOptions.setName). */
  setName?: (name: string, target: Descriptor) => Promise<void>;
  /** --pull: pull FROM images even when present. */
  alwaysPull?: boolean;
  contextDir: string;
  mountDir: string;
  escape: string;
  buildArgs: Record<string, string>;
  /** Where cache hits are looked up (absent with --no-cache). */
  cache?: BuildCache;
  /** Where results are recorded (also with --no-cache: the next build may use them). */
  recordCache: BuildCache;
  cleanup: Cleanup;
  out: (text: string) => void;
  /** Aborted when the client went away (docker build interrupted): the build stops, RUN is killed. */
  signal?: AbortSignal;
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
/** Go's %q of a []string, as docker's history shows CMD and ENTRYPOINT: ["a" "b"]. */
const goList = (a: string[]) => `[${a.map((x) => JSON.stringify(x)).join(' ')}]`;
const EMPTY_TAR_DIFF_ID = `sha256:${crypto.createHash('sha256').update(Buffer.alloc(1024)).digest('hex')}`;
const NOP = '/bin/sh -c #(nop) ';

/** A failure of one instruction, named like docker's errors. */
const fail = (ins: Instruction, msg: string, status = 400) => Object.assign(new DockerfileError(ins.line ? `Dockerfile:${ins.line}: ${ins.cmd}: ${msg}` : `${ins.cmd}: ${msg}`, ins.line), { status });

export class Dispatcher {
  private readonly globalArgs = new Map<string, string | undefined>();
  private readonly usedArgs = new Set<string>();
  private readonly stages: { name?: string; st: StageState }[] = [];
  private st!: StageState;

  constructor(private readonly x: DispatchContext) {}

  // ---- ARG ----------------------------------------------------------------------------------

  /** name[=default]: the value is --build-arg's, else the default (expanded with lookup). */
  private parseArgs(ins: Instruction, lookup: (n: string) => string | undefined, inherit?: Map<string, string | undefined>): [string, string | undefined][] {
    const out: [string, string | undefined][] = [];
    for (const w of rawWords(ins.args, this.x.escape)) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw fail(ins, `invalid name ${JSON.stringify(name)} (a variable name: letters, digits, _)`);
      let value: string | undefined = eq < 0 ? inherit?.get(name) : this.expand(ins, w.slice(eq + 1), lookup);
      if (Object.hasOwn(this.x.buildArgs, name)) {
        value = this.x.buildArgs[name];
        this.usedArgs.add(name);
      }
      out.push([name, value]);
    }
    return out;
  }

  globalArg(ins: Instruction): void {
    for (const [k, v] of this.parseArgs(ins, (n) => this.globalArgs.get(n))) this.globalArgs.set(k, v);
  }

  unusedBuildArgs(): string[] {
    return Object.keys(this.x.buildArgs).filter((k) => !this.usedArgs.has(k)).sort();
  }

  private expand(ins: Instruction, text: string, lookup: (n: string) => string | undefined): string {
    try {
      return expandWord(text, lookup, this.x.escape);
    } catch (e) {
      if (e instanceof SubstitutionError) throw fail(ins, e.message);
      throw e;
    }
  }

  private expandAll(ins: Instruction, text: string): string[] {
    try {
      return expandWords(text, stageLookup(this.st), this.x.escape);
    } catch (e) {
      if (e instanceof SubstitutionError) throw fail(ins, e.message);
      throw e;
    }
  }

  checkCanceled(): void {
    if (this.x.signal?.aborted) throw Object.assign(new Error('build canceled: the client went away'), { status: 499 });
  }

  // ---- FROM ---------------------------------------------------------------------------------

  async from(ins: Instruction): Promise<void> {
    const ref = this.expand(ins, ins.args.split(/\s+/)[0], (n) => this.globalArgs.get(n));
    const platform = ins.flags.platform ? this.expand(ins, ins.flags.platform, (n) => this.globalArgs.get(n)) : this.x.platform;
    const prev = this.findStage(ref);
    if (prev) {
      // a new stage on an earlier one: its CMD counts as the base image's (ENTRYPOINT resets it)
      this.st = { ...prev, doc: cloneDoc(prev.doc), layers: [...prev.layers], args: new Map(), shell: [...prev.shell], cmdSet: false };
    } else if (ref.toLowerCase() === 'scratch') {
      this.st = { doc: scratchConfig(), layers: [], id: '', shell: DEFAULT_SHELL, args: new Map(), cmdSet: false };
    } else {
      if (!ref) throw fail(ins, 'base name should not be blank');
      const base = await resolveBase(this.x.client, ref, { snapshotter: this.x.snapshotter, platform, pull: this.x.pull, alwaysPull: this.x.alwaysPull });
      const doc = cloneDoc(base.config);
      doc.history ??= [];
      this.st = { doc, layers: [...base.layers], id: base.configDigest, shell: DEFAULT_SHELL, args: new Map(), cmdSet: false };
    }
    if (this.st.id) this.x.out(` ---> ${short(this.st.id)}\n`);
  }

  endStage(name?: string): void {
    this.stages.push({ name, st: this.st });
  }

  private findStage(ref: string): StageState | undefined {
    const byName = this.stages.find((s) => s.name && s.name === ref.toLowerCase());
    if (byName) return byName.st;
    if (/^\d+$/.test(ref) && Number(ref) < this.stages.length) return this.stages[Number(ref)].st;
    return undefined;
  }

  // ---- one instruction ----------------------------------------------------------------------

  async step(ins: Instruction): Promise<void> {
    this.checkCanceled();
    const st = this.st;
    const cfg = () => (st.doc.config ??= {});
    switch (ins.cmd) {
      case 'ARG': {
        const values = this.parseArgs(ins, stageLookup(st), this.globalArgs);
        for (const [k, v] of values) st.args.set(k, v);
        return this.meta(`ARG ${values.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(' ')}`, () => {});
      }
      case 'ENV': {
        const pairs = this.pairs(ins);
        return this.meta(`ENV ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, (doc) => {
          let env = doc.config!.Env ?? [];
          for (const [k, v] of pairs) env = setEnv(env, k, v);
          doc.config!.Env = env;
        });
      }
      case 'LABEL': {
        const pairs = this.pairs(ins);
        return this.meta(`LABEL ${pairs.map(([k, v]) => `${k}=${v}`).join(' ')}`, (doc) => {
          doc.config!.Labels = { ...(doc.config!.Labels ?? {}), ...Object.fromEntries(pairs) };
        });
      }
      case 'MAINTAINER': {
        const who = ins.args;
        return this.meta(`MAINTAINER ${who}`, (doc) => {
          doc.author = who;
        });
      }
      case 'CMD':
      case 'ENTRYPOINT': {
        const argv = ins.json ?? [...st.shell, ins.args];
        if (ins.cmd === 'CMD') st.cmdSet = true;
        const clearCmd = ins.cmd === 'ENTRYPOINT' && !st.cmdSet;
        return this.meta(`${ins.cmd} ${goList(argv)}`, (doc) => {
          if (ins.cmd === 'CMD') doc.config!.Cmd = argv;
          else {
            doc.config!.Entrypoint = argv;
            // Dockerfile reference: an ENTRYPOINT resets a CMD inherited from the base image
            if (clearCmd) doc.config!.Cmd = null;
          }
        });
      }
      case 'SHELL':
        st.shell = ins.json!;
        return this.meta(`SHELL ${goList(ins.json!)}`, () => {});
      case 'USER': {
        const user = this.expand(ins, ins.args, stageLookup(st));
        return this.meta(`USER ${user}`, (doc) => {
          doc.config!.User = user;
        });
      }
      case 'EXPOSE': {
        const ports: string[] = [];
        for (const w of this.expandAll(ins, ins.args)) {
          const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!m) throw fail(ins, `invalid containerPort: ${w}`);
          const lo = Number(m[1]);
          const hi = m[2] ? Number(m[2]) : lo;
          if (lo < 1 || hi > 65535 || hi < lo || hi - lo > 65535) throw fail(ins, `invalid port range: ${w}`);
          for (let p = lo; p <= hi; p++) ports.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
        }
        return this.meta(`EXPOSE ${ports.join(' ')}`, (doc) => {
          doc.config!.ExposedPorts = { ...(doc.config!.ExposedPorts ?? {}), ...Object.fromEntries(ports.map((p) => [p, {}])) };
        });
      }
      case 'STOPSIGNAL': {
        const sig = this.expand(ins, ins.args, stageLookup(st));
        if (!/^(SIG[A-Z0-9+-]+|\d+)$/.test(sig.toUpperCase())) throw fail(ins, `invalid signal: ${sig}`);
        return this.meta(`STOPSIGNAL ${sig}`, (doc) => {
          doc.config!.StopSignal = sig;
        });
      }
      case 'VOLUME': {
        const vols = ins.json ?? this.expandAll(ins, ins.args);
        if (vols.some((v) => v.trim() === '')) throw fail(ins, 'VOLUME specified can not be an empty string');
        return this.meta(`VOLUME ${goList(vols)}`, (doc) => {
          doc.config!.Volumes = { ...(doc.config!.Volumes ?? {}), ...Object.fromEntries(vols.map((v) => [v, {}])) };
        });
      }
      case 'WORKDIR': {
        const dir = path.posix.resolve(cfg().WorkingDir || '/', this.expand(ins, ins.args, stageLookup(st)));
        return this.layer(ins, `WORKDIR ${dir}`, { emptyIfUnchanged: true, mutate: (doc) => (doc.config!.WorkingDir = dir) }, async (_key, mounts) => {
          await withMounted(mounts, this.x.mountDir, async (root) => {
            // mkdir -p, each component resolved inside the rootfs
            let cur = '';
            for (const c of dir.split('/').filter(Boolean)) {
              cur = `${cur}/${c}`;
              const abs = resolveInRoot(root, cur);
              try {
                fs.mkdirSync(abs, { mode: 0o755 });
              } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
              }
            }
          });
        });
      }
      case 'RUN':
        return this.run(ins);
      case 'COPY':
      case 'ADD':
        return this.copy(ins);
      default:
        throw fail(ins, 'not supported');
    }
  }

  /** key=value pairs of ENV and LABEL (or the old "ENV key value" form); values use the variables before this step. */
  private pairs(ins: Instruction): [string, string][] {
    const lookup = stageLookup(this.st);
    const words = (() => {
      try {
        return rawWords(ins.args, this.x.escape);
      } catch (e) {
        throw fail(ins, (e as Error).message);
      }
    })();
    if (!words[0].includes('=')) {
      if (words.length < 2) throw fail(ins, `${ins.cmd} must have two arguments`);
      const rest = ins.args.slice(ins.args.indexOf(words[0]) + words[0].length).trim();
      return [[this.expand(ins, words[0], lookup), this.expand(ins, rest, lookup)]];
    }
    return words.map((w) => {
      const eq = w.indexOf('=');
      if (eq < 0) throw fail(ins, `${ins.cmd} names can not be blank; ${JSON.stringify(w)} has no "=" (use key=value)`);
      const k = this.expand(ins, w.slice(0, eq), lookup);
      if (!k) throw fail(ins, `${ins.cmd} names can not be blank`);
      return [k, this.expand(ins, w.slice(eq + 1), lookup)];
    });
  }

  // ---- RUN ------------------------------------------------------------------------------------

  private async run(ins: Instruction): Promise<void> {
    const st = this.st;
    const argv = ins.json ?? [...st.shell, ins.args];
    const args = runArgs(st);
    for (const a of args) this.usedArgs.add(a.slice(0, a.indexOf('=')));
    // the classic builder's history line: "|<n> K=V ... /bin/sh -c cmd" when build args are in scope
    const createdBy = `${args.length ? `|${args.length} ${args.join(' ')} ` : ''}${argv.join(' ')}`;
    await this.layer(ins, createdBy, { raw: true }, async (key, mounts) => {
      const c = st.doc.config ?? {};
      const user = c.User ? await withMounted(mounts, this.x.mountDir, async (root) => lookupUser(root, c.User!), { readonly: true }).catch((e) => {
        throw fail(ins, (e as Error).message);
      }) : undefined;
      let container = '';
      const code = await runStep({
        client: this.x.client,
        snapshotter: this.x.snapshotter,
        snapshotKey: key,
        runtime: this.x.runtime,
        args: argv,
        image: { Env: c.Env ?? [], WorkingDir: c.WorkingDir },
        env: args,
        user,
        hostNetwork: this.x.hostNetwork,
        output: this.x.out,
        signal: this.x.signal,
        onCreated: (id) => {
          container = id;
          this.x.out(` ---> Running in ${short(id)}\n`);
        },
      });
      this.checkCanceled();
      if (code !== 0) throw Object.assign(new DockerfileError(`The command '${argv.join(' ')}' returned a non-zero code: ${code}`, ins.line), { status: 500 });
      this.x.out(`Removing intermediate container ${short(container)}\n`);
    });
  }

  // ---- COPY / ADD ---------------------------------------------------------------------------

  private async copy(ins: Instruction): Promise<void> {
    const st = this.st;
    const words = ins.json ?? this.expandAll(ins, ins.args);
    if (words.length < 2) throw fail(ins, `${ins.cmd} requires at least two arguments`);
    const lookup = stageLookup(st);
    const srcs = ins.json ? words.slice(0, -1).map((w) => this.expand(ins, w, lookup)) : words.slice(0, -1);
    let dest = ins.json ? this.expand(ins, words.at(-1)!, lookup) : words.at(-1)!;
    const trailing = dest.endsWith('/') || dest === '.' || dest.endsWith('/.');
    dest = path.posix.resolve(st.doc.config?.WorkingDir || '/', dest) + (trailing && dest !== '/' ? '/' : '');
    const chown = ins.flags.chown ? this.expand(ins, ins.flags.chown, lookup) : undefined;
    let chmod: number | undefined;
    if (ins.flags.chmod) {
      if (!/^[0-7]{3,4}$/.test(ins.flags.chmod)) throw fail(ins, `invalid --chmod ${ins.flags.chmod}: an octal mode like 0755 is expected`);
      chmod = parseInt(ins.flags.chmod, 8);
    }
    // where the files come from: the context, or another stage / an image (COPY --from)
    const fromRef = ins.flags.from ? this.expand(ins, ins.flags.from, lookup) : undefined;
    const withSourceRoot = async <T>(f: (root: string) => Promise<T>): Promise<T> => {
      if (!fromRef) return f(this.x.contextDir);
      let chain: string;
      const stage = this.findStage(fromRef);
      if (stage) chain = topChain(stage.doc.rootfs.diff_ids);
      else {
        const base = await resolveBase(this.x.client, fromRef, { snapshotter: this.x.snapshotter, platform: this.x.platform, pull: this.x.pull });
        chain = base.chain;
      }
      if (!chain) {
        // a stage FROM scratch with no layers: an empty tree
        const empty = path.join(path.dirname(this.x.mountDir), 'empty');
        fs.mkdirSync(empty, { recursive: true, mode: 0o700 });
        return f(empty);
      }
      const view = `build-from-${crypto.randomBytes(6).toString('hex')}`;
      this.x.cleanup.track(view);
      try {
        await leaseExisting(this.x.client, `snapshots/${this.x.snapshotter}`, view);
        const mounts = await this.x.client.snapshots(this.x.snapshotter).view(view, chain);
        return await withMounted(mounts, this.x.mountDir, f, { readonly: true });
      } finally {
        await this.x.cleanup.remove(view);
      }
    };

    await withSourceRoot(async (srcRoot) => {
      let sources;
      try {
        sources = resolveSources(srcRoot, srcs, ins.cmd);
      } catch (e) {
        if (e instanceof CopyError || e instanceof ScopeError) throw fail(ins, e.message);
        throw e;
      }
      const sum = sourcesChecksum(sources);
      const kind = sources.length > 1 ? 'multi' : sources[0].st.isDirectory() ? 'dir' : 'file';
      const flags = [chown ? `--chown=${chown}` : '', ins.flags.chmod ? `--chmod=${ins.flags.chmod}` : '', fromRef ? `--from=${fromRef}` : ''].filter(Boolean).join(' ');
      const createdBy = `${ins.cmd} ${flags ? `${flags} ` : ''}${kind}:${sum} in ${dest} `;
      await this.layer(ins, createdBy, {}, async (_key, mounts) => {
        await withMounted(mounts, this.x.mountDir, async (root) => {
          let owner = { uid: 0, gid: 0 };
          try {
            if (chown) owner = lookupUser(root, chown);
            await copyInto(root, sources, { dest, owner, chmod, extract: ins.cmd === 'ADD' }, ins.cmd);
          } catch (e) {
            if (e instanceof CopyError || e instanceof ScopeError || e instanceof ManagerError) throw fail(ins, e.message);
            throw e;
          }
        });
      });
    });
  }

  // ---- committing steps -----------------------------------------------------------------------

  /** A cached result for this step, if the cache has one whose image and snapshot still exist. */
  private async cached(key: string): Promise<StageState | undefined> {
    const id = this.x.cache?.get(key);
    if (!id) return undefined;
    const c = this.x.client;
    try {
      await leaseExisting(c, 'content', id);
      const info = await c.content.info(id);
      const doc = parseConfig(await c.content.read({ digest: id, size: info.size }), { mediaType: 'application/vnd.docker.container.image.v1+json', digest: id, size: info.size });
      const layers: Descriptor[] = [];
      const nLayers = doc.rootfs.diff_ids.length;
      for (let i = 0; i < nLayers; i++) {
        const d = info.labels?.[`containerd.io/gc.ref.content.l.${i}`];
        if (!d) return undefined;
        const li = await c.content.info(d);
        layers.push({ mediaType: i < this.st.layers.length ? this.st.layers[i].mediaType : DOCKER_LAYER, digest: d, size: li.size });
      }
      const top = topChain(doc.rootfs.diff_ids);
      if (top && !(await c.snapshots(this.x.snapshotter).exists(top))) return undefined;
      doc.history ??= [];
      return { ...this.st, doc, layers, id };
    } catch (e) {
      if (e instanceof ManagerError && e.code === 'NOT_FOUND') return undefined;
      throw e;
    }
  }

  private async useCache(key: string): Promise<boolean> {
    const hit = await this.cached(key);
    if (!hit) return false;
    this.st = hit;
    this.x.out(` ---> Using cache\n ---> ${short(hit.id)}\n`);
    return true;
  }

  private async record(key: string, doc: ImageConfig, layers: Descriptor[]): Promise<void> {
    const desc = await writeStepConfig(this.x.client, doc, layers, this.x.snapshotter);
    this.st = { ...this.st, doc, layers, id: desc.digest };
    await this.x.recordCache.hold(this.x.client, desc.digest);
    this.x.recordCache.set(key, desc.digest);
    this.x.out(` ---> ${short(desc.digest)}\n`);
  }

  /** A step that changes only the config: history gets an empty_layer entry. */
  private async meta(text: string, mutate: (doc: ImageConfig) => void): Promise<void> {
    const createdBy = `${NOP} ${text}`;
    const key = BuildCache.key(this.st.id || 'scratch', createdBy);
    if (await this.useCache(key)) return;
    const doc = cloneDoc(this.st.doc);
    doc.config ??= {};
    mutate(doc);
    doc.created = new Date().toISOString();
    (doc.history ??= []).push({ created: doc.created, created_by: createdBy, empty_layer: true });
    await this.record(key, doc, this.st.layers);
  }

  /**
   * A step that changes the filesystem: prepare a snapshot on the layers so far, let `change`
   * modify it, diff it against its parent into a layer blob, commit it under the new chain ID.
   */
  private async layer(
    ins: Instruction,
    text: string,
    o: { raw?: boolean; emptyIfUnchanged?: boolean; mutate?: (doc: ImageConfig) => void },
    change: (key: string, mounts: Mount[]) => Promise<void>,
  ): Promise<void> {
    const createdBy = o.raw ? text : `${NOP}${text}`;
    const key = BuildCache.key(this.st.id || 'scratch', createdBy);
    if (await this.useCache(key)) return;
    const c = this.x.client;
    const sn = c.snapshots(this.x.snapshotter);
    const parent = topChain(this.st.doc.rootfs.diff_ids);
    const active = `build-${crypto.randomBytes(8).toString('hex')}`;
    this.x.cleanup.track(active);
    // leased before it exists: strata-manager leases a new snapshot only after creating it
    await leaseExisting(c, `snapshots/${this.x.snapshotter}`, active);
    const mounts = await sn.prepare(active, parent);
    await change(active, mounts);

    // the layer: what changed between the parent and the active snapshot
    let lower: Mount[] = [];
    const view = `build-view-${crypto.randomBytes(6).toString('hex')}`;
    let blob: Descriptor;
    let info: Awaited<ReturnType<ManagerClient['content']['info']>> | undefined;
    try {
      if (parent) {
        this.x.cleanup.track(view);
        await leaseExisting(c, `snapshots/${this.x.snapshotter}`, view);
        lower = await sn.view(view, parent);
      }
      // asked for as OCI gzip: containerd 1.6's differ knows no Docker media types; the bytes are
      // the same, and the manifest names the layer with Docker's type (image.ts writeImage)
      blob = await c.diff.diff(lower, mounts, MediaType.ociLayerGzip);
      info = await c.content.info(blob.digest).catch((e) => (e instanceof ManagerError && e.code === 'NOT_FOUND' ? undefined : Promise.reject(e)));
      if (!info) {
        // strata-manager records a new blob before its Diff handler leases it: a collection
        // running in between takes it. The lease names the digest by now, so a second diff
        // (same bytes, same digest) is kept. See the report on the manager's commit/lease order.
        blob = await c.diff.diff(lower, mounts, MediaType.ociLayerGzip);
        info = await c.content.info(blob.digest);
      }
    } finally {
      if (parent) await this.x.cleanup.remove(view);
    }
    const diffId = info.labels?.['containerd.io/uncompressed'];
    if (!diffId) throw new Error(`diff of step "${ins.original}": the manager did not label layer ${blob.digest} with its uncompressed digest`);

    const doc = cloneDoc(this.st.doc);
    doc.config ??= {};
    o.mutate?.(doc);
    doc.created = new Date().toISOString();
    if (o.emptyIfUnchanged && diffId === EMPTY_TAR_DIFF_ID) {
      await this.x.cleanup.remove(active);
      (doc.history ??= []).push({ created: doc.created, created_by: createdBy, empty_layer: true });
      return this.record(key, doc, this.st.layers);
    }
    doc.rootfs.diff_ids = [...doc.rootfs.diff_ids, diffId];
    const chain = topChain(doc.rootfs.diff_ids);
    // leased first: if the chain exists already, the collector must not take it while we adopt it
    await leaseExisting(c, `snapshots/${this.x.snapshotter}`, chain);
    try {
      await sn.commit(chain, active);
      this.x.cleanup.done(active);
    } catch (e) {
      // the same layer on the same parent exists already (a build without cache): use it
      if (!(e instanceof ManagerError && e.code === 'ALREADY_EXISTS')) throw e;
      await this.x.cleanup.remove(active);
    }
    (doc.history ??= []).push({ created: doc.created, created_by: createdBy });
    await this.record(key, doc, [...this.st.layers, { mediaType: DOCKER_LAYER, digest: blob.digest, size: blob.size }]);
  }

  /** Write the manifest and name the image. */
  async finish(names: string[]): Promise<{ imageId: string; manifest: Descriptor }> {
    const st = this.st;
    if (!st.id) throw new DockerfileError('the build produced no image (FROM scratch with no instruction after it)');
    const info = await this.x.client.content.info(st.id);
    const manifest = await writeImage(this.x.client, { mediaType: 'application/vnd.docker.container.image.v1+json', digest: st.id, size: info.size }, st.layers, names, this.x.setName);
    return { imageId: st.id, manifest };
  }
}
