// What kind of machine the tutorials run on: the cgroup layout decides which variant of a step
// runs (`only=cgroup-v1|cgroup-v2|cgroup-hybrid`), and whether CRIU works decides the
// checkpoint/restore steps (`only=criu`, `only=!criu`). Detected, never assumed: the project's
// machines are cgroup v1 "hybrid" on a kernel too new for their CRIU, classroom VMs are pure
// cgroup v2 on Debian 12's kernel, where CRIU works.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { HostTag } from './lesson';

export interface HostFacts {
  tags: HostTag[];
  root: boolean;
  /** For the report: "cgroup v1 hybrid, cgroup2 at /sys/fs/cgroup/unified". */
  cgroups: string;
  /** Where cgroup hierarchies are mounted (leak checks walk them). */
  cgroupMounts: string[];
  /** For the report: "criu check passes", or why CRIU cannot run here (CRIU's own words). */
  criu: string;
}

/**
 * CRIU's reason from `criu check` output: its first "Error (file:line): ..." line without the
 * source position (the first error is the cause, the ones after it are consequences).
 */
export function criuCheckReason(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines.find((l) => /^Error\b/.test(l)) ?? lines[lines.length - 1];
  return first ? first.replace(/^Error\s*(\([^)]*\))?:?\s*/, '') : 'no output';
}

/**
 * Can CRIU checkpoint and restore here? `criu check` tests the kernel features CRIU needs (and
 * whether it understands this kernel's vDSO): exit status 0 means yes.
 */
export function detectCriu(run: (cmd: string, args: string[]) => { status: number | null; output: string; missing: boolean } = runCommand): { works: boolean; why: string } {
  const r = run('criu', ['check']);
  if (r.missing) return { works: false, why: 'criu is not installed (not on PATH)' };
  if (r.status === 0) return { works: true, why: 'criu check passes' };
  return { works: false, why: `criu check fails: ${criuCheckReason(r.output)}` };
}

function runCommand(cmd: string, args: string[]): { status: number | null; output: string; missing: boolean } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: r.status, output: `${r.stderr ?? ''}\n${r.stdout ?? ''}`, missing };
}

/** Mount points of cgroup and cgroup2 file systems, from a mountinfo text. */
export function cgroupMountPoints(mountinfo: string): { point: string; type: string }[] {
  const out: { point: string; type: string }[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const type = right.split(' ')[0];
    if (type !== 'cgroup' && type !== 'cgroup2') continue;
    out.push({ point: unescapeMountPath(left.split(' ')[4]), type });
  }
  return out;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040...). */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function detectHost(): HostFacts {
  const mounts = cgroupMountPoints(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  const unified = mounts.find((m) => m.type === 'cgroup2' && m.point === '/sys/fs/cgroup');
  const v1 = mounts.filter((m) => m.type === 'cgroup');
  const tags: HostTag[] = [];
  let cgroups = 'no cgroup file system mounted';
  if (unified) {
    tags.push('cgroup-v2');
    cgroups = 'cgroup v2 (unified)';
  } else if (v1.length) {
    tags.push('cgroup-v1');
    cgroups = 'cgroup v1';
    const hybrid = mounts.find((m) => m.type === 'cgroup2');
    if (hybrid) {
      tags.push('cgroup-hybrid');
      cgroups += ` hybrid, cgroup2 at ${hybrid.point}`;
    }
  }
  const criu = detectCriu();
  if (criu.works) tags.push('criu');
  return { tags, root: process.getuid?.() === 0, cgroups, cgroupMounts: mounts.map((m) => m.point), criu: criu.why };
}
