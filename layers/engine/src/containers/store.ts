// The engine's containers: in memory, persisted one directory per container
// (<data-root>/containers/<id>/config.v2.json, as dockerd does), found by full id, unique id
// prefix or name (moby's daemon.GetContainer order: exact id, exact name, id prefix).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, invalidParam, notFound } from '../errors';
import type { ContainerRecord } from './types';

/** moby's restrictedNamePattern. */
const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const ID_RE = /^[0-9a-f]{64}$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) throw invalidParam(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

export const newId = () => crypto.randomBytes(32).toString('hex');

// docker's generated names are "adjective_surname"; these are Strata's own short lists.
const ADJECTIVES = ['brave', 'calm', 'eager', 'fancy', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'quiet', 'rapid', 'sharp', 'tidy', 'vivid', 'witty', 'zen'];
const NAMES = ['lovelace', 'hopper', 'turing', 'ritchie', 'thompson', 'torvalds', 'knuth', 'dijkstra', 'hamilton', 'liskov', 'kernighan', 'pike', 'cerf', 'shannon', 'noether', 'curie'];

export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly names = new Map<string, string>();

  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  dir(id: string): string {
    if (!ID_RE.test(id)) throw invalidParam(`invalid container id ${JSON.stringify(id)}`);
    return path.join(this.root, id);
  }

  /** Load every persisted container (engine start). Unreadable ones are reported and skipped. */
  load(onError: (id: string, e: unknown) => void): ContainerRecord[] {
    for (const id of fs.readdirSync(this.root)) {
      if (!ID_RE.test(id)) continue;
      try {
        const c = JSON.parse(fs.readFileSync(path.join(this.root, id, 'config.v2.json'), 'utf8')) as ContainerRecord;
        this.byId.set(c.Id, c);
        this.names.set(c.Name, c.Id);
      } catch (e) {
        onError(id, e);
      }
    }
    return this.all();
  }

  all(): ContainerRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
  }

  /** Reserve a name for a new or renamed container (409 with docker's text when taken). */
  reserveName(name: string, id: string): void {
    const owner = this.names.get(name);
    if (owner && owner !== id) {
      throw new EngineError('conflict', `Conflict. The container name "${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.names.set(name, id);
  }

  releaseName(name: string): void {
    this.names.delete(name);
  }

  generateName(): string {
    for (let i = 0; i < 50; i++) {
      const n = `/${ADJECTIVES[crypto.randomInt(ADJECTIVES.length)]}_${NAMES[crypto.randomInt(NAMES.length)]}${i > 10 ? crypto.randomInt(100) : ''}`;
      if (!this.names.has(n)) return n;
    }
    return `/strata_${crypto.randomBytes(4).toString('hex')}`;
  }

  add(c: ContainerRecord): void {
    this.byId.set(c.Id, c);
    this.names.set(c.Name, c.Id);
    this.save(c);
  }

  /** Write config.v2.json atomically (rename over the old file). */
  save(c: ContainerRecord): void {
    if (!this.byId.has(c.Id)) return; // removed meanwhile
    const dir = this.dir(c.Id);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(dir, '.config.v2.json.tmp');
    fs.writeFileSync(tmp, JSON.stringify(c));
    fs.renameSync(tmp, path.join(dir, 'config.v2.json'));
  }

  delete(c: ContainerRecord): void {
    this.byId.delete(c.Id);
    if (this.names.get(c.Name) === c.Id) this.names.delete(c.Name);
    fs.rmSync(this.dir(c.Id), { recursive: true, force: true });
  }

  /** By full id, name (with or without "/"), or unique id prefix; 404 "No such container: x". */
  get(ref: string): ContainerRecord {
    const c = this.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = [...this.byId.keys()].filter((id) => id.startsWith(ref));
    if (hits.length > 1) throw invalidParam(`Multiple IDs found with provided prefix: ${ref}`);
    return hits.length ? this.byId.get(hits[0]) : undefined;
  }
}
