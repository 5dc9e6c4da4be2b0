// The RuntimeDefault seccomp profile (cri-api SecurityProfile.RuntimeDefault): what a container
// gets when the pod asks for "the runtime's default". Docker and containerd ship an allowlist of
// ~350 syscalls; Strata's default is the equivalent *denylist*, written from the list Docker
// documents as "significant syscalls blocked by the default profile" (docs.docker.com, seccomp):
// everything is allowed except calls that reach kernel-global state. As in Docker's profile,
// a group is unblocked when the container holds the capability that guards it (a container given
// CAP_SYS_ADMIN may mount; one given CAP_SYS_PTRACE may ptrace). Blocked calls fail with EPERM;
// clone3 fails with ENOSYS so that libc falls back to clone(2), whose flags a filter can see.
import type { SeccompProfile, SeccompSyscall } from '@strata/linux';

const EPERM = 1;
const ENOSYS = 38;

/** Blocked unless the container has the capability (Docker's "includes.caps" groups). */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_SYS_ADMIN: ['mount', 'umount', 'umount2', 'pivot_root', 'unshare', 'setns', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr', 'quotactl', 'lookup_dcookie', 'perf_event_open', 'name_to_handle_at', 'bpf', 'fanotify_init'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime', 'adjtimex'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_NICE: ['mbind', 'set_mempolicy', 'move_pages', 'get_mempolicy'],
  CAP_SYSLOG: ['syslog'],
};

/** Blocked whatever the capabilities (no container should touch these). */
const ALWAYS = ['add_key', 'keyctl', 'request_key', 'kexec_load', 'kexec_file_load', 'swapon', 'swapoff', 'uselib', 'userfaultfd', 'ustat', 'sysfs', '_sysctl', 'vm86', 'vm86old', 'nfsservctl', 'create_module', 'get_kernel_syms', 'query_module'];

export function runtimeDefaultProfile(capabilities: string[]): SeccompProfile {
  const blocked = [...ALWAYS];
  for (const [cap, names] of Object.entries(BY_CAPABILITY)) if (!capabilities.includes(cap)) blocked.push(...names);
  const syscalls: SeccompSyscall[] = [
    { names: blocked, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
  ];
  return { defaultAction: 'SCMP_ACT_ALLOW', architectures: process.arch === 'arm64' ? ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'] : ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls };
}
