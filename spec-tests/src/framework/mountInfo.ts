// /proc/<pid>/mountinfo parsed (proc(5)): the suite reads it for leak checks (mounts the runtime
// left under the test's directories) and for propagation probes.
import fs from 'node:fs';

export interface MountEntry {
  id: number;
  parent: number;
  root: string;
  mountPoint: string;
  options: string;
  /** Optional fields such as "shared:12", "master:3". */
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
export function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (sep < 6) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      root: unescapeMountPath(f[3]),
      mountPoint: unescapeMountPath(f[4]),
      options: f[5],
      optional: f.slice(6, sep),
      fstype: f[sep + 1],
      source: unescapeMountPath(f[sep + 2] ?? ''),
      superOptions: f[sep + 3] ?? '',
    });
  }
  return out;
}

export function readMountInfo(pid: number | 'self' = 'self'): MountEntry[] {
  return parseMountInfo(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'));
}
