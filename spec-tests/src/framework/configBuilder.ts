// The suite's own base config.json: what a minimal, ordinary Linux container needs (the shape
// `runc spec` popularised, written here from config.md / config-linux.md), with `terminal: false`
// so the runtime hands its stdio to the container and the probe's output reaches a file.
// Each test starts from baseConfig() and changes only what it checks.
import type { Spec, Mount, LinuxNamespace } from '@strata/oci';

/** The version the suite's configs claim; every runtime in the field accepts 1.0.x. */
export const CONFIG_OCI_VERSION = '1.0.2';

export const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export const DEFAULT_NAMESPACES: LinuxNamespace['type'][] = ['pid', 'network', 'ipc', 'uts', 'mount'];

export function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ];
}

/** config-linux.md#masked-paths / #readonly-paths: the usual hardening lists. */
export const DEFAULT_MASKED = ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi'];
export const DEFAULT_READONLY = ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface BaseConfigOptions {
  /** process.args; the probe run inside the container. */
  args: string[];
  /** Absolute path of the root filesystem. */
  rootfs: string;
  readonlyRoot?: boolean;
  hostname?: string;
}

export function baseConfig(opts: BaseConfigOptions): Spec {
  return {
    ociVersion: CONFIG_OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: opts.args,
      env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=dumb'],
      cwd: '/',
      capabilities: {
        bounding: [...DEFAULT_CAPS],
        effective: [...DEFAULT_CAPS],
        permitted: [...DEFAULT_CAPS],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: opts.rootfs, readonly: opts.readonlyRoot ?? true },
    hostname: opts.hostname ?? 'spec-test',
    mounts: defaultMounts(),
    linux: {
      namespaces: DEFAULT_NAMESPACES.map((type) => ({ type })),
      maskedPaths: [...DEFAULT_MASKED],
      readonlyPaths: [...DEFAULT_READONLY],
    },
  };
}

/** `sh -c SCRIPT`: probes are small busybox shell scripts. */
export function shArgs(script: string): string[] {
  return ['/bin/sh', '-c', script];
}

/** Deep copy, so a test's edits never reach another test's config. */
export function cloneConfig(c: Spec): Spec {
  return JSON.parse(JSON.stringify(c)) as Spec;
}

/** The config.json text: pretty, `hostname` never the last key (self-tests edit it with sed). */
export function serializeConfig(c: Spec): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
