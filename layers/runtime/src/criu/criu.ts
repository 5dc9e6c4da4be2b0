// Driving CRIU (checkpoint/restore in userspace, criu.org) for `checkpoint` and `restore`.
//
// runc talks to CRIU over a socketpair with `criu swrk` and protobuf messages (criu/rpc.proto).
// We run the `criu dump|pre-dump|restore` command line instead, on purpose:
//   - every option has a command-line twin (--external mnt[..], --inherit-fd, --cgroup-root,
//     --freeze-cgroup, --track-mem, --prev-images-dir, --restore-sibling...), so nothing is lost
//     for what strata-runtime does;
//   - the exact command is printable (`--debug` logs it) and a student can re-run it by hand;
//   - strata-runtime keeps no protobuf dependency (it starts a Node process per command).
// What the RPC would add is the notify callbacks (setup-namespaces, post-restore...), used by runc
// to run hooks at those points; strata-runtime runs no hooks during restore (see README).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from '../errors';
import { debug } from '../warnings';

export interface CriuRun {
  /** The criu binary (runc's global --criu, default "criu" looked up in PATH). */
  binary: string;
  /** dump | pre-dump | restore | check */
  action: string;
  args: string[];
  /** The log file CRIU writes (-o, relative to the work dir): read for the reason on failure. */
  log?: string;
  /** fds for the child (criu's 0, 1, 2 and any inherited ones at the same numbers). */
  stdio?: (number | 'ignore' | 'pipe')[];
}

/** The last "Error (...)" lines of a CRIU log: CRIU's own reason, as the user should see it. */
export function criuReason(text: string, max = 4): string {
  const lines = text.split('\n').filter((l) => /Error \(|^Error|[Ee]rror:/.test(l));
  const picked = (lines.length ? lines : text.split('\n').filter((l) => l.trim())).slice(-max);
  return picked.map((l) => l.replace(/^\(\s*[\d.]+\)\s*/, '').trim()).join('; ');
}

function missing(binary: string): RuntimeError {
  return new RuntimeError('CRIU', `criu binary ${JSON.stringify(binary)} not found: checkpoint/restore needs CRIU (Debian: apt-get install criu; or give --criu PATH)`);
}

/** Resolve the binary like exec(3p) does, so "not installed" is a clear error, not ENOENT later. */
export function resolveCriu(binary: string): string {
  if (binary.includes('/')) {
    if (!fs.existsSync(binary)) throw missing(binary);
    return binary;
  }
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir || '.', binary);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  for (const dir of ['/usr/local/sbin', '/usr/sbin', '/sbin']) {
    const p = path.join(dir, binary);
    if (fs.existsSync(p)) return p;
  }
  throw missing(binary);
}

export function runCriu(r: CriuRun, workDir?: string): void {
  const argv = [r.action, ...r.args];
  debug(`criu: ${r.binary} ${argv.join(' ')}`);
  const res = spawnSync(r.binary, argv, { stdio: (r.stdio ?? ['ignore', 'pipe', 'pipe']) as never, encoding: 'utf8', timeout: 10 * 60_000 });
  if (res.error) {
    if ((res.error as NodeJS.ErrnoException).code === 'ENOENT') throw missing(r.binary);
    throw new RuntimeError('CRIU', `criu ${r.action}: ${res.error.message}`);
  }
  if (res.status === 0) return;
  const logPath = r.log && workDir ? path.join(workDir, r.log) : undefined;
  let text = `${res.stderr ?? ''}\n${res.stdout ?? ''}`;
  if (logPath && fs.existsSync(logPath)) text = `${fs.readFileSync(logPath, 'utf8')}\n${text}`;
  const why = criuReason(text) || `exit status ${res.status ?? res.signal}`;
  throw new RuntimeError('CRIU', `criu ${r.action} failed: ${why}${logPath ? ` (log: ${logPath})` : ''}`);
}

/**
 * `criu check`: does this kernel support what CRIU needs? Run before every checkpoint/restore, so
 * an unusable host fails at once with CRIU's own reason (e.g. "vdso: Unexpected rt vDSO area
 * bounds" on kernels newer than the CRIU release) instead of halfway through a dump.
 */
export function criuCheck(binary: string): string {
  const bin = resolveCriu(binary);
  const res = spawnSync(bin, ['check'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.error) throw new RuntimeError('CRIU', `criu check: ${res.error.message}`);
  if (res.status !== 0) {
    throw new RuntimeError('CRIU', `criu check failed, CRIU cannot checkpoint or restore on this host: ${criuReason(`${res.stderr}\n${res.stdout}`)}`);
  }
  return bin;
}
