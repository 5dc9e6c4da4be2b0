// Reading /proc (proc(5)): process start times (against pid reuse), liveness, mountinfo.
import fs from 'node:fs';

/** Fields after the comm of /proc/<pid>/stat; comm may contain spaces and ')'. */
function statFields(pid: number): string[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  return text.slice(close + 2).split(' ');
}

/** Field 22 (starttime, clock ticks since boot): a pid reused later has another start time. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Field 3: R, S, D, Z, T... */
export function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/**
 * alive, zombie (exited, not yet reaped: for the container it is stopped) or gone (no such
 * process, or a different process now has this pid).
 */
export function processLiveness(pid: number, startTime?: string): 'alive' | 'zombie' | 'gone' {
  const f = statFields(pid);
  if (!f) return 'gone';
  if (startTime !== undefined && f[19] !== startTime) return 'gone';
  return f[0] === 'Z' || f[0] === 'X' ? 'zombie' : 'alive';
}

export interface MountInfo {
  id: number;
  parent: number;
  majorMinor: string;
  root: string;
  mountPoint: string;
  options: string;
  optional: string[];
  fstype: string;
  source: string;
  superOptions: string;
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));

/** /proc/<pid>/mountinfo, parsed (proc(5)). */
export function readMountInfo(pid: number | 'self' = 'self'): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      majorMinor: f[2],
      root: unescape(f[3]),
      mountPoint: unescape(f[4]),
      options: f[5],
      optional: f.slice(6, sep),
      fstype: f[sep + 1],
      source: unescape(f[sep + 2]),
      superOptions: f[sep + 3],
    });
  }
  return out;
}

/** readlink /proc/<pid>/ns/<type>, e.g. "pid:[4026531836]". */
export function namespaceId(pid: number | 'self', type: string): string | undefined {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/${type}`);
  } catch {
    return undefined;
  }
}
