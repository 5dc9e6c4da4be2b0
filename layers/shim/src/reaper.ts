// The shim as a child subreaper (prctl(2) PR_SET_CHILD_SUBREAPER).
//
// `runtime create` forks the container's init and exits; without a subreaper the orphaned init
// would be re-parented to PID 1 and the shim could never learn its exit status. As a subreaper the
// shim becomes the parent of every orphan below it: container inits, detached exec processes, and
// whatever they leave behind. Each SIGCHLD, the reaper:
//   1. waitpid(pid, WNOHANG) for each process it watches (inits and execs) -> exit status;
//   2. reaps other zombie children (grandchildren re-parented to us), so none linger.
// It never calls waitpid(-1): Node's libuv reaps the children *it* spawned (runtime commands,
// logging binaries) by pid, and stealing one of those exit statuses would hang libuv's process
// handle. Those pids are registered in `nodeChildren` while they run.
import fs from 'node:fs';
import { exitCodeOf, setChildSubreaper, waitpid, WNOHANG } from '@strata/linux';

export interface Exit {
  pid: number;
  /** Exit code, or 128 + signal number (containerd's convention). */
  status: number;
  at: Date;
}

type Listener = (e: Exit) => void;

export class Reaper {
  private readonly watched = new Map<number, Listener>();
  /** Exits seen before anyone watched the pid (a process can die before its pid file is read). */
  private readonly early = new Map<number, Exit>();
  readonly nodeChildren = new Set<number>();
  private installed = false;

  /** Become a subreaper and listen for SIGCHLD. */
  install(): void {
    if (this.installed) return;
    this.installed = true;
    setChildSubreaper();
    process.on('SIGCHLD', () => this.reap());
  }

  /** Calls `listener` once when `pid` exits (immediately if it already did). */
  watch(pid: number, listener: Listener): void {
    const seen = this.early.get(pid);
    if (seen) {
      this.early.delete(pid);
      queueMicrotask(() => listener(seen));
      return;
    }
    this.watched.set(pid, listener);
    this.reap(); // it may have exited before we watched it
  }

  unwatch(pid: number): void {
    this.watched.delete(pid);
  }

  reap(): void {
    for (const [pid, listener] of [...this.watched]) {
      const r = tryWait(pid);
      if (r) {
        this.watched.delete(pid);
        listener(r);
      }
    }
    for (const pid of childZombies()) {
      if (this.nodeChildren.has(pid) || this.watched.has(pid)) continue;
      const r = tryWait(pid);
      // Keep the status: the pid may be an init or exec whose pid file we have not read yet.
      if (r) {
        this.early.set(pid, r);
        if (this.early.size > 1024) this.early.delete(this.early.keys().next().value as number);
      }
    }
  }
}

function tryWait(pid: number): Exit | undefined {
  try {
    const r = waitpid(pid, WNOHANG);
    if (r.pid === pid) return { pid, status: exitCodeOf(r.status), at: new Date() };
  } catch {
    // ECHILD: not our child (any more)
  }
  return undefined;
}

/** Our children that are zombies, from /proc/self/task/<tid>/children (proc(5)). */
function childZombies(): number[] {
  const out: number[] = [];
  let tids: string[] = [];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    let children = '';
    try {
      children = fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const p of children.split(' ').filter(Boolean).map(Number)) {
      try {
        const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') out.push(p);
      } catch {
        // gone already
      }
    }
  }
  return out;
}

/** The process-wide reaper (there is one parent relationship per process). */
export const reaper = new Reaper();
