// config-linux.md#seccomp and features.md.
import { validateFeatures } from '@strata/oci';
import { defineTests, specUrl } from '../framework/testCase';
import { expect, expectIncludes, expectMatch } from '../framework/assert';

function semver(v: string): number[] {
  return (/^(\d+)\.(\d+)\.(\d+)/.exec(v) ?? ['', '0', '0', '0']).slice(1).map(Number);
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

const needsFeatures = (_h: unknown, rt: { features?: unknown; featuresRaw?: { stderr: string } }) =>
  rt.features ? undefined : `the runtime has no working "features" command (features.md: a runtime MAY provide it)`;

export const seccompAndFeaturesTests = defineTests([
  {
    id: 'seccomp.errno',
    title: 'a seccomp rule with SCMP_ACT_ERRNO and errnoRet fails that syscall with that errno',
    section: specUrl('config-linux', 'seccomp'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('grep Seccomp: /proc/self/status; mkdir /dev/shm/strata-x 2>&1; ls /dev/shm >/dev/null && echo other-syscalls-work');
      config.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
      };
      const out = (await ctx.run(config)).stdout;
      expectMatch(out, /^Seccomp:\s+2$/m, 'seccomp mode of the process (2 = filter)');
      expectIncludes(out, 'Permission denied', 'mkdir under the filter (errnoRet 13 = EACCES)');
      expectIncludes(out, 'other-syscalls-work', 'syscalls the filter allows');
    },
  },
  {
    id: 'seccomp.args',
    title: 'seccomp argument conditions select which calls a rule applies to',
    section: specUrl('config-linux', 'seccomp'),
    level: 'MUST',
    async run(ctx) {
      // kill(pid, 0) is refused (arg 1 == 0); kill(pid, SIGCONT) is not: same syscall, other args.
      const config = ctx.config('kill -0 $$ 2>&1; echo "zero=$?"; kill -CONT $$; echo "cont=$?"');
      config.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 1, value: 0, op: 'SCMP_CMP_EQ' }] }],
      };
      const out = (await ctx.run(config)).stdout;
      expectIncludes(out, 'zero=1', 'kill -0 under a rule matching signal 0');
      expectIncludes(out, 'cont=0', 'kill -CONT, which the rule does not match');
    },
  },
  {
    id: 'features.document',
    title: 'features prints a valid Features document with ociVersionMin <= ociVersionMax',
    section: specUrl('features', 'features-structure'),
    level: 'MAY',
    requires: needsFeatures,
    async run(ctx) {
      const doc = ctx.info.features!;
      const issues = validateFeatures(doc);
      expect(issues.length === 0, `features document does not match the schema: ${issues.map((i) => `${i.pointer} ${i.message}`).join('; ')}`);
      expect(compareVersions(String(doc.ociVersionMax), String(doc.ociVersionMin)) >= 0, `ociVersionMax ${doc.ociVersionMax} is less than ociVersionMin ${doc.ociVersionMin}`);
    },
  },
  {
    id: 'features.oci-version-max-accepted',
    title: 'a config with ociVersion = ociVersionMax is accepted',
    section: specUrl('features', 'specification-version'),
    level: 'MUST',
    requires: needsFeatures,
    async run(ctx) {
      // features.md: ociVersionMax "The runtime MUST accept this value as the ociVersion property of config.json".
      const config = ctx.config(['true']);
      config.ociVersion = String(ctx.info.features!.ociVersionMax);
      await ctx.run(config);
    },
  },
]);
