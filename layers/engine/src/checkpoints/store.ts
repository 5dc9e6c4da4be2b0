// Where checkpoints live: one extracted CRIU image directory per checkpoint, named after it, in
// <data-root>/containers/<id>/checkpoints/ (dockerd's place, removed with the container) or in
// the directory the client names (CheckpointDir / ?dir= / --checkpoint-dir, which outlives the
// container: that is how a process moves to another container).
//
// A checkpoint appears whole or not at all: it is extracted into a hidden ".partial-*" directory
// next to its final place and renamed over when complete, so a failed or interrupted create never
// leaves a directory `ls` would show or `start --checkpoint` would try to restore.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { conflict, invalidParam, notFound } from '../errors';

/** Checkpoint names follow the container name rule (docker's restricted name characters). */
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const PARTIAL_PREFIX = '.partial-';

/** Throws a 400 naming the field when `name` is not a valid checkpoint name. */
export function validateCheckpointName(name: string): string {
  if (!NAME_RE.test(name)) throw invalidParam(`invalid checkpoint name ${JSON.stringify(name)}: it must match [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters at least)`);
  return name;
}

/** Whose checkpoints: the container as the error messages name it. */
export interface CheckpointOwner {
  Id: string;
  Name: string;
}

export class CheckpointStore {
  constructor(private readonly containersRoot: string) {}

  /** The directory holding a container's checkpoints: `dir` when given (absolute), else its own. */
  dirOf(c: CheckpointOwner, dir?: string): string {
    if (!dir) return path.join(this.containersRoot, c.Id, 'checkpoints');
    if (!path.isAbsolute(dir)) throw invalidParam(`checkpoint-dir: must be an absolute path (got ${JSON.stringify(dir)})`);
    return path.resolve(dir);
  }

  /** The directory of an existing checkpoint; 404 when there is none of that name. */
  find(c: CheckpointOwner, name: string, dir?: string): string {
    validateCheckpointName(name);
    const p = path.join(this.dirOf(c, dir), name);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      throw notFound(`checkpoint ${name} does not exist for container ${c.Name.slice(1)}`);
    }
    if (!st.isDirectory()) throw invalidParam(`checkpoint ${name}: ${p} exists and is not a directory`);
    return p;
  }

  /** The checkpoints' names (none when the directory does not exist yet). */
  list(c: CheckpointOwner, dir?: string): string[] {
    const root = this.dirOf(c, dir);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(root, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return entries
      .filter((e) => e.isDirectory() && NAME_RE.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  remove(c: CheckpointOwner, name: string, dir?: string): void {
    fs.rmSync(this.find(c, name, dir), { recursive: true, force: true });
  }

  /**
   * Start a new checkpoint: 409 if the name is taken, else a fresh hidden directory to fill.
   * `commit` renames it into place (409 if the name got taken meanwhile), `discard` removes it.
   */
  begin(c: CheckpointOwner, name: string, dir?: string): { path: string; commit(): void; discard(): void } {
    validateCheckpointName(name);
    const root = this.dirOf(c, dir);
    const final = path.join(root, name);
    const taken = () => conflict(`checkpoint with name ${name} already exists for container ${c.Name.slice(1)}`);
    if (fs.existsSync(final)) throw taken();
    const madeRoot = fs.mkdirSync(root, { recursive: true, mode: 0o700 }) !== undefined;
    const partial = fs.mkdtempSync(path.join(root, `${PARTIAL_PREFIX}${name}-`));
    return {
      path: partial,
      commit() {
        // rename(2) would replace an empty directory of that name: check right before
        if (fs.existsSync(final)) throw taken();
        fs.renameSync(partial, final);
      },
      discard() {
        fs.rmSync(partial, { recursive: true, force: true });
        // a failed first checkpoint leaves no empty checkpoints directory behind either
        if (madeRoot) {
          try {
            fs.rmdirSync(root);
          } catch {
            /* another checkpoint is there now */
          }
        }
      },
    };
  }

  /** Leftovers of creates interrupted by an engine crash (hidden, never listed): removed at start-up. */
  sweepPartials(c: CheckpointOwner): void {
    const root = this.dirOf(c);
    let names: string[] = [];
    try {
      names = fs.readdirSync(root);
    } catch {
      return;
    }
    for (const n of names) if (n.startsWith(PARTIAL_PREFIX)) fs.rmSync(path.join(root, n), { recursive: true, force: true });
  }
}

/** A unique lease id for one checkpoint operation (its content is held by the lease only). */
export const leaseId = (what: 'checkpoint' | 'restore', containerId: string) => `strata-engine-${what}-${containerId.slice(0, 12)}-${crypto.randomBytes(4).toString('hex')}`;
