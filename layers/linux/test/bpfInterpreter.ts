// A tiny classic-BPF interpreter for seccomp programs (the subset the compiler emits), so tests
// can ask "what would the kernel decide for this syscall?" without installing the filter.
export interface SeccompData {
  nr: number;
  arch: number;
  args?: bigint[];
}

export function runSeccomp(program: Buffer, d: SeccompData): number {
  const mem = Buffer.alloc(64);
  mem.writeInt32LE(d.nr, 0);
  mem.writeUInt32LE(d.arch >>> 0, 4);
  (d.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let A = 0;
  let pc = 0;
  for (let steps = 0; steps < 100_000; steps++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (code) {
      case 0x20:
        A = mem.readUInt32LE(k);
        break;
      case 0x54:
        A = (A & k) >>> 0;
        break;
      case 0x05:
        pc += k;
        break;
      case 0x15:
        pc += A === k ? jt : jf;
        break;
      case 0x25:
        pc += A > k ? jt : jf;
        break;
      case 0x35:
        pc += A >= k ? jt : jf;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc - 1}`);
    }
    if (pc * 8 >= program.length) throw new Error('ran off the end of the program');
  }
  throw new Error('too many steps');
}
