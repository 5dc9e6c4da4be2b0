// cgroup v2 has no devices.allow file: device access is decided by an eBPF program of type
// BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup (kernel cgroup-v2.rst "Device controller").
// We compile the OCI device rules (linux.resources.devices) into such a program, like runc.
//
// The program sees struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } where
// access_type = (access << 16) | type, type 1 = block, 2 = char; access bits mknod 1, read 2, write 4.
// Rules are checked from the last to the first: the last matching rule wins, as when the same
// rules are written one by one into a v1 devices.allow/devices.deny. No match = deny.
import fs from 'node:fs';
import { fn, check, koffi } from '../sys/libc';
import type { DeviceRule } from './resources';

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const LDX_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const AND_K = 0x57; // BPF_ALU64 | BPF_AND | BPF_K
const RSH_K = 0x77; // BPF_ALU64 | BPF_RSH | BPF_K
const MOV_K = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const MOV_X = 0xbf; // BPF_ALU64 | BPF_MOV | BPF_X
const JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const EXIT = 0x95;

const ins = (code: number, dst = 0, src = 0, off = 0, imm = 0): BpfInsn => ({ code, dst, src, off, imm });

function accessBits(access = 'rwm'): number {
  let a = 0;
  if (access.includes('m')) a |= 1;
  if (access.includes('r')) a |= 2;
  if (access.includes('w')) a |= 4;
  return a;
}

/** Compile the rules; registers: r2 type, r3 access, r4 major, r5 minor, r6 scratch. */
export function compileDeviceRules(rules: readonly DeviceRule[]): BpfInsn[] {
  const prog: BpfInsn[] = [
    ins(LDX_W, 2, 1, 0),
    ins(AND_K, 2, 0, 0, 0xffff),
    ins(LDX_W, 3, 1, 0),
    ins(RSH_K, 3, 0, 0, 16),
    ins(LDX_W, 4, 1, 4),
    ins(LDX_W, 5, 1, 8),
  ];
  for (const r of [...rules].reverse()) {
    const verdict = r.allow ? 1 : 0;
    const t = r.type ?? 'a';
    if (t === 'a') {
      // A wildcard rule matches every device: nothing before it (in rule order) can matter.
      prog.push(ins(MOV_K, 0, 0, 0, verdict), ins(EXIT));
      return prog;
    }
    const checks: BpfInsn[] = [];
    checks.push(ins(JNE_K, 2, 0, 0, t === 'b' ? 1 : 2));
    const want = accessBits(r.access);
    if (want !== 7) checks.push(ins(MOV_X, 6, 3), ins(AND_K, 6, 0, 0, ~want & 0xffff), ins(JNE_K, 6, 0, 0, 0));
    if (r.major !== undefined && r.major !== null && r.major >= 0) checks.push(ins(JNE_K, 4, 0, 0, r.major));
    if (r.minor !== undefined && r.minor !== null && r.minor >= 0) checks.push(ins(JNE_K, 5, 0, 0, r.minor));
    const block = [...checks, ins(MOV_K, 0, 0, 0, verdict), ins(EXIT)];
    // Every conditional jump skips to the end of this block (the next rule).
    block.forEach((b, i) => {
      if (b.code === JNE_K) b.off = block.length - i - 1;
    });
    prog.push(...block);
  }
  prog.push(ins(MOV_K, 0, 0, 0, 0), ins(EXIT));
  return prog;
}

export function encodeInsns(prog: BpfInsn[]): Buffer {
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach((p, i) => {
    b.writeUInt8(p.code, i * 8);
    b.writeUInt8((p.src << 4) | p.dst, i * 8 + 1);
    b.writeInt16LE(p.off, i * 8 + 2);
    b.writeInt32LE(p.imm | 0, i * 8 + 4);
  });
  return b;
}

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;

function native(buf: Buffer): bigint {
  const p = koffi().alloc('uint8_t', buf.length);
  koffi().encode(p, `uint8_t[${buf.length}]`, [...buf]);
  return koffi().address(p) as bigint;
}

/** Load the program (bpf(2) BPF_PROG_LOAD) and attach it to the cgroup dir (BPF_PROG_ATTACH). */
export function attachDeviceFilter(cgroupDir: string, rules: readonly DeviceRule[]): void {
  const code = encodeInsns(compileDeviceRules(rules));
  const bpf = fn('long syscall(long nr, int cmd, void *attr, unsigned int size)');
  const load = Buffer.alloc(128);
  load.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
  load.writeUInt32LE(code.length / 8, 4);
  load.writeBigUInt64LE(native(code), 8);
  load.writeBigUInt64LE(native(Buffer.from('Apache\0')), 16);
  const progFd = check('bpf(BPF_PROG_LOAD)', bpf(321, BPF_PROG_LOAD, load, load.length), `device filter for ${cgroupDir}`);
  const dirFd = fs.openSync(cgroupDir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const attach = Buffer.alloc(32);
    attach.writeUInt32LE(dirFd, 0);
    attach.writeUInt32LE(progFd, 4);
    attach.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
    attach.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
    check('bpf(BPF_PROG_ATTACH)', bpf(321, BPF_PROG_ATTACH, attach, attach.length), cgroupDir);
  } finally {
    fs.closeSync(dirFd);
    fn('int close(int fd)')(progFd);
  }
}
