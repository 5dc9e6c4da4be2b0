// @strata/linux: the kernel API as the upper layers see it.
//   init/     the plan executed by the native strata-init helper (namespaces, mounts, identity...)
//   sys/      libc bindings through koffi (loaded lazily) and /proc readers
//   cgroups/  cgroup v1 and v2, detected at run time
//   seccomp/  the seccomp BPF compiler
export * from './init';
export * from './sys';
export * from './cgroups';
export * from './seccomp';
