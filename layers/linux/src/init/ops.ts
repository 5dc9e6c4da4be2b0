// The init plan: the list of primitive kernel operations that layers/linux/native/strata-init.c
// executes, in order, on behalf of the TypeScript runtime.
//
// Every decision (which namespaces, mounts, capabilities, seccomp program...) is made in
// TypeScript and written down here as data; the C helper has no policy of its own. That keeps the
// interesting logic readable and lets `strata-runtime create --print-plan` show a student exactly
// what the kernel will be asked to do.
//
// Wire format (see the header of strata-init.c): op = [u16 code][u16 argc] + argc x ([u32 len][bytes]).

/** Opcode numbers: must match the enum in strata-init.c. */
export const OPCODES = {
  'join-cgroup': 1,
  setns: 2,
  unshare: 3,
  'write-file': 4,
  clone: 5,
  mount: 6,
  'mount-in-root': 7,
  'open-root': 8,
  'mkdir-in-root': 9,
  'mknod-in-root': 10,
  'symlink-in-root': 11,
  'hooks-point': 12,
  hook: 13,
  'pivot-root': 14,
  'move-root': 15,
  'mask-path': 16,
  'readonly-path': 17,
  remount: 18,
  sethostname: 19,
  setdomainname: 20,
  setrlimit: 21,
  umask: 22,
  'caps-bounding': 23,
  keepcaps: 24,
  setgroups: 25,
  setresgid: 26,
  setresuid: 27,
  capset: 28,
  ambient: 29,
  'no-new-privs': 30,
  seccomp: 31,
  chdir: 32,
  'console-connect': 33,
  'console-setup': 34,
  'open-slot': 35,
  'fifo-wait': 36,
  ready: 37,
  lookup: 38,
  exec: 39,
  setsid: 40,
  'set-pdeathsig': 41,
  'make-private': 42,
  'bind-self': 44,
  'join-keyring': 45,
  'reopen-dev-null': 46,
} as const;

export type OpName = keyof typeof OPCODES;

/** One step of the plan. `args` are strings or raw bytes (the seccomp program). */
export interface InitOp {
  op: OpName;
  args: (string | number | bigint | Buffer)[];
  /** Why this step exists, for --print-plan (never sent to the helper). */
  why?: string;
}

/** Which process runs an op: ops before `clone` run in the parent P, the rest in the child C. */
export function splitAtClone(plan: readonly InitOp[]): { parent: InitOp[]; child: InitOp[] } {
  const i = plan.findIndex((o) => o.op === 'clone');
  return i < 0 ? { parent: [...plan], child: [] } : { parent: plan.slice(0, i + 1), child: plan.slice(i + 1) };
}

function argBytes(a: string | number | bigint | Buffer): Buffer {
  if (Buffer.isBuffer(a)) return a;
  return Buffer.from(typeof a === 'string' ? a : a.toString(), 'utf8');
}

/** Serialise a plan for the helper. */
export function encodePlan(plan: readonly InitOp[]): Buffer {
  const parts: Buffer[] = [];
  for (const step of plan) {
    const code = OPCODES[step.op];
    if (code === undefined) throw new Error(`unknown init op ${String(step.op)}`);
    if (step.args.length > 0xffff) throw new Error(`init op ${step.op}: too many arguments`);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(step.args.length, 2);
    parts.push(head);
    for (const a of step.args) {
      const b = argBytes(a);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(b.length, 0);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

/** The inverse of encodePlan (used by tests and by `--print-plan` round trips). */
export function decodePlan(buf: Buffer): { op: OpName; args: Buffer[] }[] {
  const names = new Map<number, OpName>(Object.entries(OPCODES).map(([k, v]) => [v, k as OpName]));
  const out: { op: OpName; args: Buffer[] }[] = [];
  let off = 0;
  while (off < buf.length) {
    const code = buf.readUInt16LE(off);
    const argc = buf.readUInt16LE(off + 2);
    off += 4;
    const args: Buffer[] = [];
    for (let i = 0; i < argc; i++) {
      const len = buf.readUInt32LE(off);
      off += 4;
      args.push(buf.subarray(off, off + len));
      off += len;
    }
    const op = names.get(code);
    if (!op) throw new Error(`unknown opcode ${code} at byte ${off}`);
    out.push({ op, args });
  }
  return out;
}

/** A readable listing of a plan, one op per line, with the reason when known. */
export function formatPlan(plan: readonly InitOp[]): string {
  const lines: string[] = [];
  let who = 'parent';
  plan.forEach((step, i) => {
    const shown = step.args.map((a) => {
      if (Buffer.isBuffer(a)) return `<${a.length} bytes>`;
      const s = typeof a === 'string' ? a : a.toString();
      return /^[\w./:=,+-]+$/.test(s) && s.length > 0 ? s : JSON.stringify(s);
    });
    const text = `${String(i).padStart(3)}  [${who}] ${step.op} ${shown.join(' ')}`.trimEnd();
    lines.push(step.why ? `${text.padEnd(60)}  # ${step.why}` : text);
    if (step.op === 'clone') who = 'child';
  });
  return lines.join('\n');
}
