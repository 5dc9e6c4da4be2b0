// config.md#process, #posix-process, #linux-process, #user: what the container process gets.
// Each probe prints what the kernel says about the process (busybox applets, /proc/self/*).
import fs from 'node:fs';
import { defineTests, specUrl } from '../framework/testCase';
import { expect, expectEqual, expectIncludes, expectMatch } from '../framework/assert';
import { needsCapSysResource } from '../framework/hostCapabilities';

/** A /proc/self/status field, e.g. CapEff. */
function statusField(out: string, field: string): string {
  return expectMatch(out, new RegExp(`^${field}:\\s*(.*)$`, 'm'), `/proc/self/status ${field}`)[1].trim();
}

const capBits: Record<string, number> = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_AUDIT_WRITE: 29 };
const capMask = (caps: string[]) => caps.reduce((m, c) => m | (1n << BigInt(capBits[c])), 0n).toString(16).padStart(16, '0');

export const configProcessTests = defineTests([
  {
    id: 'process.args',
    title: 'args reach the program unchanged (spaces, globs)',
    section: specUrl('config', 'process'),
    level: 'MUST',
    async run(ctx) {
      const out = await ctx.run(ctx.config(['/bin/sh', '-c', 'for a in "$@"; do echo "[$a]"; done', 'sh', 'one', 'two words', '*', '']));
      expectEqual(out.stdout, '[one]\n[two words]\n[*]\n[]\n', 'arguments as the program saw them');
    },
  },
  {
    id: 'process.env',
    title: 'env sets the environment of the process',
    section: specUrl('config', 'process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('env');
      config.process!.env!.push('STRATA_ONE=value with spaces', 'STRATA_TWO=a=b');
      const out = await ctx.run(config);
      expectIncludes(out.stdout, 'STRATA_ONE=value with spaces\n', 'environment');
      expectIncludes(out.stdout, 'STRATA_TWO=a=b\n', 'environment');
    },
  },
  {
    id: 'process.cwd',
    title: 'cwd is the working directory of the process',
    section: specUrl('config', 'process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('pwd');
      config.process!.cwd = '/usr/bin';
      expectEqual((await ctx.run(config)).stdout.trim(), '/usr/bin', 'pwd');
    },
  },
  {
    id: 'process.user.uid-gid',
    title: 'user.uid and user.gid are the process ids',
    section: specUrl('config', 'posix-platform-user'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('grep -E "^(Uid|Gid):" /proc/self/status');
      config.process!.user = { uid: 1000, gid: 1001 };
      const out = (await ctx.run(config)).stdout;
      expectMatch(out, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m, 'Uid (real, effective, saved, fs)');
      expectMatch(out, /^Gid:\s+1001\s+1001\s+1001\s+1001$/m, 'Gid (real, effective, saved, fs)');
    },
  },
  {
    id: 'process.user.additional-gids',
    title: 'additionalGids are the supplementary groups',
    section: specUrl('config', 'posix-platform-user'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/self/status');
      config.process!.user = { uid: 1000, gid: 1000, additionalGids: [5, 6, 1234] };
      const groups = statusField((await ctx.run(config)).stdout, 'Groups').split(/\s+/).map(Number).sort((a, b) => a - b);
      expectEqual(groups, [5, 6, 1234], 'Groups');
    },
  },
  {
    id: 'process.user.umask',
    title: 'user.umask is the process umask',
    section: specUrl('config', 'posix-platform-user'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('umask');
      config.process!.user = { uid: 0, gid: 0, umask: 0o027 };
      expectEqual((await ctx.run(config)).stdout.trim(), '0027', 'umask');
    },
  },
  {
    id: 'process.rlimits.applied',
    title: 'rlimits set soft and hard limits',
    section: specUrl('config', 'posix-process'),
    level: 'MUST',
    async run(ctx) {
      // "rlim.rlim_cur MUST match the configured value" / "rlim.rlim_max MUST match".
      const config = ctx.config('cat /proc/self/limits');
      config.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 },
        { type: 'RLIMIT_CORE', soft: 0, hard: 4096 },
      ];
      const out = (await ctx.run(config)).stdout;
      expectMatch(out, /^Max open files\s+512\s+1000\s+files/m, 'RLIMIT_NOFILE');
      expectMatch(out, /^Max core file size\s+0\s+4096\s+bytes/m, 'RLIMIT_CORE');
    },
  },
  {
    id: 'process.rlimits.raise-hard',
    title: 'rlimits may raise a hard limit above the runtime\'s own',
    section: specUrl('config', 'posix-process'),
    level: 'MUST',
    requires: needsCapSysResource,
    async run(ctx) {
      const ours = /^Max open files\s+\d+\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
      const hard = Number(ours?.[1] ?? 1024) + 1000;
      const config = ctx.config('cat /proc/self/limits');
      config.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: hard, hard }];
      expectMatch((await ctx.run(config)).stdout, new RegExp(`^Max open files\\s+${hard}\\s+${hard}\\s`, 'm'), 'RLIMIT_NOFILE');
    },
  },
  {
    id: 'process.rlimits.duplicate',
    title: 'duplicate rlimit types generate an error',
    section: specUrl('config', 'posix-process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config(['true']);
      config.process!.rlimits = [
        { type: 'RLIMIT_NOFILE', soft: 512, hard: 1000 },
        { type: 'RLIMIT_NOFILE', soft: 256, hard: 1000 },
      ];
      await ctx.expectCreateError(config, 'two RLIMIT_NOFILE entries');
    },
  },
  {
    id: 'process.rlimits.unknown-type',
    title: 'an rlimit type the kernel does not know generates an error',
    section: specUrl('config', 'posix-process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config(['true']);
      config.process!.rlimits = [{ type: 'RLIMIT_STRATA_NOT_A_LIMIT', soft: 1, hard: 1 }];
      await ctx.expectCreateError(config, 'unknown rlimit type');
    },
  },
  {
    id: 'process.capabilities.sets',
    title: 'capabilities sets are exactly the configured ones',
    section: specUrl('config', 'linux-process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/self/status');
      const caps = ['CAP_CHOWN', 'CAP_KILL'];
      config.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] };
      const out = (await ctx.run(config)).stdout;
      for (const f of ['CapBnd', 'CapEff', 'CapPrm']) expectEqual(statusField(out, f), capMask(caps), f);
      expectEqual(statusField(out, 'CapInh'), capMask([]), 'CapInh');
    },
  },
  {
    id: 'process.capabilities.ambient',
    title: 'ambient capabilities survive for a non-root user',
    section: specUrl('config', 'linux-process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/self/status');
      const caps = ['CAP_KILL'];
      config.process!.user = { uid: 1000, gid: 1000 };
      config.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: caps, ambient: caps };
      const out = (await ctx.run(config)).stdout;
      expectEqual(statusField(out, 'CapAmb'), capMask(caps), 'CapAmb');
      expectEqual(statusField(out, 'CapEff'), capMask(caps), 'CapEff');
    },
  },
  {
    id: 'process.capabilities.unknown-name',
    title: 'an unknown capability name is a warning, not a failure',
    section: specUrl('config', 'linux-process'),
    level: 'SHOULD',
    async run(ctx) {
      // "Any value which cannot be mapped ... MUST be logged as a warning ... Runtimes SHOULD NOT fail".
      const config = ctx.config(['true']);
      config.process!.capabilities!.bounding!.push('CAP_STRATA_NOT_A_CAPABILITY');
      await ctx.run(config);
    },
  },
  {
    id: 'process.no-new-privileges',
    title: 'noNewPrivileges sets the no_new_privs bit (and only when true)',
    section: specUrl('config', 'linux-process'),
    level: 'MUST',
    async run(ctx) {
      for (const [nnp, want] of [[true, '1'], [false, '0']] as const) {
        const config = ctx.config('cat /proc/self/status');
        config.process!.noNewPrivileges = nnp;
        expectEqual(statusField((await ctx.run(config)).stdout, 'NoNewPrivs'), want, `NoNewPrivs with noNewPrivileges=${nnp}`);
      }
    },
  },
  {
    id: 'process.oom-score-adj.set',
    title: 'oomScoreAdj sets oom_score_adj',
    section: specUrl('config', 'linux-process'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('cat /proc/self/oom_score_adj');
      config.process!.oomScoreAdj = 500;
      expectEqual((await ctx.run(config)).stdout.trim(), '500', 'oom_score_adj');
    },
  },
  {
    id: 'process.oom-score-adj.negative',
    title: 'a negative oomScoreAdj is applied',
    section: specUrl('config', 'linux-process'),
    level: 'MUST',
    requires: needsCapSysResource,
    async run(ctx) {
      const config = ctx.config('cat /proc/self/oom_score_adj');
      config.process!.oomScoreAdj = -200;
      expectEqual((await ctx.run(config)).stdout.trim(), '-200', 'oom_score_adj');
    },
  },
  {
    id: 'process.oom-score-adj.unset',
    title: 'without oomScoreAdj the value is inherited unchanged',
    section: specUrl('config', 'linux-process'),
    level: 'MUST',
    async run(ctx) {
      // "If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj."
      // The runtime is our child, so the container inherits our value.
      const ours = fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
      const config = ctx.config('cat /proc/self/oom_score_adj');
      delete config.process!.oomScoreAdj;
      expectEqual((await ctx.run(config)).stdout.trim(), ours, 'oom_score_adj');
    },
  },
  {
    id: 'process.terminal.false',
    title: 'with terminal false the process gets the runtime\'s stdio, not a tty',
    section: specUrl('config', 'process'),
    level: 'MUST',
    async run(ctx) {
      const out = await ctx.run(ctx.config('if [ -t 1 ]; then echo tty; else echo not-a-tty; fi; echo to-stderr >&2'));
      expectEqual(out.stdout.trim(), 'not-a-tty', 'stdout');
      expect(out.stderr.includes('to-stderr'), `stderr of the process did not reach the runtime's stderr (got ${JSON.stringify(out.stderr)})`);
    },
  },
]);
