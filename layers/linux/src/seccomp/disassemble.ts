// A readable listing of a classic BPF seccomp program, for students (`--print-plan` shows it).
const RET_NAMES: [number, string][] = [
  [0x80000000, 'KILL_PROCESS'], [0x00000000, 'KILL_THREAD'], [0x00030000, 'TRAP'], [0x00050000, 'ERRNO'],
  [0x7fc00000, 'USER_NOTIF'], [0x7ff00000, 'TRACE'], [0x7ffc0000, 'LOG'], [0x7fff0000, 'ALLOW'],
];

function retName(k: number): string {
  const action = k & 0xffff0000;
  const found = RET_NAMES.find(([v]) => (v >>> 0) === action >>> 0);
  return found ? (found[1] === 'ERRNO' || found[1] === 'TRACE' ? `${found[1]}(${k & 0xffff})` : found[1]) : `0x${k.toString(16)}`;
}

export function disassemble(program: Buffer): string {
  const lines: string[] = [];
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    let text: string;
    switch (code) {
      case 0x20:
        text = `ld  [${k}]${k === 0 ? ' ; nr' : k === 4 ? ' ; arch' : k >= 16 ? ` ; arg${Math.floor((k - 16) / 8)}${(k - 16) % 8 ? '.hi' : '.lo'}` : ''}`;
        break;
      case 0x54:
        text = `and #0x${k.toString(16)}`;
        break;
      case 0x05:
        text = `ja  ${pc + 1 + k}`;
        break;
      case 0x15:
      case 0x25:
      case 0x35:
        text = `${code === 0x15 ? 'jeq' : code === 0x25 ? 'jgt' : 'jge'} #0x${k.toString(16)}, ${pc + 1 + jt}, ${pc + 1 + jf}`;
        break;
      case 0x06:
        text = `ret ${retName(k)}`;
        break;
      default:
        text = `op 0x${code.toString(16)} jt=${jt} jf=${jf} k=0x${k.toString(16)}`;
    }
    lines.push(`${String(pc).padStart(4)}: ${text}`);
  }
  return lines.join('\n');
}
