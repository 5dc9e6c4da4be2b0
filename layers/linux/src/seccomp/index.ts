export { compileSeccomp, SECCOMP_RET, SECCOMP_FLAGS, SECCOMP_ACTIONS, SECCOMP_OPERATORS, type CompiledSeccomp } from './compile';
export { disassemble } from './disassemble';
export { ARCHES, syscallNumber, nativeArch, X32_SYSCALL_BIT } from './arch';
export { SeccompError, type SeccompProfile, type SeccompSyscall, type SeccompArg } from './profile';
