// Persistent named network namespaces, the way `ip netns add NAME` makes them: a new net namespace
// kept alive by bind-mounting its nsfs file (/proc/<pid>/ns/net) on /run/netns/NAME, so it outlives
// the process that created it and can be handed to CNI plugins (CNI_NETNS) and to runc
// (linux.namespaces[].path).
//
// Why iproute2 instead of doing unshare(CLONE_NEWNET) + mount(MS_BIND) through @strata/linux FFI:
// unshare() moves the *calling thread* into the new namespace. In Node that thread is the event
// loop thread (libuv's worker threads stay behind), so every later socket this process opens would
// live in the container's namespace; undoing it needs setns() back and leaves a window where the
// engine's own sockets are created in the wrong place. containerd solves this in Go by locking a
// goroutine to a throwaway OS thread; the Node equivalent is a child process, and `ip netns add`
// is exactly that child, doing the same syscalls (and also making /run/netns a shared mount so the
// bind mounts propagate), on every machine that has iproute2 installed.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import { CniError } from './errors';

export const NETNS_DIR = '/run/netns';
const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

export function validateNetnsName(name: string): void {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new CniError(0, '', `netns name ${JSON.stringify(name)}: must match ${NAME_PATTERN.source} (a plain file name under ${NETNS_DIR})`);
  }
}

export function netnsPath(name: string): string {
  validateNetnsName(name);
  return `${NETNS_DIR}/${name}`;
}

/** Creates /run/netns/<name> holding a new network namespace; fails if the name is taken. */
export function createNetns(name: string): string {
  const path = netnsPath(name);
  if (existsSync(path)) throw new CniError(0, '', `netns ${name}: ${path} already exists`);
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new CniError(0, '', `netns ${name}: ip netns add failed: ${stderr || (e as Error).message}`);
  }
  return path;
}

/**
 * Unmounts and unlinks a named netns (a name, or its path under /run/netns). Idempotent: a missing
 * one is fine, and so is a stale file left by a crash between the mount and the unlink. The
 * namespace itself dies when the last process inside it exits.
 */
export function removeNetns(pathOrName: string): void {
  const name = isAbsolute(pathOrName) ? basename(pathOrName) : pathOrName;
  if (isAbsolute(pathOrName) && dirname(pathOrName) !== NETNS_DIR) {
    throw new CniError(0, '', `netns ${pathOrName}: only namespaces under ${NETNS_DIR} are managed here`);
  }
  const path = netnsPath(name);
  if (!existsSync(path)) return;
  try {
    // iproute2's netns_delete: umount2(path, MNT_DETACH) (error ignored: maybe not mounted) + unlink(path)
    execFileSync('ip', ['netns', 'delete', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    if (!existsSync(path)) return; // someone else removed it in between
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
    throw new CniError(0, '', `netns ${name}: ip netns delete failed: ${stderr || (e as Error).message}`);
  }
}

/** True when `path` is a mounted network namespace (an nsfs mount), not merely a leftover file. */
export function netnsExists(path: string): boolean {
  if (!existsSync(path)) return false;
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const line of mountinfo.split('\n')) {
    // fields: id parent major:minor root mountpoint options [optional...] - fstype source super
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const mountPoint = left.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mountPoint === path && right.startsWith('nsfs ')) return true;
  }
  return false;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts `cmd` inside the netns (nsenter --net=PATH, only the network namespace changes). */
export function spawnInNetns(netns: string, cmd: string[], o: SpawnOptions = {}): ChildProcess {
  if (!isAbsolute(netns)) throw new CniError(0, '', `netns ${JSON.stringify(netns)}: must be an absolute path`);
  if (cmd.length === 0) throw new CniError(0, '', 'cmd: must not be empty');
  return spawn('nsenter', [`--net=${netns}`, '--', ...cmd], o);
}

/** Runs `cmd` inside the netns and collects its output; killed after timeoutMs (default 30 s). */
export function inNetns(netns: string, cmd: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawnInNetns(netns, cmd, { stdio: ['pipe', 'pipe', 'pipe'], timeout: o.timeoutMs ?? 30_000, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin!.on('error', () => {});
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 137 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin!.end(o.input ?? '');
  });
}
