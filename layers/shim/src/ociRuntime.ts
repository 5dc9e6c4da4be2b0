// The OCI runtime as the shim drives it: through runc's command line, exactly as
// containerd-shim-runc-v2 does (go-runc). Any binary with runc's CLI works: strata-runtime (the
// default), runc, crun. Global flags: --root <root>/<namespace> (one state dir per containerd
// namespace), --log <bundle>/log.json --log-format json, so that a failure's reason can be read
// back from the runtime's JSON log lines.
import { spawn, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ShimError } from './errors';
import { reaper } from './reaper';
import { engineName, SHIM, shimCall, traced } from './trace';

export interface OciRuntimeConfig {
  /** Binary name (looked up on PATH) or absolute path. */
  binary: string;
  /** State root for this namespace, e.g. /run/containerd/runc/default. */
  root: string;
  /** The bundle's log.json (runtime log lines, JSON). */
  logFile: string;
  systemdCgroup?: boolean;
  /** --criu: the CRIU binary for checkpoint/restore (Options.criu_path). */
  criu?: string;
  /** Upper bound for any one runtime command (they return in milliseconds normally). */
  timeoutMs?: number;
}

export interface CreateArgs {
  bundle: string;
  pidFile: string;
  consoleSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  /** fds 0,1,2 for the container process (the runtime passes its stdio on to it). */
  stdio: [number | 'ignore', number | 'ignore', number | 'ignore'];
}

export interface ExecArgs {
  processFile: string;
  pidFile: string;
  consoleSocket?: string;
  stdio: [number | 'ignore', number | 'ignore', number | 'ignore'];
}

/** runc's CRIU flags, shared by checkpoint and restore. */
export interface CriuArgs {
  imagePath: string;
  workPath?: string;
  tcpEstablished?: boolean;
  extUnixSk?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  cgroupsMode?: string;
}

export interface CheckpointArgs extends CriuArgs {
  leaveRunning?: boolean;
  parentPath?: string;
}

export interface RestoreArgs extends CriuArgs {
  bundle: string;
  pidFile: string;
  consoleSocket?: string;
  noPivot?: boolean;
  /** fds 0,1,2 the restored process gets in place of the ones it had when dumped. */
  stdio: [number | 'ignore', number | 'ignore', number | 'ignore'];
}

function criuFlags(a: CriuArgs): string[] {
  const f = ['--image-path', a.imagePath];
  if (a.workPath) f.push('--work-path', a.workPath);
  if (a.tcpEstablished) f.push('--tcp-established');
  if (a.extUnixSk) f.push('--ext-unix-sk');
  if (a.shellJob) f.push('--shell-job');
  if (a.fileLocks) f.push('--file-locks');
  if (a.cgroupsMode) f.push('--manage-cgroups-mode', a.cgroupsMode);
  return f;
}

export interface RuntimeState {
  ociVersion: string;
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

export class OciRuntime {
  constructor(readonly config: OciRuntimeConfig) {}

  /** `create --bundle B --pid-file P [--console-socket S] [--no-pivot] [--no-new-keyring] ID` */
  async create(id: string, a: CreateArgs): Promise<void> {
    const args = ['create', '--bundle', a.bundle, '--pid-file', a.pidFile];
    if (a.consoleSocket) args.push('--console-socket', a.consoleSocket);
    if (a.noPivot) args.push('--no-pivot');
    if (a.noNewKeyring) args.push('--no-new-keyring');
    await this.run([...args, id], { stdio: a.stdio, cwd: a.bundle });
  }

  async start(id: string): Promise<void> {
    await this.run(['start', id]);
  }

  /** `exec --process F --detach --pid-file P [--console-socket S] ID` */
  async exec(id: string, a: ExecArgs): Promise<void> {
    const args = ['exec', '--process', a.processFile, '--detach', '--pid-file', a.pidFile];
    if (a.consoleSocket) args.push('--console-socket', a.consoleSocket);
    await this.run([...args, id], { stdio: a.stdio });
  }

  async kill(id: string, signal: number, all = false): Promise<void> {
    await this.run(['kill', ...(all ? ['--all'] : []), id, String(signal)]);
  }

  async delete(id: string, force = false): Promise<void> {
    await this.run(['delete', ...(force ? ['--force'] : []), id]);
  }

  async pause(id: string): Promise<void> {
    await this.run(['pause', id]);
  }

  async resume(id: string): Promise<void> {
    await this.run(['resume', id]);
  }

  /** `update --resources - ID` with the LinuxResources JSON on stdin. */
  async update(id: string, resourcesJson: string): Promise<void> {
    await this.run(['update', '--resources', '-', id], { input: resourcesJson });
  }

  /** `checkpoint --image-path I [--work-path W] [--leave-running] [...] ID` (go-runc's argv). */
  async checkpoint(id: string, a: CheckpointArgs): Promise<void> {
    const args = ['checkpoint', ...criuFlags(a)];
    if (a.leaveRunning) args.push('--leave-running');
    if (a.parentPath) args.push('--parent-path', a.parentPath);
    // CRIU dumps can take a while (memory size; 16-36x more under emulation).
    await this.run([...args, id], { timeoutMs: 10 * 60_000 });
  }

  /** `restore --detach --bundle B --pid-file P --image-path I [...] ID`: the restored init is running. */
  async restore(id: string, a: RestoreArgs): Promise<void> {
    const args = ['restore', '--detach', '--bundle', a.bundle, '--pid-file', a.pidFile, ...criuFlags(a)];
    if (a.consoleSocket) args.push('--console-socket', a.consoleSocket);
    if (a.noPivot) args.push('--no-pivot');
    await this.run([...args, id], { stdio: a.stdio, cwd: a.bundle, timeoutMs: 10 * 60_000 });
  }

  async ps(id: string): Promise<number[]> {
    const out = await this.run(['ps', '--format', 'json', id]);
    const pids = JSON.parse(out || '[]') as number[] | null;
    return pids ?? [];
  }

  async state(id: string): Promise<RuntimeState> {
    return JSON.parse(await this.run(['state', id])) as RuntimeState;
  }

  private globalArgs(): string[] {
    return ['--root', this.config.root, '--log', this.config.logFile, '--log-format', 'json', ...(this.config.criu ? ['--criu', this.config.criu] : []), ...(this.config.systemdCgroup ? ['--systemd-cgroup'] : [])];
  }

  /**
   * Runs one runtime command; resolves with its stdout. On failure the error carries the
   * runtime's own reason (its last error log line), as go-runc reports it.
   */
  private run(args: string[], o: { stdio?: CreateArgs['stdio']; input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<string> {
    // The container id is the command's first argument that is not a flag or a flag's value.
    const id = args[args.length - 1 - (args[0] === 'kill' ? 1 : 0)];
    const call = shimCall({ from: SHIM, to: engineName(this.config.binary), protocol: 'runc-cli', op: args[0], ids: { container: id } });
    return traced(call, () => this.spawnRuntime(args, o));
  }

  private spawnRuntime(args: string[], o: { stdio?: CreateArgs['stdio']; input?: string; cwd?: string; timeoutMs?: number }): Promise<string> {
    const logStart = sizeOf(this.config.logFile);
    const full = [...this.globalArgs(), ...args];
    return new Promise((resolve, reject) => {
      // stdin/stdout/stderr of the runtime: the container's stdio for create/exec (the runtime
      // hands them to the container process), pipes otherwise.
      const stdio: StdioOptions = o.stdio ? [...o.stdio] : [o.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'];
      const child = spawn(this.config.binary, full, { stdio, cwd: o.cwd, env: process.env });
      // libuv reaps this child itself: keep the subreaper's sweep away from it.
      if (child.pid) reaper.nodeChildren.add(child.pid);
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      if (o.input !== undefined) child.stdin?.end(o.input);
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? this.config.timeoutMs ?? 60_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new ShimError('RUNTIME', `${this.config.binary}: ${e.message}`));
      });
      // 'exit', not 'close': for create the container process keeps our stdio fds open.
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (child.pid) reaper.nodeChildren.delete(child.pid);
        if (code === 0) return resolve(out);
        const reason = lastLogError(this.config.logFile, logStart) || err.trim() || `exit ${code ?? signal}`;
        // The runc shim words it the same way: "OCI runtime create failed: runc create failed: ...".
        reject(ShimError.fromRuntime(`OCI runtime ${args[0]} failed: ${reason}`));
      });
    });
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The message of the last error-level JSON log line written since `from`. */
function lastLogError(file: string, from: number): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buf, 0, buf.length, from);
      text = buf.toString();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined;
  }
  let msg: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const j = JSON.parse(line) as { level?: string; msg?: string };
      if (j.level === 'error' && j.msg) msg = j.msg;
    } catch {
      // not a JSON line (a runtime without --log-format json): ignore
    }
  }
  return msg;
}

/** The runtime binary: an absolute path, or a name looked up on PATH. */
export function resolveBinary(name: string): string {
  if (name.includes('/')) {
    if (!fs.existsSync(name)) throw new ShimError('INVALID_ARGUMENT', `runtime binary ${name} does not exist`);
    return name;
  }
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new ShimError('INVALID_ARGUMENT', `runtime binary ${JSON.stringify(name)} not found on PATH`);
}
