// The contract between the thin CLI (src/cli/) and the operations (src/operations/): plain option
// objects in, plain results out. The CLI parses runc's flags into these; nothing here knows argv.
import type { Spec, Process, LinuxResources, State } from '@strata/oci';

/** runc's global flags. */
export interface GlobalOptions {
  /** --root: directory for container state (runc default /run/runc; ours /run/strata-runtime). */
  root: string;
  /** --log: file for log lines; default stderr. */
  log?: string;
  /** --log-format text|json. */
  logFormat: 'text' | 'json';
  /** --debug. */
  debug: boolean;
  /** --systemd-cgroup (refused: strata-runtime drives cgroupfs directly). */
  systemdCgroup: boolean;
  /** --rootless true|false|auto. */
  rootless?: string;
  /** --criu: the CRIU binary for checkpoint/restore (default "criu" from PATH). */
  criu?: string;
}

export interface CreateOptions {
  id: string;
  /** --bundle/-b, default cwd; made absolute by the CLI. */
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** --preserve-fds N: pass fds 3..3+N-1 of the runtime to the container process. */
  preserveFds: number;
}

export interface RunOptions extends CreateOptions {
  /** --detach/-d */
  detach: boolean;
  /** --keep: do not delete the container after it exits (foreground only). */
  keep: boolean;
}

export interface ExecOptions {
  id: string;
  /** The process to run: from --process FILE or built from inline args + flags by the CLI. */
  process: Process;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  /** --ignore-paused */
  ignorePaused: boolean;
  preserveFds: number;
}

export interface KillOptions {
  id: string;
  /** Signal number (the CLI resolves names like KILL, SIGKILL and numbers like 9). */
  signal: number;
  all: boolean;
}

export interface DeleteOptions {
  id: string;
  force: boolean;
}

export interface EventsOptions {
  id: string;
  stats: boolean;
  /** --interval in milliseconds (runc default 5s). */
  intervalMs: number;
}

/** One line of `runc events`: {"type":"stats"|"oom"|..., "id": ..., "data": {...}}. */
export interface RuntimeEvent {
  type: string;
  id: string;
  data?: unknown;
}

export interface ListEntry {
  id: string;
  pid: number;
  status: string;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** CRIU's options shared by checkpoint and restore (runc's flag names). */
export interface CriuOptions {
  /** --image-path: CRIU image directory (runc default ./checkpoint); made absolute by the CLI. */
  imagePath: string;
  /** --work-path: logs and work files (default: <state dir>/criu.work, like runc). */
  workPath?: string;
  tcpEstablished: boolean;
  extUnixSk: boolean;
  shellJob: boolean;
  fileLocks: boolean;
  /** --manage-cgroups-mode soft|full|strict|ignore (CRIU's default: soft). */
  manageCgroupsMode?: 'soft' | 'full' | 'strict' | 'ignore';
}

export interface CheckpointOptions extends CriuOptions {
  id: string;
  leaveRunning: boolean;
  /** --pre-dump: copy memory only, the container keeps running (iterative migration). */
  preDump: boolean;
  /** --parent-path: previous (pre-)dump images, relative to the image path (CRIU's rule). */
  parentPath?: string;
}

export interface RestoreOptions extends CriuOptions {
  id: string;
  bundle: string;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  noPivot: boolean;
}

export type { Spec, Process, LinuxResources, State };
