// `docker build` with the real docker CLI against a private strata-engine, on strata-manager and
// on a real containerd (the swap: the builder only uses the manager API, so containerd's own
// snapshotter and differ make the layers there). The built image runs with `docker run`; a
// rebuild comes from the cache; a failing RUN fails the CLI; nothing is left behind.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineDaemon, engineBin, haveDocker } from './engineHarness';

const ready = process.getuid?.() === 0 && haveDocker && fs.existsSync(engineBin) && fs.existsSync('/var/lib/strata/images/busybox.oci.tar');
const haveContainerd = fs.existsSync('/usr/bin/containerd');

describe.each([
  { backend: 'strata-manager' as const, skip: !ready },
  { backend: 'containerd' as const, skip: !ready || !haveContainerd },
])('docker build against strata-engine on $backend', ({ backend, skip }) => {
  if (skip) {
    it.skip('needs root, docker, a built strata-engine and the busybox image');
    return;
  }
  const e = new EngineDaemon([], backend);
  let ctx = '';

  beforeAll(() => {
    e.start();
    ctx = path.join(e.dir, 'ctx');
    fs.mkdirSync(path.join(ctx, 'site'), { recursive: true });
    fs.writeFileSync(
      path.join(ctx, 'Dockerfile'),
      [
        'FROM busybox',
        'ARG FLAVOUR=plain',
        'ENV APP=/srv/app',
        'WORKDIR $APP',
        'COPY site/ ./site/',
        'RUN echo "flavour $FLAVOUR" | tee flavour && echo "web:x:4321:4321::/srv/app:/bin/sh" >> /etc/passwd',
        'USER web',
        'EXPOSE 8080',
        'CMD ["sh", "-c", "cat flavour site/index.html; id -u; pwd"]',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(ctx, 'site', 'index.html'), '<h1>hi</h1>\n');
  }, 120_000);
  afterAll(() => e.stop(), 60_000);

  it('builds with the classic builder, runs the image, and rebuilds from the cache', () => {
    const b = e.docker(['build', '-t', 'site:1', '--build-arg', 'FLAVOUR=vanilla', ctx], { timeout: 120_000 });
    expect(b.status, b.stderr + b.stdout + e.log()).toBe(0);
    expect(b.stdout).toMatch(/^Sending build context to Docker daemon/);
    expect(b.stdout).toContain('Step 6/9 : RUN echo "flavour $FLAVOUR"');
    expect(b.stdout).toContain('flavour vanilla\n');
    expect(b.stdout).toMatch(/Successfully built ([0-9a-f]{12})\nSuccessfully tagged site:1\n/);
    const id = /Successfully built ([0-9a-f]{12})/.exec(b.stdout)![1];

    const run = e.docker(['run', '--rm', 'site:1'], { timeout: 60_000 });
    expect(run.stdout).toBe('flavour vanilla\n<h1>hi</h1>\n4321\n/srv/app\n');
    expect(e.docker(['image', 'inspect', '--format', '{{.Id}} {{.Config.User}} {{json .Config.ExposedPorts}} {{.Config.WorkingDir}}', 'site:1']).stdout).toMatch(
      new RegExp(`^sha256:${id}[0-9a-f]{52} web {"8080/tcp":{}} /srv/app\\n$`),
    );

    const again = e.docker(['build', '-t', 'site:2', '--build-arg', 'FLAVOUR=vanilla', ctx], { timeout: 120_000 });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout.match(/ ---> Using cache\n/g)).toHaveLength(8);
    expect(again.stdout).toContain(`Successfully built ${id}\n`);

    // a different build arg changes the RUN's cache key (it is in the history line)
    const other = e.docker(['build', '-q', '--build-arg', 'FLAVOUR=mint', ctx], { timeout: 120_000 });
    expect(other.stdout.trim(), other.stderr).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(other.stdout).not.toContain(id);
    expect(e.leaks()).toEqual([]);
  }, 240_000);

  it('fails like docker on a bad Dockerfile and on a failing RUN, leaving nothing behind', () => {
    const dir = path.join(e.dir, 'bad');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUNN true\n');
    const parse = e.docker(['build', dir]);
    expect(parse.status).toBe(1);
    expect(parse.stderr).toContain('Dockerfile:2: unknown instruction: RUNN');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo partial && exit 7\n');
    const fail = e.docker(['build', '-t', 'never:1', dir], { timeout: 60_000 });
    expect(fail.status).toBe(1);
    expect(fail.stdout).toContain('partial\n');
    expect(fail.stderr, e.log()).toContain("The command '/bin/sh -c echo partial && exit 7' returned a non-zero code: 7");
    expect(e.docker(['image', 'inspect', 'never:1']).status).toBe(1);
    expect(e.leaks()).toEqual([]);
    // the manager has no build containers and no active build snapshots left
    expect(e.ctr(['c', 'ls', '-q']).stdout).toBe('');
    expect(e.ctr(['snapshots', 'ls']).stdout).not.toMatch(/build-/);
  }, 120_000);
});
