// config-linux.md#masked-paths, #readonly-paths, #sysctl, #rootfs-mount-propagation.
import { defineTests, specUrl } from '../framework/testCase';
import os from 'node:os';
import { expect, expectEqual, expectIncludes } from '../framework/assert';
import { readMountInfo } from '../framework/mountInfo';

/**
 * A slave rootfs shows `master:N` only if the host mount holding the bundle is shared; on a host
 * where it is private, slave and private look the same and the test cannot tell them apart.
 */
function needsSharedWorkDir(): string | undefined {
  const dir = os.tmpdir();
  const m = readMountInfo()
    .filter((e) => dir === e.mountPoint || dir.startsWith(e.mountPoint === '/' ? '/' : `${e.mountPoint}/`))
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length)[0];
  return m && m.optional.some((f) => f.startsWith('shared:')) ? undefined : `the host mount holding ${dir} is private, so a slave rootfs cannot be told from a private one`;
}

export const linuxFilesystemTests = defineTests([
  {
    id: 'masked-paths.file',
    title: 'a masked file cannot be read',
    section: specUrl('config-linux', 'masked-paths'),
    level: 'MUST',
    async run(ctx) {
      // The rootfs's /etc/hostname holds "strata"; masked, it must read as nothing.
      const config = ctx.config('echo "[$(cat /etc/hostname 2>/dev/null)]"');
      config.linux!.maskedPaths = ['/etc/hostname'];
      expectEqual((await ctx.run(config)).stdout.trim(), '[]', 'content of the masked /etc/hostname');
    },
  },
  {
    id: 'masked-paths.directory',
    title: 'a masked directory shows no entries',
    section: specUrl('config-linux', 'masked-paths'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('ls -A /usr/sbin | wc -l');
      config.linux!.maskedPaths = ['/usr/sbin'];
      expectEqual((await ctx.run(config)).stdout.trim(), '0', 'entries in the masked /usr/sbin');
    },
  },
  {
    id: 'readonly-paths',
    title: 'a readonly path cannot be written',
    section: specUrl('config-linux', 'readonly-paths'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('touch /mnt/x 2>&1 && echo wrote || echo refused');
      config.mounts!.push({ destination: '/mnt', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
      config.linux!.readonlyPaths = ['/mnt'];
      const out = (await ctx.run(config)).stdout;
      expectIncludes(out, 'refused', 'writing under the readonly /mnt');
      expectIncludes(out, 'Read-only file system', 'error of the write');
    },
  },
  {
    id: 'sysctl',
    title: 'sysctl values are set in the container',
    section: specUrl('config-linux', 'sysctl'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced');
      config.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shm_rmid_forced': '1' };
      expectEqual((await ctx.run(config)).stdout.trim().split('\n'), ['1', '1'], 'net.ipv4.ip_forward, kernel.shm_rmid_forced');
    },
  },
  ...(['private', 'shared', 'slave', 'unbindable'] as const).map((mode) => ({
    id: `rootfs-propagation.${mode}`,
    title: `rootfsPropagation ${mode} sets the propagation of /`,
    section: specUrl('config-linux', 'rootfs-mount-propagation'),
    level: 'MUST' as const,
    requires: mode === 'slave' ? needsSharedWorkDir : undefined,
    async run(ctx: import('../framework/context').TestContext) {
      const config = ctx.config('cat /proc/self/mountinfo');
      config.linux!.rootfsPropagation = mode;
      const out = (await ctx.run(config)).stdout;
      const line = out.split('\n').find((l) => l.split(' ')[4] === '/');
      expect(line, 'no / in the container mountinfo');
      const fields = line.split(' - ')[0].split(' ').slice(6);
      const want: Record<typeof mode, (f: string[]) => boolean> = {
        private: (f) => f.length === 0,
        shared: (f) => f.some((x) => x.startsWith('shared:')),
        slave: (f) => f.some((x) => x.startsWith('master:')) && !f.some((x) => x.startsWith('shared:')),
        unbindable: (f) => f.includes('unbindable'),
      };
      expect(want[mode](fields), `propagation fields of / are [${fields.join(' ')}], not ${mode}`);
    },
  })),
]);
