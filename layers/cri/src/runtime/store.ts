// What the runtime service remembers about pods and containers, on disk under <root>, so a new
// strata-cri process (after a crash or an upgrade) finds them again — as containerd's CRI plugin
// keeps its metadata in containerd's container labels/extensions and recovers it at start. One
// JSON file per object, written atomically (write a temp file, fsync, rename: a crash leaves the
// old or the new file, never half of one).
import fs from 'node:fs';
import path from 'node:path';
import type { NetworkConfigList } from '@strata/cni';
import type { ContainerStateName, SandboxStateName } from './states';
import type { ContainerConfig, PodSandboxConfig } from './types';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  runtimeHandler: string;
  /** The manager runtime the handler maps to (io.containerd.strata.v2, io.containerd.runc.v2). */
  runtime: string;
  createdAt: number;
  state: Exclude<SandboxStateName, 'none'>;
  /** The pod's network namespace (a bind mount under /run/netns), absent with host network. */
  netns?: string;
  /** The conflist the pod was attached with (DEL must use the same list, whatever the conf dir holds by then). */
  network?: NetworkConfigList;
  ip?: string;
  additionalIps: string[];
  /** The pause process (its /proc/<pid>/ns/* are the pod's namespaces). */
  pid?: number;
  cgroupsPath: string;
}

export interface ContainerRecord {
  id: string;
  podSandboxId: string;
  config: ContainerConfig;
  image: string;
  imageRef: string;
  snapshotter: string;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  state: Exclude<ContainerStateName, 'none'>;
  /** Absolute log file path (log_directory of the pod + log_path of the container), '' = none. */
  logPath: string;
  cgroupsPath: string;
  pid?: number;
}

/** Write `data` to `file` atomically (temp + fsync + rename). */
export function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(data, null, 1));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export class RecordStore<T extends { id: string }> {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  private file(id: string): string {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`bad record id ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.json`);
  }
  save(r: T): void {
    writeJsonAtomic(this.file(r.id), r);
  }
  remove(id: string): void {
    fs.rmSync(this.file(id), { force: true });
  }
  loadAll(): T[] {
    const out: T[] = [];
    for (const f of fs.readdirSync(this.dir)) {
      if (f.includes('.tmp-')) {
        fs.rmSync(path.join(this.dir, f), { force: true }); // an interrupted write
        continue;
      }
      if (!f.endsWith('.json')) continue;
      try {
        out.push(JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as T);
      } catch {
        // unreadable record: skipped (reported by the caller's reconciliation as missing)
      }
    }
    return out;
  }
}
