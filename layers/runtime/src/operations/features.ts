// features.md: what this runtime implements, as data (the same lists the code uses).
import type { Features } from '@strata/oci';
import { CAPABILITIES, SECCOMP_ACTIONS, SECCOMP_OPERATORS, SECCOMP_FLAGS, ARCHES } from '@strata/linux';
import { KNOWN_MOUNT_OPTIONS } from '../plan/mountOptions';
import { NAMESPACES } from '../plan/namespaces';

export function features(): Features {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...KNOWN_MOUNT_OPTIONS].sort(),
    linux: {
      namespaces: Object.keys(NAMESPACES).map((n) => n).sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: false },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_ACTIONS].filter((a) => a !== 'SCMP_ACT_NOTIFY'),
        operators: [...SECCOMP_OPERATORS],
        archs: Object.keys(ARCHES),
        knownFlags: Object.keys(SECCOMP_FLAGS),
        supportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
    },
    annotations: {
      'org.strata.runtime.version': '0.1.0',
      'org.strata.runtime.init': 'strata-init (static C helper executing a TypeScript-computed plan)',
      'org.strata.runtime.checkpoint.enabled': 'false',
    },
  };
}
