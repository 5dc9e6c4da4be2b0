// The builder against a private strata-manager (real shim, real runtime, real overlayfs):
// a Dockerfile using every supported instruction is built from a tar context, the image is run
// and inspected; the cache hits on a rebuild and misses after a change; a failing RUN and
// malicious contexts are refused with nothing left behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagerClient, archive, newContainer, removeContainer, resolveImage, startTask, type Descriptor } from '@strata/manager';
import { ManagerDaemon, mountsBelow } from '@strata/manager/testing';
import { Builder, CACHE_LEASE, serveBuild, type BuildOptions } from '../src/build';

const isRoot = process.getuid?.() === 0;
const BUSYBOX_TAR = '/var/lib/strata/images/busybox.oci.tar';

interface Collected {
  stream: string;
  aux: { ID: string }[];
  errors: string[];
}

function events() {
  const c: Collected = { stream: '', aux: [], errors: [] };
  return { c, ev: { stream: (t: string) => (c.stream += t), aux: (o: { ID: string }) => c.aux.push(o), error: (m: string) => c.errors.push(m) } };
}

const ctxTar = (files: archive.TarBufferEntry[], gzip = false) => {
  const b = archive.tarBuffer(files);
  return Readable.from([gzip ? zlib.gzipSync(b) : b]);
};

const opts = (o: Partial<BuildOptions> = {}): BuildOptions => ({ tags: [], buildArgs: {}, labels: {}, ...o });

describe.skipIf(!isRoot || !fs.existsSync(BUSYBOX_TAR))('docker build through the stack', () => {
  const m = new ManagerDaemon();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-builder-${process.pid}-`));
  let client: ManagerClient;
  let builder: Builder;

  beforeAll(async () => {
    m.start();
    const r = m.strataCtr(['import', BUSYBOX_TAR], { namespace: 'moby', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    client = new ManagerClient(m.sock, 'moby');
    const img = await client.images.get('strata.local/busybox:latest');
    await client.images.create({ name: 'docker.io/library/busybox:latest', target: img.target as Descriptor });
    builder = new Builder({ client, workDir });
  });

  afterAll(() => {
    client?.close();
    m.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  /** Nothing of a build is left: containers, active snapshots and views, mounts, leases, temp dirs. */
  async function expectNoLeaks() {
    expect(await client.containers.list()).toEqual([]);
    const snaps = await client.snapshots('overlayfs').list();
    expect(snaps.filter((s) => s.kind !== 3).map((s) => s.name)).toEqual([]);
    expect(mountsBelow(m.dir)).toEqual([]);
    expect(mountsBelow(workDir)).toEqual([]);
    // only the build cache's lease stays
    expect((await client.leases.list()).map((l) => l.id).filter((id) => id !== CACHE_LEASE)).toEqual([]);
    expect(fs.readdirSync(workDir).filter((d) => d.startsWith('build-'))).toEqual([]);
  }

  /** Run a command in an image; returns stdout+stderr and the exit code. */
  async function runImage(image: string, args: string[], user?: string): Promise<{ out: string; code: number }> {
    const id = `check-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    await newContainer(client, { image, id, runtime: 'io.containerd.strata.v2', args, user });
    let out = '';
    const sink = new Writable({
      write(chunk, _e, cb) {
        out += chunk;
        cb();
      },
    });
    try {
      const code = await startTask(client, id, { streams: { stdout: sink, stderr: sink } });
      return { out, code };
    } finally {
      await removeContainer(client, id, { force: true });
    }
  }

  const inner = zlib.gzipSync(archive.tarBuffer([{ name: 'inner/', type: 'dir' }, { name: 'inner/file.txt', data: 'from the tarball\n' }]));
  const dockerfile = [
    '# syntax=docker/dockerfile:1',
    'ARG BASE=busybox',
    'FROM ${BASE}',
    'ARG GREETING=hello',
    'ENV APP_HOME=/app \\',
    '    MODE="two words"',
    'WORKDIR $APP_HOME',
    'COPY --chown=1000:1001 hello.txt ./',
    'COPY dir/ sub/',
    'ADD bundle.tar.gz /opt/bundle/',
    'RUN echo "app:x:1234:1234::/app:/bin/sh" >> /etc/passwd && echo "app:x:1234:" >> /etc/group && chown app /app && echo "building $GREETING"',
    'USER app',
    'RUN id -u > uid && echo "$GREETING $MODE" > greeting && pwd > cwd',
    'EXPOSE 8080/tcp 53/udp',
    'LABEL org.example.name="strata test" version=1',
    'CMD ["cat", "/app/greeting"]',
    'ENTRYPOINT ["/bin/sh", "-c", "exec \\"$@\\"", "--"]',
    '',
  ].join('\n');
  const files = (hello = 'hello file\n'): archive.TarBufferEntry[] => [
    { name: 'Dockerfile', data: dockerfile },
    { name: 'hello.txt', data: hello, mode: 0o640 },
    { name: 'dir/', type: 'dir' },
    { name: 'dir/nested.txt', data: 'nested\n', mode: 0o755 },
    { name: 'bundle.tar.gz', data: inner },
    { name: 'ignored.log', data: 'must not be copied\n' },
    { name: '.dockerignore', data: '*.log\n' },
  ];

  let firstId = '';

  it('builds every supported instruction into layers and config, and the image runs', async () => {
    const { c, ev } = events();
    const res = await builder.build(ctxTar(files(), true), opts({ tags: ['strata-build-test:latest', 'strata-build-test:v1'], buildArgs: { GREETING: 'bonjour' } }), ev);
    firstId = res.imageId;
    if (process.env.STRATA_TEST_VERBOSE) process.stdout.write(c.stream);
    expect(c.errors).toEqual([]);
    expect(res.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(c.aux).toEqual([{ ID: res.imageId }]);
    expect(c.stream).toContain('Step 1/15 : ARG BASE=busybox\n');
    expect(c.stream).toContain('Step 2/15 : FROM ${BASE}\n');
    expect(c.stream).toMatch(/ ---> Running in [0-9a-f]{12}\n/);
    expect(c.stream).toContain('building bonjour\n'); // RUN output streamed
    expect(c.stream).toMatch(/Removing intermediate container [0-9a-f]{12}\n/);
    expect(c.stream).toContain(`Successfully built ${res.imageId.slice(7, 19)}\n`);
    expect(c.stream).toContain('Successfully tagged strata-build-test:latest\n');
    expect(c.stream).toContain('Successfully tagged strata-build-test:v1\n');

    // the image: names, manifest, config
    const img = await client.images.get('docker.io/library/strata-build-test:latest');
    expect((await client.images.get('docker.io/library/strata-build-test:v1')).target?.digest).toBe(img.target?.digest);
    expect(img.target?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const { manifest, config } = await resolveImage(client, img.target as Descriptor);
    expect(manifest.manifest.config.digest).toBe(res.imageId);
    // busybox's layer + WORKDIR + 2 COPY + ADD + 2 RUN
    expect(manifest.manifest.layers).toHaveLength(7);
    expect(config.rootfs.diff_ids).toHaveLength(7);
    expect(manifest.manifest.layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip')).toBe(true);
    const cfg = config.config!;
    expect(cfg.Env).toEqual(expect.arrayContaining(['APP_HOME=/app', 'MODE=two words']));
    expect(cfg.Env!.some((e) => e.startsWith('GREETING'))).toBe(false); // ARGs are not kept
    expect(cfg.WorkingDir).toBe('/app');
    expect(cfg.User).toBe('app');
    expect(cfg.ExposedPorts).toEqual({ '8080/tcp': {}, '53/udp': {} });
    expect(cfg.Labels).toEqual({ 'org.example.name': 'strata test', version: '1' });
    expect(cfg.Cmd).toEqual(['cat', '/app/greeting']); // CMD came before ENTRYPOINT in this file: kept
    expect(cfg.Entrypoint).toEqual(['/bin/sh', '-c', 'exec "$@"', '--']);
    // history: one entry per step after FROM on top of busybox's, layers only where files changed
    const hist = config.history!;
    // ARG ENV WORKDIR COPY COPY ADD RUN USER RUN EXPOSE LABEL CMD ENTRYPOINT
    expect(hist.slice(-13).map((h) => !!h.empty_layer)).toEqual([true, true, false, false, false, false, false, true, false, true, true, true, true]);
    expect(config.history!.filter((h) => !h.empty_layer)).toHaveLength(7);
    expect(hist.find((h) => h.created_by?.includes('ENV'))?.created_by).toBe('/bin/sh -c #(nop)  ENV APP_HOME=/app MODE=two words');
    expect(hist.find((h) => h.created_by?.includes('CMD'))?.created_by).toBe('/bin/sh -c #(nop)  CMD ["cat" "/app/greeting"]');
    expect(hist.some((h) => h.created_by?.startsWith('|1 GREETING=bonjour /bin/sh -c id -u > uid'))).toBe(true);

    // run it: the files, owners, modes, the RUNs' effects, env, cwd and user
    const script = 'cat greeting uid cwd sub/nested.txt /opt/bundle/inner/file.txt; stat -c "%u:%g %a %n" hello.txt sub/nested.txt; echo "$APP_HOME|$MODE"; id -u; pwd; ls /app';
    const r = await runImage('strata-build-test:latest', ['sh', '-c', script], '1234:1234');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'bonjour two words',
        '1234',
        '/app',
        'nested',
        'from the tarball',
        '1000:1001 640 hello.txt',
        '0:0 755 sub/nested.txt',
        '/app|two words',
        '1234',
        '/app',
        'cwd',
        'greeting',
        'hello.txt',
        'sub',
        'uid',
        '',
      ].join('\n'),
    );
    // Entrypoint + Cmd as given
    const plain = await runImage('strata-build-test:latest', [], '1234');
    expect(plain.out).toBe('bonjour two words\n');
    await expectNoLeaks();
  });

  it('reuses every step from the cache, then misses from the first changed COPY on', async () => {
    const again = events();
    const res = await builder.build(ctxTar(files()), opts({ tags: ['strata-build-test:latest'], buildArgs: { GREETING: 'bonjour' } }), again.ev);
    expect(res.imageId).toBe(firstId);
    expect(again.c.stream.match(/ ---> Using cache\n/g)).toHaveLength(13);
    expect(again.c.stream).not.toContain('Running in');

    const changed = events();
    const res2 = await builder.build(ctxTar(files('changed\n')), opts({ tags: ['strata-build-test:changed'], buildArgs: { GREETING: 'bonjour' } }), changed.ev);
    expect(res2.imageId).not.toBe(firstId);
    // ARG GREETING, ENV, WORKDIR hit; the COPY of hello.txt and everything after it run again
    expect(changed.c.stream.match(/ ---> Using cache\n/g)).toHaveLength(3);
    expect(changed.c.stream).toContain('building bonjour\n');
    const r = await runImage('strata-build-test:changed', ['cat', '/app/hello.txt'], '0');
    expect(r.out).toBe('changed\n');
    // a step image the cache holds survives garbage collection while no image names it
    await client.images.delete('docker.io/library/strata-build-test:changed', true);
    const rebuilt = events();
    await builder.build(ctxTar(files('changed\n')), opts({ buildArgs: { GREETING: 'bonjour' } }), rebuilt.ev);
    expect(rebuilt.c.stream.match(/ ---> Using cache\n/g)).toHaveLength(13);

    // --no-cache runs everything again
    const fresh = events();
    await builder.build(ctxTar(files()), opts({ noCache: true, buildArgs: { GREETING: 'bonjour' } }), fresh.ev);
    expect(fresh.c.stream).not.toContain('Using cache');

    // pruning the cache: nothing is reused any more
    expect(await builder.prune()).toBeGreaterThan(0);
    expect((await client.leases.list()).map((l) => l.id)).toEqual([]);
    const pruned = events();
    await builder.build(ctxTar(files()), opts({ buildArgs: { GREETING: 'bonjour' } }), pruned.ev);
    expect(pruned.c.stream).not.toContain('Using cache');
    await expectNoLeaks();
  });

  it('builds multi-stage Dockerfiles with COPY --from and --target', async () => {
    const df = 'FROM busybox AS builder\nRUN echo compiled > /artifact\nFROM busybox\nCOPY --from=builder /artifact /bin/artifact\nCOPY . /ctx/\nCMD ["cat", "/bin/artifact"]\n';
    const ctx = [{ name: 'Dockerfile', data: df }, { name: 'a.txt', data: 'a' }, { name: 'b.log', data: 'b' }, { name: '.dockerignore', data: '*.log\n' }];
    const { c, ev } = events();
    await builder.build(ctxTar(ctx), opts({ tags: ['strata-multi:1'] }), ev);
    expect(c.errors).toEqual([]);
    expect((await runImage('strata-multi:1', [])).out).toBe('compiled\n');
    // .dockerignore applied by the builder: b.log never reached the image
    expect((await runImage('strata-multi:1', ['ls', '-a', '/ctx'])).out).toBe('.\n..\n.dockerignore\nDockerfile\na.txt\n');
    const t = events();
    await builder.build(ctxTar(ctx), opts({ tags: ['strata-multi:builder'], target: 'builder' }), t.ev);
    expect(t.c.stream).toContain('Step 2/2 : RUN echo compiled > /artifact');
    await expectNoLeaks();
  });

  it('builds FROM scratch (a first layer with no parent) and copies out of it', async () => {
    const df = 'FROM scratch AS files\nCOPY --chmod=0600 a.txt /data/a.txt\nFROM busybox\nCOPY --from=files /data/ /got/\n';
    const { c, ev } = events();
    await builder.build(ctxTar([{ name: 'Dockerfile', data: df }, { name: 'a.txt', data: 'from scratch\n' }]), opts({ tags: ['strata-scratch:1'] }), ev);
    expect(c.errors).toEqual([]);
    const r = await runImage('strata-scratch:1', ['sh', '-c', 'cat /got/a.txt; stat -c "%a %u" /got/a.txt']);
    expect(r.out).toBe('from scratch\n600 0\n');
    const files = events();
    await builder.build(ctxTar([{ name: 'Dockerfile', data: df }, { name: 'a.txt', data: 'x' }]), opts({ tags: ['strata-scratch:files'], target: 'files' }), files.ev);
    const { config } = await resolveImage(client, (await client.images.get('docker.io/library/strata-scratch:files')).target as Descriptor);
    expect(config.rootfs.diff_ids).toHaveLength(1);
    await expectNoLeaks();
  });

  /** The real docker CLI, as a child process (the test process serves its requests meanwhile). */
  function docker(sock: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
    return new Promise((resolve) => {
      const p = spawn('docker', args, { cwd, env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(workDir, 'docker-config'), ...env } });
      let out = '';
      let err = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (err += d));
      const t = setTimeout(() => p.kill('SIGKILL'), 120_000);
      p.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, out, err });
      });
    });
  }

  it.skipIf(!fs.existsSync('/usr/bin/docker') && !fs.existsSync('/usr/local/bin/docker'))('serves the real docker CLI (classic builder, POST /build)', async () => {
    // /_ping and POST /build only, wired to serveBuild as the engine's router does
    const sock = path.join(workDir, 'engine.sock');
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://engine');
      seen.push(`${req.method} ${url.pathname}`);
      res.setHeader('Api-Version', '1.47');
      res.setHeader('Ostype', 'linux');
      res.setHeader('Builder-Version', '1');
      if (url.pathname === '/_ping') return void res.end('OK');
      if (req.method === 'POST' && /^\/v1\.\d+\/build$/.test(url.pathname)) return void serveBuild(builder, req, res, url.searchParams);
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"not here"}');
    });
    await new Promise<void>((r) => server.listen(sock, r));
    fs.chmodSync(sock, 0o600);
    const dir = fs.mkdtempSync(path.join(workDir, 'cli-ctx-'));
    try {
      fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nARG WHO\nCOPY msg.txt /msg.txt\nRUN echo "built for $WHO" | tee -a /msg.txt\nCMD ["cat", "/msg.txt"]\n');
      fs.writeFileSync(path.join(dir, 'msg.txt'), 'hello from the docker CLI\n');
      fs.writeFileSync(path.join(dir, 'secret.key'), 'never sent\n');
      fs.writeFileSync(path.join(dir, '.dockerignore'), '*.key\n');
      const r = await docker(sock, ['build', '-t', 'strata-cli:1', '--build-arg', 'WHO=students', '--label', 'course=containers', '.'], dir);
      expect(r.code, r.err + r.out).toBe(0);
      // no buildx plugin here: docker CLI 28 falls back to the classic builder on its own
      expect(r.err).toContain('DEPRECATED: The legacy builder is deprecated');
      expect(r.out).toMatch(/Step 1\/6 : FROM busybox\n/); // 5 lines + the LABEL from --label
      expect(r.out).toContain('built for students'); // the RUN's own output, streamed
      expect(r.out).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged strata-cli:1\n/);
      const ran = await runImage('strata-cli:1', []);
      expect(ran.out).toBe('hello from the docker CLI\nbuilt for students\n');
      expect((await runImage('strata-cli:1', ['ls', '/'])).out).not.toContain('secret');

      // -q prints the image ID only; a failing RUN fails the CLI with docker's message
      const q = await docker(sock, ['build', '-q', '.'], dir);
      expect(q.out.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
      fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUN exit 3\n');
      const bad = await docker(sock, ['build', '.'], dir, { DOCKER_BUILDKIT: '0' });
      expect(bad.code).toBe(1);
      expect(bad.err).toContain("The command '/bin/sh -c exit 3' returned a non-zero code: 3");
      expect(seen.filter((s) => s.endsWith('/build'))).toHaveLength(3);
    } finally {
      await new Promise((r) => server.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await expectNoLeaks();
  });

  it('fails on a non-zero RUN like docker, leaving nothing behind', async () => {
    const { c, ev } = events();
    const df = 'FROM busybox\nRUN echo before > /before\nRUN echo output-of-failing-step && false\n';
    await expect(builder.build(ctxTar([{ name: 'Dockerfile', data: df }]), opts({ tags: ['strata-fail:1'] }), ev)).rejects.toMatchObject({
      message: "The command '/bin/sh -c echo output-of-failing-step && false' returned a non-zero code: 1",
      reported: true,
    });
    expect(c.errors).toEqual(["The command '/bin/sh -c echo output-of-failing-step && false' returned a non-zero code: 1"]);
    expect(c.stream).toContain('output-of-failing-step\n');
    await expect(client.images.get('docker.io/library/strata-fail:1')).rejects.toThrow(/not found/);
    await expectNoLeaks();
  });

  it('cancels: a running RUN is killed when the client goes away, nothing left behind', async () => {
    const cancel = new AbortController();
    const { c, ev } = events();
    const stream = (t: string) => {
      ev.stream(t);
      if (t.includes('sleeping')) cancel.abort();
    };
    const t0 = Date.now();
    const df = 'FROM busybox\nRUN echo sleeping && sleep 60\nRUN echo never\n';
    await expect(builder.build(ctxTar([{ name: 'Dockerfile', data: df }]), opts({ signal: cancel.signal }), { ...ev, stream })).rejects.toThrow(/build canceled/);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(c.stream).not.toContain('never');
    await expectNoLeaks();
  });

  it('refuses bad Dockerfiles and bad tags before running anything', async () => {
    const bad = events();
    await expect(builder.build(ctxTar([{ name: 'Dockerfile', data: 'FROM busybox\nRUNN true\n' }]), opts(), bad.ev)).rejects.toMatchObject({ status: 400, message: 'Dockerfile:2: unknown instruction: RUNN' });
    await expect(builder.build(ctxTar([{ name: 'Dockerfile', data: 'FROM busybox\n' }]), opts({ tags: ['UPPER:case'] }), events().ev)).rejects.toMatchObject({ status: 400 });
    await expect(builder.build(ctxTar([{ name: 'other', data: 'FROM busybox\n' }]), opts(), events().ev)).rejects.toThrow('Cannot locate specified Dockerfile: Dockerfile');
    await expect(builder.build(ctxTar([{ name: 'Dockerfile', data: 'FROM busybox\nCOPY missing.txt /\n' }]), opts(), events().ev)).rejects.toThrow(
      /Dockerfile:2: COPY: COPY failed: file not found in build context or excluded by \.dockerignore: stat missing\.txt/,
    );
    await expect(builder.build(ctxTar([{ name: 'Dockerfile', data: 'FROM no-such-image-here\n' }]), opts(), events().ev)).rejects.toMatchObject({ status: 404 });
    await expectNoLeaks();
  });

  it('refuses malicious contexts: no escape through .., absolute names or symlinks', async () => {
    const canary = path.join(workDir, `canary-${process.pid}`);
    const evil: archive.TarBufferEntry[][] = [
      [{ name: 'Dockerfile', data: 'FROM busybox\n' }, { name: '../pwned', data: 'x' }],
      [{ name: 'Dockerfile', data: 'FROM busybox\n' }, { name: '/tmp/pwned-abs', data: 'x' }],
      [{ name: 'Dockerfile', data: 'FROM busybox\n' }, { name: 'link', type: 'symlink', linkname: workDir }, { name: `link/canary-${process.pid}`, data: 'x' }],
    ];
    for (const entries of evil) {
      await expect(builder.build(ctxTar(entries), opts(), events().ev)).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/^invalid build context: /) });
    }
    expect(fs.existsSync(canary)).toBe(false);
    expect(fs.existsSync(path.join(workDir, 'pwned'))).toBe(false);
    expect(fs.existsSync('/tmp/pwned-abs')).toBe(false);
    // a symlink in the context pointing outside is resolved inside the context: not found
    const link = [{ name: 'Dockerfile', data: 'FROM busybox\nCOPY esc /esc\n' }, { name: 'esc', type: 'symlink' as const, linkname: '/etc/hostname' }];
    await expect(builder.build(ctxTar(link), opts(), events().ev)).rejects.toThrow(/file not found in build context/);
    await expectNoLeaks();
  });
});
