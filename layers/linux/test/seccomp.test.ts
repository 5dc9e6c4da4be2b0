// The seccomp compiler, checked by running its programs in a BPF interpreter, and against a
// straightforward reference evaluation of the profile (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSeccomp, SECCOMP_RET, ARCHES, disassemble, X32_SYSCALL_BIT } from '../src/seccomp';
import { runSeccomp } from './bpfInterpreter';

const X86_64 = ARCHES.SCMP_ARCH_X86_64.audit;
const I386 = ARCHES.SCMP_ARCH_X86.audit;
const nr = (n: string) => ARCHES.SCMP_ARCH_X86_64.table[n];
const ERRNO = (e: number) => (SECCOMP_RET.ERRNO | e) >>> 0;

describe('compileSeccomp', () => {
  it('applies per-syscall actions and the default action', () => {
    const { program } = compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
        { names: ['reboot'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    });
    expect(runSeccomp(program, { nr: nr('read'), arch: X86_64 })).toBe(SECCOMP_RET.ALLOW);
    expect(runSeccomp(program, { nr: nr('write'), arch: X86_64 })).toBe(SECCOMP_RET.ALLOW);
    expect(runSeccomp(program, { nr: nr('mkdir'), arch: X86_64 })).toBe(ERRNO(1));
    expect(runSeccomp(program, { nr: nr('reboot'), arch: X86_64 })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(runSeccomp(program, { nr: nr('open'), arch: X86_64 })).toBe(ERRNO(38));
  });

  it('kills a syscall from an architecture the profile does not list, and x32 unless listed', () => {
    const { program } = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'] });
    expect(runSeccomp(program, { nr: 0, arch: I386 })).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(runSeccomp(program, { nr: X32_SYSCALL_BIT | 0, arch: X86_64 })).toBe(SECCOMP_RET.KILL_PROCESS);
    const withX32 = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86'] }).program;
    expect(runSeccomp(withX32, { nr: X32_SYSCALL_BIT | 0, arch: X86_64 })).toBe(SECCOMP_RET.ALLOW);
    expect(runSeccomp(withX32, { nr: 5, arch: I386 })).toBe(SECCOMP_RET.ALLOW);
  });

  it('compares 64-bit arguments with every operator', () => {
    const big = 0x1_0000_0005n;
    const mk = (op: string, value: bigint, valueTwo?: bigint) =>
      compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 7, args: [{ index: 1, value: value as never, valueTwo: valueTwo as never, op }] }] }).program;
    const hit = (p: Buffer, a: bigint) => runSeccomp(p, { nr: nr('ioctl'), arch: X86_64, args: [0n, a] }) === ERRNO(7);
    const cases: [string, (a: bigint) => boolean][] = [
      ['SCMP_CMP_EQ', (a) => a === big],
      ['SCMP_CMP_NE', (a) => a !== big],
      ['SCMP_CMP_LT', (a) => a < big],
      ['SCMP_CMP_LE', (a) => a <= big],
      ['SCMP_CMP_GT', (a) => a > big],
      ['SCMP_CMP_GE', (a) => a >= big],
    ];
    for (const [op, ref] of cases) {
      const p = mk(op, big);
      for (const a of [0n, 5n, big - 1n, big, big + 1n, 0x2_0000_0000n, 0xffff_ffff_ffff_ffffn]) expect(hit(p, a), `${op} ${a}`).toBe(ref(a));
    }
    const masked = mk('SCMP_CMP_MASKED_EQ', 0xff00n, 0x1200n);
    expect(hit(masked, 0x12ffn)).toBe(true);
    expect(hit(masked, 0x13ffn)).toBe(false);
  });

  it('ANDs the args of one rule and ORs the rules of one syscall (first match wins)', () => {
    const { program } = compileSeccomp({
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 1, value: 9, op: 'SCMP_CMP_EQ' }] },
        { names: ['kill'], action: 'SCMP_ACT_ERRNO', errnoRet: 2, args: [{ index: 1, value: 15, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    const run = (pid: bigint, sig: bigint) => runSeccomp(program, { nr: nr('kill'), arch: X86_64, args: [pid, sig] });
    expect(run(1n, 9n)).toBe(ERRNO(1));
    expect(run(2n, 9n)).toBe(SECCOMP_RET.ALLOW);
    expect(run(1n, 15n)).toBe(ERRNO(2));
  });

  it('keeps a docker-sized allow list within the kernel limit and jump ranges', () => {
    const names = Object.keys(ARCHES.SCMP_ARCH_X86_64.table).slice(0, 360);
    const c = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] });
    expect(c.instructions).toBeLessThan(4096);
    for (const n of names) expect(runSeccomp(c.program, { nr: nr(n), arch: X86_64 })).toBe(SECCOMP_RET.ALLOW);
    const notListed = Object.keys(ARCHES.SCMP_ARCH_X86_64.table).slice(360);
    for (const n of notListed) expect(runSeccomp(c.program, { nr: nr(n), arch: X86_64 })).toBe(ERRNO(1));
    expect(disassemble(c.program)).toMatch(/ret ALLOW/);
  });

  it('names the JSON pointer of bad input', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOPE' })).toThrow(/unknown action/);
    try {
      compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] }] });
      expect.unreachable();
    } catch (e) {
      expect((e as { pointer: string }).pointer).toBe('/linux/seccomp/syscalls/0/args/0/index');
    }
  });

  it('agrees with a reference evaluation on random profiles (fast-check)', () => {
    const sysNames = ['read', 'write', 'open', 'close', 'kill', 'ioctl', 'mkdir', 'mount'];
    const ops = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE'];
    const arg = fc.record({ index: fc.integer({ min: 0, max: 2 }), value: fc.bigInt({ min: 0n, max: 0x3_0000_0000n }), op: fc.constantFrom(...ops) });
    const rule = fc.record({ names: fc.subarray(sysNames, { minLength: 1 }), action: fc.constant('SCMP_ACT_ERRNO'), errnoRet: fc.integer({ min: 1, max: 100 }), args: fc.array(arg, { maxLength: 2 }) });
    const call = fc.record({ name: fc.constantFrom(...sysNames), args: fc.array(fc.bigInt({ min: 0n, max: 0x3_0000_0000n }), { minLength: 3, maxLength: 3 }) });
    const cmp = (op: string, a: bigint, v: bigint) => ({ SCMP_CMP_EQ: a === v, SCMP_CMP_NE: a !== v, SCMP_CMP_LT: a < v, SCMP_CMP_LE: a <= v, SCMP_CMP_GT: a > v, SCMP_CMP_GE: a >= v })[op]!;
    fc.assert(
      fc.property(fc.array(rule, { maxLength: 6 }), call, (rules, c) => {
        const { program } = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: rules.map((r) => ({ ...r, args: r.args.map((a) => ({ ...a, value: a.value as never })) })) });
        const want = rules.find((r) => r.names.includes(c.name) && r.args.every((a) => cmp(a.op, c.args[a.index], a.value)));
        const got = runSeccomp(program, { nr: nr(c.name), arch: X86_64, args: c.args });
        return got === (want ? ERRNO(want.errnoRet) : SECCOMP_RET.ALLOW);
      }),
      { numRuns: 300 },
    );
  });
});
