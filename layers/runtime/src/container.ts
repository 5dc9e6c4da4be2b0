// A container as the runtime remembers it between commands: <root>/<id>/state.json, plus the
// facts that are *computed* every time rather than trusted from the file (crun's approach):
//   - is the init process alive, and is it still the same process (start time, against pid reuse)?
//   - is the exec fifo still there (then `start` has not happened: created)?
//   - is the cgroup frozen (paused)?
// runtime-spec runtime.md#state.
import fs from 'node:fs';
import path from 'node:path';
import { processLiveness, flock, Cgroup } from '@strata/linux';
import type { Spec, State } from '@strata/oci';
import type { ContainerStatus } from './lifecycle';
import { RuntimeError, notExist } from './errors';

export const OCI_VERSION = '1.2.0';

/** What we persist. The public state (runtime.md#state) is derived from it. */
export interface SavedState {
  id: string;
  /** Host pid of the container's init (0 before it exists). */
  pid: number;
  /** Field 22 of /proc/<pid>/stat when the init started: a reused pid will not match. */
  pidStartTime?: string;
  bundle: string;
  rootfs: string;
  /** RFC 3339 with nanoseconds, like runc. */
  created: string;
  owner: string;
  /** The cgroup path (linux.cgroupsPath resolved). */
  cgroupPath: string;
  /** True while `create` is still running (the init exists but is not yet ready). */
  creating?: boolean;
  /** The config as it was at create time, with updates applied (runc keeps it too). */
  spec: Spec;
}

const ID_RE = /^[\w+\-.]+$/;

/** runc's rule (libcontainer/factory_linux.go validateID) plus the cases a path join would abuse. */
export function validateId(id: string): void {
  if (id === '') throw new RuntimeError('INVALID_ID', 'container id cannot be empty');
  if (id.length > 1024) throw new RuntimeError('INVALID_ID', `invalid container ID format: id is ${id.length} characters long (at most 1024)`);
  if (!ID_RE.test(id) || id === '.' || id === '..')
    throw new RuntimeError('INVALID_ID', `invalid container ID format: ${JSON.stringify(id)} (allowed: letters, digits, _ + - .)`);
}

export function stateDir(root: string, id: string): string {
  return path.join(root, id);
}

/** Write-then-rename, so a reader never sees half a file (and a crash leaves the old one). */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export function saveState(root: string, s: SavedState): void {
  writeFileAtomic(path.join(stateDir(root, s.id), 'state.json'), JSON.stringify(s));
}

export function loadState(root: string, id: string): SavedState {
  validateId(id);
  let text: string;
  try {
    text = fs.readFileSync(path.join(stateDir(root, id), 'state.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notExist(id);
    throw e;
  }
  return JSON.parse(text) as SavedState;
}

export function listIds(root: string): string[] {
  try {
    return fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

export function execFifoPath(root: string, id: string): string {
  return path.join(stateDir(root, id), 'exec.fifo');
}

/** The status, computed from facts (see the header comment). */
export function computeStatus(root: string, s: SavedState): ContainerStatus {
  if (s.creating) {
    return s.pid > 0 && processLiveness(s.pid, s.pidStartTime) === 'alive' ? 'creating' : 'stopped';
  }
  if (s.pid <= 0 || processLiveness(s.pid, s.pidStartTime) !== 'alive') return 'stopped';
  if (fs.existsSync(execFifoPath(root, s.id))) {
    // A created container can be frozen too (runc pauses created containers).
    return isFrozen(s) ? 'paused' : 'created';
  }
  return isFrozen(s) ? 'paused' : 'running';
}

function isFrozen(s: SavedState): boolean {
  try {
    return Cgroup.open(s.cgroupPath).state() !== 'thawed';
  } catch {
    return false;
  }
}

/** The public state document (runtime.md#state, runc's field set). */
export function publicState(root: string, s: SavedState, status = computeStatus(root, s)): State {
  return {
    ociVersion: s.spec.ociVersion ?? OCI_VERSION,
    id: s.id,
    pid: status === 'stopped' ? 0 : s.pid,
    status,
    bundle: s.bundle,
    rootfs: s.rootfs,
    created: s.created,
    owner: s.owner,
    annotations: s.spec.annotations,
  } as State;
}

/**
 * Serialise commands on one container: an exclusive flock on its state directory. The kernel
 * drops the lock when the process dies, so a killed runtime never leaves it held.
 */
export function lockContainer(root: string, id: string): () => void {
  let fd: number;
  try {
    fd = fs.openSync(stateDir(root, id), 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notExist(id);
    throw e;
  }
  flock(fd, 'ex');
  return () => fs.closeSync(fd);
}

/** RFC 3339 with nanoseconds in UTC, like Go's time.RFC3339Nano used by runc. */
export function rfc3339Nano(d = new Date(), hr = process.hrtime.bigint()): string {
  const iso = d.toISOString(); // 2026-11-23T10:00:00.123Z
  const nanos = (hr % 1_000_000n).toString().padStart(6, '0');
  return `${iso.slice(0, 23)}${nanos}Z`.replace(/\.?0+Z$/, 'Z');
}
