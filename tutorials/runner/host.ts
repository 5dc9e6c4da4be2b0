// What kind of machine the tutorials run on: the cgroup layout decides which variant of a step
// runs (`only=cgroup-v1|cgroup-v2|cgroup-hybrid`). Detected, never assumed: the project's machines
// are cgroup v1 "hybrid", classroom VMs are pure cgroup v2.
import fs from 'node:fs';
import type { HostTag } from './lesson';

export interface HostFacts {
  tags: HostTag[];
  root: boolean;
  /** For the report: "cgroup v1 hybrid, cgroup2 at /sys/fs/cgroup/unified". */
  cgroups: string;
  /** Where cgroup hierarchies are mounted (leak checks walk them). */
  cgroupMounts: string[];
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
  return { tags, root: process.getuid?.() === 0, cgroups, cgroupMounts: mounts.map((m) => m.point) };
}
