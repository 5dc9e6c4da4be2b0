// Why a runtime does not pass a test: a real deviation from the spec (quoted) or a limitation of
// the host. The matrix prints these next to each non-pass; anything not listed is shown as
// "unexplained" so nobody can miss a new difference.
import type { TestResult } from '../framework/testCase';

interface Explanation {
  /** Test id (exact) or prefix ending in '*'. */
  test: string;
  /** Runtime display-name prefix ("runc", "crun"), or '*' for any. */
  runtime: string;
  /** Only for this outcome (default: any non-pass). */
  outcome?: TestResult['outcome'];
  text: string;
}

export const knownDifferences: Explanation[] = [
  // Skips are host limitations by construction: the skip message names the missing capability.
  { test: '*', runtime: '*', outcome: 'skip', text: 'host limitation or declared non-support: the skip reason names it; the test did not run.' },
  {
    test: 'operations.delete.created',
    runtime: '*',
    text: 'real deviation (shared by runc and crun, and kept by layers/runtime/src/lifecycle.ts for caller compatibility): runtime.md#delete "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error." Both delete a created container without --force.',
  },
  {
    test: 'process.rlimits.duplicate',
    runtime: '*',
    text: 'real deviation: config.md#posix-process "If rlimits contains duplicated entries with same type, the runtime MUST generate an error." The runtime applies both entries (the last wins).',
  },
  {
    test: 'domainname',
    runtime: 'runc',
    text: 'real deviation (spec version): runc 1.1.5 implements runtime-spec 1.0.2-dev and ignores `domainname` (added in spec 1.1.0); config.md#extensibility lets it ignore unknown properties, but a 1.2.0 config expects the field applied.',
  },
  {
    test: 'rootfs-propagation.shared',
    runtime: 'runc',
    text: 'real deviation: config-linux.md#rootfs-mount-propagation "shared: the rootfs mount belongs to a new peer group". runc 1.1.5 leaves / without a peer group (checked both with the host mount private and inside `unshare --propagation shared`).',
  },
  {
    test: 'rootfs-propagation.unbindable',
    runtime: 'runc',
    text: 'real deviation: runc 1.1.5 cannot create a container with rootfsPropagation "unbindable" (its rootfs bind mount fails with EINVAL), although config-linux.md#rootfs-mount-propagation lists the value.',
  },
  {
    test: 'hooks.create-phase',
    runtime: 'runc',
    text: 'real deviation (known runc 1.1 bug): poststart hooks run during create. config.md#poststart "The poststart hooks MUST be called after the user-specified process is executed but before the start operation returns."',
  },
  {
    test: 'hooks.start-phase',
    runtime: 'runc',
    text: 'real deviation, same runc 1.1 bug: poststart ran at create, before start.',
  },
  {
    test: 'hooks.poststart-failure',
    runtime: 'runc',
    text: 'real deviation: runc 1.1.5 runs poststart at create and fails create when it fails. runtime.md#lifecycle step 9 "If any poststart hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded."',
  },
  {
    test: 'mounts.propagation.rshared',
    runtime: 'crun',
    text: 'real deviation: config.md#linux-mount-options lists `rshared` as MUST ("Bind mount propagation"); crun 1.8.1 leaves the bind mount without a peer group (runc applies it).',
  },
  {
    test: 'namespaces.duplicate',
    runtime: 'crun',
    text: 'real deviation: config-linux.md#namespaces "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error." crun 1.8.1 accepts two ipc entries.',
  },
  {
    test: 'namespaces.time',
    runtime: 'crun',
    text: 'deviation at SHOULD level: crun 1.8.1 has no `features` command to declare support, and creating a time namespace fails here ("write to sync socket: Broken pipe"); runc declares no time namespace in `features` and is skipped.',
  },
  {
    test: 'operations.create.unapplicable-property',
    runtime: 'crun',
    text: 'real deviation (cgroup v2 hosts only; crun passes on v1): runtime.md#create "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created." crun 1.8.1 fails create for the missing network namespace path but leaves the container\'s cgroup directory in /sys/fs/cgroup, which `crun delete --force` does not remove (the container does not exist).',
  },
  {
    test: 'property.lifecycle-runc-cli',
    runtime: 'crun',
    text: 'runc-CLI compatibility (pause/resume are not runtime.md operations): crun pauses a created container but `state` keeps reporting it as "created" (runc says "paused"), or resumes a container that is not paused without an error.',
  },
];

export function explain(testId: string, runtimeName: string, result: TestResult): string | undefined {
  for (const e of knownDifferences) {
    const testOk = e.test === testId || (e.test.endsWith('*') && testId.startsWith(e.test.slice(0, -1)));
    const rtOk = e.runtime === '*' || runtimeName.startsWith(e.runtime);
    if (testOk && rtOk && (e.outcome === undefined || e.outcome === result.outcome)) return e.text;
  }
  return undefined;
}
