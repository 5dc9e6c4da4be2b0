// Capability names and numbers (capabilities(7), linux/capability.h).
import fs from 'node:fs';

export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT',
  'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE',
  'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN',
  'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

export function capabilityNumber(name: string): number | undefined {
  const i = (CAPABILITIES as readonly string[]).indexOf(name.toUpperCase());
  return i < 0 ? undefined : i;
}

export function capabilityName(n: number): string | undefined {
  return CAPABILITIES[n];
}

/** The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
export function lastCap(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    return CAPABILITIES.length - 1;
  }
}

/** A capability set as a 64-bit mask; names this kernel lacks are returned in `unknown`. */
export function capMask(names: readonly string[]): { mask: bigint; unknown: string[] } {
  let mask = 0n;
  const unknown: string[] = [];
  const last = lastCap();
  for (const n of names) {
    const i = capabilityNumber(n);
    if (i === undefined || i > last) unknown.push(n);
    else mask |= 1n << BigInt(i);
  }
  return { mask, unknown };
}
