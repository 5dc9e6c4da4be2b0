// A classic-BPF seccomp filter (seccomp(2), SECCOMP_SET_MODE_FILTER) compiled from an OCI
// profile, without libseccomp.
//
// Layout (a student can print it with disassemble()):
//   1. load seccomp_data.arch; for each listed architecture jump to its section; else kill
//      the process (the kernel ABI is not one the profile was written for).
//   2. per architecture: load seccomp_data.nr; for each syscall with rules, "jeq nr" -> jump to
//      its rule block; nothing matched -> the default action.
//   3. rule blocks: the rules that name the syscall, in profile order; a rule's argument checks
//      are AND-ed; the first rule whose checks all pass decides (OR between rules).
// Classic BPF conditional jumps have 8-bit offsets, so every conditional jump here only skips
// the next instruction, which is an unconditional JA with a 32-bit offset to the real target:
// no profile size can overflow a jump.
import { ARCHES, KNOWN_UNSUPPORTED, X32_SYSCALL_BIT, nativeArch } from './arch';
import { SeccompError, type SeccompArg, type SeccompProfile } from './profile';

// BPF opcodes (linux/bpf_common.h)
const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JMP_JA = 0x05;
const JEQ_K = 0x15;
const JGT_K = 0x25;
const JGE_K = 0x35;
const RET_K = 0x06;

// seccomp_data offsets
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLo = (i: number) => 16 + 8 * i;
const argHi = (i: number) => 16 + 8 * i + 4;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const SECCOMP_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_NEW_LISTENER: 8,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH: 16,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
export const SECCOMP_ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY'];

const EPERM = 1;

export interface CompiledSeccomp {
  program: Buffer;
  flags: number;
  instructions: number;
  skipped: string[];
  needsListener: boolean;
}

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
  /** For JA: the label to resolve. */
  target?: string;
  /** For a conditional jump: the label its "true" branch goes to (must be <= 255 ahead). */
  jtTarget?: string;
}

class Assembler {
  readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();
  private n = 0;
  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
  label(name: string): void {
    this.labels.set(name, this.insns.length);
  }
  emit(code: number, k = 0, jt = 0, jf = 0): void {
    this.insns.push({ code, jt, jf, k: k >>> 0 });
  }
  ld(off: number): void {
    this.emit(LD_W_ABS, off);
  }
  ret(action: number): void {
    this.emit(RET_K, action);
  }
  ja(target: string): void {
    this.insns.push({ code: JMP_JA, jt: 0, jf: 0, k: 0, target });
  }
  /** if (A == k) goto target, where target is at most 255 instructions ahead. */
  shortJeq(k: number, target: string): void {
    this.insns.push({ code: JEQ_K, jt: 0, jf: 0, k: k >>> 0, jtTarget: target });
  }
  /** if (A op k) goto target */
  jumpIf(op: number, k: number, target: string): void {
    this.emit(op, k, 0, 1);
    this.ja(target);
  }
  /** if !(A op k) goto target */
  jumpUnless(op: number, k: number, target: string): void {
    this.emit(op, k, 1, 0);
    this.ja(target);
  }
  assemble(): Buffer {
    const b = Buffer.alloc(this.insns.length * 8);
    this.insns.forEach((ins, pc) => {
      let k = ins.k;
      if (ins.jtTarget !== undefined) {
        const t = this.labels.get(ins.jtTarget);
        if (t === undefined || t - (pc + 1) < 0 || t - (pc + 1) > 255) throw new Error(`seccomp compiler: short jump to ${ins.jtTarget} out of range`);
        ins.jt = t - (pc + 1);
      }
      if (ins.target !== undefined) {
        const t = this.labels.get(ins.target);
        if (t === undefined) throw new Error(`seccomp compiler: unresolved label ${ins.target}`);
        k = t - (pc + 1);
      }
      b.writeUInt16LE(ins.code, pc * 8);
      b.writeUInt8(ins.jt, pc * 8 + 2);
      b.writeUInt8(ins.jf, pc * 8 + 3);
      b.writeUInt32LE(k >>> 0, pc * 8 + 4);
    });
    return b;
  }
}

function actionValue(action: string, errnoRet: number | undefined, defaultErrnoRet: number | undefined, pointer: string): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | ((errnoRet ?? defaultErrnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | ((errnoRet ?? defaultErrnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
    case 'SCMP_ACT_NOTIFY':
      return SECCOMP_RET.USER_NOTIF;
    default:
      throw new SeccompError(`unknown action ${JSON.stringify(action)} (known: ${SECCOMP_ACTIONS.join(', ')})`, pointer);
  }
}

const split = (v: number | bigint) => {
  const b = BigInt.asUintN(64, BigInt(v));
  return { hi: Number(b >> 32n), lo: Number(b & 0xffffffffn) };
};

/** Emit checks of one argument; jumps to `fail` when the condition does not hold. */
function argCheck(a: Assembler, arg: SeccompArg, bits64: boolean, fail: string, pointer: string): void {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) throw new SeccompError(`argument index must be 0..5 (got ${arg.index})`, `${pointer}/index`);
  const v = split(arg.value);
  const ok = a.fresh('argok');
  const i = arg.index;
  const hiPart = (pass: () => void) => {
    if (bits64) pass();
  };
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      hiPart(() => (a.ld(argHi(i)), a.jumpUnless(JEQ_K, v.hi, fail)));
      a.ld(argLo(i));
      a.jumpUnless(JEQ_K, v.lo, fail);
      break;
    case 'SCMP_CMP_NE':
      hiPart(() => (a.ld(argHi(i)), a.jumpUnless(JEQ_K, v.hi, ok)));
      a.ld(argLo(i));
      a.jumpIf(JEQ_K, v.lo, fail);
      break;
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      hiPart(() => (a.ld(argHi(i)), a.jumpIf(JGT_K, v.hi, ok), a.jumpUnless(JEQ_K, v.hi, fail)));
      a.ld(argLo(i));
      a.jumpUnless(arg.op === 'SCMP_CMP_GT' ? JGT_K : JGE_K, v.lo, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      hiPart(() => (a.ld(argHi(i)), a.jumpIf(JGT_K, v.hi, fail), a.jumpUnless(JEQ_K, v.hi, ok)));
      a.ld(argLo(i));
      a.jumpIf(arg.op === 'SCMP_CMP_LT' ? JGE_K : JGT_K, v.lo, fail);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      // config-linux.md: value is the mask, valueTwo the value the masked argument must equal.
      const want = split(arg.valueTwo ?? 0);
      hiPart(() => (a.ld(argHi(i)), a.emit(ALU_AND_K, v.hi), a.jumpUnless(JEQ_K, want.hi, fail)));
      a.ld(argLo(i));
      a.emit(ALU_AND_K, v.lo);
      a.jumpUnless(JEQ_K, want.lo, fail);
      break;
    }
    default:
      throw new SeccompError(`unknown operator ${JSON.stringify(arg.op)} (known: ${SECCOMP_OPERATORS.join(', ')})`, `${pointer}/op`);
  }
  a.label(ok);
}

export function compileSeccomp(profile: SeccompProfile, opts: { nativeArch?: string } = {}): CompiledSeccomp {
  const P = '/linux/seccomp';
  const defaultAction = actionValue(profile.defaultAction, undefined, profile.defaultErrnoRet, `${P}/defaultAction`);
  let needsListener = profile.defaultAction === 'SCMP_ACT_NOTIFY';
  let flags = 0;
  (profile.flags ?? []).forEach((f, i) => {
    const bit = SECCOMP_FLAGS[f];
    if (bit === undefined) throw new SeccompError(`unknown flag ${JSON.stringify(f)}`, `${P}/flags/${i}`);
    flags |= bit;
  });
  const skipped: string[] = [];
  const listed = profile.architectures && profile.architectures.length ? profile.architectures : [opts.nativeArch ?? nativeArch()];
  const arches: string[] = [];
  listed.forEach((name, i) => {
    if (ARCHES[name]) arches.push(name);
    else if (KNOWN_UNSUPPORTED.includes(name)) skipped.push(`arch:${name}`);
    else throw new SeccompError(`unknown architecture ${JSON.stringify(name)}`, `${P}/architectures/${i}`);
  });
  // Validate actions and collect which rules apply to each syscall name.
  const rules = (profile.syscalls ?? []).map((s, i) => {
    const action = actionValue(s.action, s.errnoRet, profile.defaultErrnoRet, `${P}/syscalls/${i}/action`);
    if (s.action === 'SCMP_ACT_NOTIFY') needsListener = true;
    if (!Array.isArray(s.names) || s.names.length === 0) throw new SeccompError('names must list at least one syscall', `${P}/syscalls/${i}/names`);
    return { ...s, value: action, pointer: `${P}/syscalls/${i}` };
  });

  const a = new Assembler();
  const x32Listed = arches.includes('SCMP_ARCH_X32');
  const seenAudit = new Set<number>();
  a.ld(OFF_ARCH);
  const sections: { arch: string; label: string }[] = [];
  for (const arch of arches) {
    const audit = ARCHES[arch].audit;
    if (seenAudit.has(audit)) continue; // x32 is handled inside the x86_64 section
    seenAudit.add(audit);
    const label = a.fresh(`arch_${arch}_`);
    sections.push({ arch, label });
    a.jumpIf(JEQ_K, audit, label);
  }
  a.ret(SECCOMP_RET.KILL_PROCESS); // an ABI the profile does not cover

  const blocks: { label: string; rules: typeof rules; bits64: boolean }[] = [];
  // A name is "skipped" only when no listed architecture knows it (chown32 exists on x86 only).
  const unknownOn = new Map<string, number>();
  let dispatched = 0;
  const dispatch = (arch: string, table: Record<string, number>, bits64: boolean) => {
    dispatched++;
    const byNr = new Map<number, typeof rules>();
    for (const r of rules) {
      for (const name of r.names) {
        const nr = table[name];
        if (nr === undefined) {
          unknownOn.set(name, (unknownOn.get(name) ?? 0) + 1);
          continue;
        }
        const list = byNr.get(nr) ?? [];
        if (!list.includes(r)) list.push(r);
        byNr.set(nr, list);
      }
    }
    const sorted = [...byNr].sort((x, y) => x[0] - y[0]);
    // Syscalls decided by one rule without argument checks (most of any profile) take one
    // instruction each: "jeq nr" straight to a shared "ret action" at the end of a chunk of at
    // most CHUNK of them, so the 8-bit jump offset always suffices.
    const simple = sorted.filter(([, rs]) => rs.length === 1 && !(rs[0].args ?? []).length);
    const CHUNK = 200;
    for (let i = 0; i < simple.length; i += CHUNK) {
      const chunk = simple.slice(i, i + CHUNK);
      const rets = new Map<number, string>();
      for (const [, rs] of chunk) if (!rets.has(rs[0].value)) rets.set(rs[0].value, a.fresh('ret_'));
      for (const [nr, rs] of chunk) a.shortJeq(nr, rets.get(rs[0].value)!);
      const after = a.fresh('chunk_end_');
      a.ja(after);
      for (const [value, label] of rets) {
        a.label(label);
        a.ret(value);
      }
      a.label(after);
    }
    for (const [nr, rs] of sorted) {
      if (rs.length === 1 && !(rs[0].args ?? []).length) continue;
      const label = a.fresh(`sys_${arch}_${nr}_`);
      blocks.push({ label, rules: rs, bits64 });
      a.jumpIf(JEQ_K, nr, label);
    }
    a.ret(defaultAction);
  };
  for (const { arch, label } of sections) {
    a.label(label);
    a.ld(OFF_NR);
    if (ARCHES[arch].audit === ARCHES.SCMP_ARCH_X86_64.audit) {
      // On x86_64 the same arch value carries two ABIs: bit 30 of nr marks x32.
      const x32 = a.fresh('x32_');
      a.jumpIf(JGE_K, X32_SYSCALL_BIT, x32);
      if (arches.includes('SCMP_ARCH_X86_64')) dispatch('SCMP_ARCH_X86_64', ARCHES.SCMP_ARCH_X86_64.table, true);
      else a.ret(SECCOMP_RET.KILL_PROCESS);
      a.label(x32);
      if (x32Listed) dispatch('SCMP_ARCH_X32', ARCHES.SCMP_ARCH_X32.table, true);
      else a.ret(SECCOMP_RET.KILL_PROCESS);
    } else {
      dispatch(arch, ARCHES[arch].table, ARCHES[arch].bits64);
    }
  }
  for (const b of blocks) {
    a.label(b.label);
    for (const r of b.rules) {
      const next = a.fresh('next_');
      (r.args ?? []).forEach((arg, j) => argCheck(a, arg, b.bits64, next, `${r.pointer}/args/${j}`));
      a.ret(r.value);
      a.label(next);
    }
    a.ret(defaultAction);
  }
  for (const [name, n] of unknownOn) if (n >= dispatched) skipped.push(name);
  const program = a.assemble();
  const instructions = program.length / 8;
  if (instructions > 4096) throw new SeccompError(`the filter needs ${instructions} BPF instructions; the kernel allows 4096 (BPF_MAXINSNS)`, P);
  return { program, flags, instructions, skipped, needsListener };
}
