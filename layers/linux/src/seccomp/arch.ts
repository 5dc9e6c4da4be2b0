// Architectures: the AUDIT_ARCH_* value the kernel puts in seccomp_data.arch (linux/audit.h), and
// the syscall table a filter for that ABI uses.
import { X86_64, X86, X32, AARCH64 } from './syscallTables';

export interface ArchInfo {
  audit: number;
  table: Record<string, number>;
  /** 64-bit ABIs compare syscall arguments as 64-bit values (two 32-bit halves). */
  bits64: boolean;
}

export const X32_SYSCALL_BIT = 0x40000000;

export const ARCHES: Record<string, ArchInfo> = {
  SCMP_ARCH_X86_64: { audit: 0xc000003e, table: X86_64, bits64: true },
  SCMP_ARCH_X86: { audit: 0x40000003, table: X86, bits64: false },
  // x32 shares AUDIT_ARCH_X86_64 and marks its syscall numbers with bit 30.
  SCMP_ARCH_X32: { audit: 0xc000003e, table: X32, bits64: true },
  SCMP_ARCH_AARCH64: { audit: 0xc00000b7, table: AARCH64, bits64: true },
};

/** Names the spec lists that this compiler has no table for: filters are built without them. */
export const KNOWN_UNSUPPORTED = [
  'SCMP_ARCH_ARM', 'SCMP_ARCH_MIPS', 'SCMP_ARCH_MIPS64', 'SCMP_ARCH_MIPS64N32', 'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL64N32', 'SCMP_ARCH_PPC', 'SCMP_ARCH_PPC64', 'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390', 'SCMP_ARCH_S390X', 'SCMP_ARCH_PARISC', 'SCMP_ARCH_PARISC64', 'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB',
];

export function nativeArch(): string {
  return process.arch === 'arm64' ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64';
}

export function syscallNumber(name: string, arch = nativeArch()): number | undefined {
  return ARCHES[arch]?.table[name];
}
