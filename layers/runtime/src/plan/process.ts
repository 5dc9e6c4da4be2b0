// The process half of the plan (config.md#process and config-linux.md): rlimits, identity,
// capabilities, no_new_privs, seccomp, cwd, and the final execve. Shared by create and exec.
import type { Process, Spec } from '@strata/oci';
import { capMask, compileSeccomp, type InitOp } from '@strata/linux';
import { RuntimeError } from '../errors';
import { warn, debug } from '../warnings';

export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

export function rlimitOps(p: Process, pointer = '/process'): InitOp[] {
  return (p.rlimits ?? []).map((r, i) => {
    const n = RLIMITS[r.type];
    if (n === undefined) {
      throw new RuntimeError('INVALID_CONFIG', `config.json ${pointer}/rlimits/${i}/type: unknown rlimit ${JSON.stringify(r.type)}`, { pointer: `${pointer}/rlimits/${i}/type` });
    }
    return { op: 'setrlimit', args: [n, BigInt.asUintN(64, BigInt(r.soft)), BigInt.asUintN(64, BigInt(r.hard))], why: r.type } as InitOp;
  });
}

function mask(names: string[] | undefined, which: string): bigint {
  const { mask: m, unknown } = capMask(names ?? []);
  // runc and crun accept unknown capability names and ignore them with a warning.
  for (const u of unknown) warn(`ignoring unknown or unavailable capability ${JSON.stringify(u)} in ${which}`);
  return m;
}

const hex = (b: bigint) => `0x${b.toString(16)}`;

export interface IdentityOptions {
  /** Skip setgroups: a user namespace whose setgroups file says "deny". */
  setgroupsDenied?: boolean;
}

/**
 * The order matters (as in runc's finalizeNamespace):
 *   1. shrink the bounding set (needs CAP_SETPCAP, which we still have as root);
 *   2. keep capabilities across the uid change (PR_SET_KEEPCAPS), change gid/groups/uid;
 *   3. set the effective/permitted/inheritable sets explicitly, then raise ambient ones.
 * When noNewPrivileges is false a seccomp filter must be installed *before* we drop
 * CAP_SYS_ADMIN (seccomp(2): without no_new_privs the caller needs CAP_SYS_ADMIN).
 */
export function identityOps(spec: Spec, p: Process, seccomp: InitOp | undefined, opts: IdentityOptions = {}): InitOp[] {
  const ops: InitOp[] = [];
  const caps = p.capabilities ?? {};
  if (p.noNewPrivileges) ops.push({ op: 'no-new-privs', args: [], why: 'process.noNewPrivileges' });
  else if (seccomp) ops.push({ ...seccomp, why: 'seccomp while we still have CAP_SYS_ADMIN (no noNewPrivileges)' });
  ops.push({ op: 'caps-bounding', args: [hex(mask(caps.bounding, 'bounding'))], why: 'capabilities.bounding' });
  ops.push({ op: 'keepcaps', args: [1] });
  const uid = p.user?.uid ?? 0;
  const gid = p.user?.gid ?? 0;
  if (!opts.setgroupsDenied) {
    ops.push({ op: 'setgroups', args: (p.user?.additionalGids ?? []).map(String), why: 'process.user.additionalGids' });
  }
  ops.push({ op: 'setresgid', args: [gid] }, { op: 'setresuid', args: [uid] });
  ops.push({ op: 'keepcaps', args: [0] });
  ops.push({
    op: 'capset',
    args: [hex(mask(caps.effective, 'effective')), hex(mask(caps.permitted, 'permitted')), hex(mask(caps.inheritable, 'inheritable'))],
    why: 'effective permitted inheritable',
  });
  const ambient = mask(caps.ambient, 'ambient');
  if (ambient) ops.push({ op: 'ambient', args: [hex(ambient)], why: 'capabilities.ambient' });
  void spec;
  return ops;
}

/** The compiled seccomp filter as an op (config-linux.md#seccomp), or undefined. */
export function seccompOp(spec: Spec): InitOp | undefined {
  const profile = spec.linux?.seccomp;
  if (!profile) return undefined;
  let compiled;
  try {
    compiled = compileSeccomp(profile as never);
  } catch (e) {
    const err = e as Error & { pointer?: string };
    throw new RuntimeError('INVALID_CONFIG', `config.json ${err.pointer ?? '/linux/seccomp'}: ${err.message}`, { pointer: err.pointer ?? '/linux/seccomp' });
  }
  if (compiled.needsListener) {
    throw new RuntimeError('UNSUPPORTED', 'config.json /linux/seccomp: SCMP_ACT_NOTIFY (seccomp user notification via listenerPath) is not supported by strata-runtime', { pointer: '/linux/seccomp' });
  }
  // runc (libseccomp) skips unknown syscall names silently; we note them at debug level.
  if (compiled.skipped.length) debug(`seccomp: no syscall number for ${compiled.skipped.join(', ')} on the listed architectures; skipped`);
  return { op: 'seccomp', args: [compiled.flags, compiled.program], why: `${compiled.instructions} BPF instructions` };
}

/** HOME as runc sets it when the environment lacks it: the user's passwd entry, else "/". */
export function withHome(env: string[], home: string | undefined): string[] {
  return env.some((e) => e.startsWith('HOME=')) ? env : [...env, `HOME=${home ?? '/'}`];
}

export function pathOf(env: string[]): string {
  const e = env.find((x) => x.startsWith('PATH='));
  // runc (Go's exec.LookPath) searches nothing when PATH is unset; busybox-style images set it.
  return e ? e.slice(5) : '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
}

export function execOps(p: Process, env: string[]): InitOp[] {
  const args = p.args ?? [];
  if (args.length === 0) throw new RuntimeError('INVALID_CONFIG', 'config.json /process/args: args must not be empty', { pointer: '/process/args' });
  return [{ op: 'lookup', args: [args[0], pathOf(env)], why: 'find the executable in the container PATH' }];
}

export function finalExec(p: Process, env: string[]): InitOp {
  const args = p.args ?? [];
  return { op: 'exec', args: [args.length, ...args, env.length, ...env], why: 'execve: the container process replaces the init' };
}
