// config.md#root, #mounts, #hostname, #domainname: the container's filesystem view and names.
import fs from 'node:fs';
import path from 'node:path';
import { defineTests, specUrl } from '../framework/testCase';
import type { TestContext } from '../framework/context';
import { copyRootfs } from '../framework/rootfs';
import { expect, expectEqual, expectIncludes, expectMatch } from '../framework/assert';

/** A host directory with one marker file, to bind-mount into the container. */
function hostDirWithMarker(ctx: TestContext, name: string, content: string): string {
  const dir = path.join(ctx.dir, name);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'marker'), content);
  return dir;
}

/** The mountinfo line of `mountPoint` as the container sees it. */
function mountLine(out: string, mountPoint: string): string {
  const line = out.split('\n').find((l) => l.split(' ')[4] === mountPoint);
  expect(line, `no mount at ${mountPoint} inside the container (mountinfo: ${out.slice(0, 300)})`);
  return line;
}

export const configRootAndMountsTests = defineTests([
  {
    id: 'root.readonly.true',
    title: 'readonly root: the root filesystem is read-only inside the container',
    section: specUrl('config', 'root'),
    level: 'MUST',
    async run(ctx) {
      const out = await ctx.run(ctx.config('touch /strata-probe 2>&1 && echo wrote || echo refused'));
      expectIncludes(out.stdout, 'refused', 'writing to / with root.readonly=true');
      expectIncludes(out.stdout, 'Read-only file system', 'error of the write');
    },
  },
  {
    id: 'root.readonly.false',
    title: 'writable root: the container can write to /',
    section: specUrl('config', 'root'),
    level: 'MUST',
    async run(ctx) {
      const rootfs = await ctx.writableRootfs();
      const config = ctx.config('touch /strata-probe && echo wrote');
      config.root = { path: rootfs, readonly: false };
      expectIncludes((await ctx.run(config)).stdout, 'wrote', 'writing to / with root.readonly=false');
      expect(fs.existsSync(path.join(rootfs, 'strata-probe')), 'the file written in the container is not in root.path');
    },
  },
  {
    id: 'root.path.relative',
    title: 'a relative root.path is resolved against the bundle',
    section: specUrl('config', 'root'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /etc/hostname');
      const bundle = ctx.bundle(config, 'bundle-relative');
      await copyRootfs(ctx.rootfs, path.join(bundle, 'rootfs'));
      fs.writeFileSync(path.join(bundle, 'rootfs/etc/hostname'), 'from-bundle-rootfs\n');
      config.root = { path: 'rootfs', readonly: true };
      fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
      const id = ctx.newId();
      const c = await ctx.create(config, { id, bundle });
      expect(c.call.ok, `create failed: ${c.call.stderr.trim()}`);
      await ctx.mustStart(id);
      await ctx.mustReachStatus(id, ['stopped']);
      expectIncludes(fs.readFileSync(c.stdoutFile, 'utf8'), 'from-bundle-rootfs', 'the file read from the relative rootfs');
    },
  },
  {
    id: 'hostname',
    title: 'hostname is the container\'s hostname',
    section: specUrl('config', 'hostname'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('hostname');
      config.hostname = 'strata-conformance';
      expectEqual((await ctx.run(config)).stdout.trim(), 'strata-conformance', 'hostname');
    },
  },
  {
    id: 'domainname',
    title: 'domainname is the container\'s NIS domain name',
    section: specUrl('config', 'domainname'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/sys/kernel/domainname');
      config.domainname = 'strata.test';
      expectEqual((await ctx.run(config)).stdout.trim(), 'strata.test', 'domainname');
    },
  },
  {
    id: 'mounts.order',
    title: 'mounts are mounted in the listed order',
    section: specUrl('config', 'mounts'),
    level: 'MUST',
    async run(ctx) {
      // "The runtime MUST mount entries in the listed order": a tmpfs then a bind at the same
      // destination leaves the bind visible; the reverse order would hide it.
      const src = hostDirWithMarker(ctx, 'bind-src', 'bind-was-last\n');
      const config = ctx.config('cat /mnt/marker 2>&1');
      config.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }, { destination: '/mnt', type: 'bind', source: src, options: ['rbind', 'ro'] });
      expectIncludes((await ctx.run(config)).stdout, 'bind-was-last', 'content at /mnt');
    },
  },
  {
    id: 'mounts.bind',
    title: 'a bind mount shows the host directory',
    section: specUrl('config', 'mounts'),
    level: 'MUST',
    async run(ctx) {
      const src = hostDirWithMarker(ctx, 'bind-src', 'hello-from-host\n');
      const config = ctx.config('cat /mnt/marker');
      config.mounts!.push({ destination: '/mnt', type: 'none', source: src, options: ['bind'] });
      expectIncludes((await ctx.run(config)).stdout, 'hello-from-host', 'content at /mnt');
    },
  },
  {
    id: 'mounts.bind-readonly',
    title: 'a bind mount with "ro" cannot be written',
    section: specUrl('config', 'linux-mount-options'),
    level: 'MUST',
    async run(ctx) {
      const src = hostDirWithMarker(ctx, 'bind-src', 'x\n');
      const config = ctx.config('echo changed > /mnt/marker 2>&1 || echo refused');
      config.mounts!.push({ destination: '/mnt', type: 'bind', source: src, options: ['rbind', 'ro'] });
      expectIncludes((await ctx.run(config)).stdout, 'refused', 'writing to a ro bind mount');
      expectEqual(fs.readFileSync(path.join(src, 'marker'), 'utf8'), 'x\n', 'the host file');
    },
  },
  {
    id: 'mounts.tmpfs-options',
    title: 'mount options (nosuid, nodev, noexec, size, mode) are applied',
    section: specUrl('config', 'linux-mount-options'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/self/mountinfo');
      config.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=2m', 'mode=700'] });
      const line = mountLine((await ctx.run(config)).stdout, '/mnt');
      const [perMount, superOpts] = [line.split(' ')[5], line.split(' - ')[1]];
      for (const o of ['nosuid', 'nodev', 'noexec']) expect(perMount.split(',').includes(o), `/mnt mount options ${perMount} lack ${o}`);
      expectMatch(superOpts, /size=2048k/, '/mnt tmpfs size');
      expectMatch(superOpts, /mode=700/, '/mnt tmpfs mode');
    },
  },
  {
    id: 'mounts.relative-destination',
    title: 'a relative destination is interpreted relative to /',
    section: specUrl('config', 'mounts'),
    level: 'MUST',
    async run(ctx) {
      // "For compatibility with old tools and configurations, it MAY be a relative path, in which
      // case it MUST be interpreted as relative to "/"."
      const config = ctx.config('cat /proc/self/mountinfo');
      config.mounts!.push({ destination: 'mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      mountLine((await ctx.run(config)).stdout, '/mnt');
    },
  },
  {
    id: 'mounts.propagation.rshared',
    title: 'the rshared option makes the mount shared',
    section: specUrl('config', 'linux-mount-options'),
    level: 'MUST',
    async run(ctx) {
      const src = hostDirWithMarker(ctx, 'bind-src', 'x\n');
      const config = ctx.config('cat /proc/self/mountinfo');
      config.mounts!.push({ destination: '/mnt', type: 'bind', source: src, options: ['rbind', 'rshared'] });
      const line = mountLine((await ctx.run(config)).stdout, '/mnt');
      expectMatch(line, / shared:\d+/, 'propagation of /mnt (mountinfo optional fields)');
    },
  },
  {
    id: 'mounts.propagation.rprivate',
    title: 'the rprivate option makes the mount private',
    section: specUrl('config', 'linux-mount-options'),
    level: 'MUST',
    async run(ctx) {
      const src = hostDirWithMarker(ctx, 'bind-src', 'x\n');
      const config = ctx.config('cat /proc/self/mountinfo');
      config.mounts!.push({ destination: '/mnt', type: 'bind', source: src, options: ['rbind', 'rprivate'] });
      const line = mountLine((await ctx.run(config)).stdout, '/mnt');
      const fields = line.split(' - ')[0].split(' ').slice(6);
      expect(fields.length === 0, `/mnt should be private, mountinfo shows ${fields.join(' ')}`);
    },
  },
]);
