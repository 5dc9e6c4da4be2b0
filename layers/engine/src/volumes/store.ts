// The volume store (moby's volume service + local driver). On disk, per volume:
//
//   <root>/<name>/_data         what containers see (Mountpoint)
//   <root>/<name>/volume.json   {Driver, Labels, Options, CreatedAt}
//
// References: a container holds its volumes from create to rm (docker refuses to remove a
// volume that any container — running or not — names: 409 "volume is in use - [ids]"). They are
// kept in volume.json too ("users"), so an engine restart keeps refusing; the engine may drop
// the users that no longer exist with keepUsers() once it has restored its containers.
import fs from 'node:fs';
import path from 'node:path';
import { EngineError, conflict, invalidParam, notFound } from '../errors';
import type { Route } from '../api/types';
import type { EngineEvents } from '../events';
import { boolFilter, checkFilterKeys, matchLabels } from '../events/filters';
import { ANONYMOUS_LABEL, anonymousVolumeName, validateVolumeName } from './names';
import { isMountPoint, mountVolume, parseLocalOptions, unmountVolume } from './mountOptions';
import { volumeRoutes } from './routes';

/** docker's volume.Volume JSON. */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Scope: 'local';
  Options: Record<string, string> | null;
}

export interface VolumeCreateRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

export interface VolumeStoreOptions {
  /** <data-root>/volumes */
  root: string;
  events: EngineEvents;
}

interface Meta {
  Driver: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  CreatedAt: string;
  /** Containers holding the volume (persisted references). */
  users?: string[];
}

const META = 'volume.json';

export class VolumeStore {
  private readonly volumes = new Map<string, Meta>();
  private readonly refs = new Map<string, Set<string>>();
  readonly root: string;

  constructor(private readonly o: VolumeStoreOptions) {
    this.root = path.resolve(o.root);
  }

  /** Load the volumes on disk (a directory without readable metadata is a plain local volume). */
  async init(): Promise<void> {
    // 0701 as dockerd: others may traverse to a _data a container was given, not list names.
    fs.mkdirSync(this.root, { recursive: true, mode: 0o701 });
    for (const name of fs.readdirSync(this.root)) {
      const dir = path.join(this.root, name);
      if (!fs.lstatSync(dir).isDirectory()) continue;
      try {
        validateVolumeName(name);
      } catch {
        continue;
      }
      let meta: Meta;
      try {
        meta = JSON.parse(fs.readFileSync(path.join(dir, META), 'utf8')) as Meta;
      } catch {
        meta = { Driver: 'local', Labels: {}, Options: {}, CreatedAt: rfc3339(fs.statSync(dir).mtime) };
      }
      fs.mkdirSync(path.join(dir, '_data'), { recursive: true, mode: 0o755 });
      this.volumes.set(name, meta);
      if (meta.users?.length) this.refs.set(name, new Set(meta.users));
    }
  }

  /** Forget the users that are not among these containers (after the engine restored its containers). */
  keepUsers(containerIds: Set<string>): void {
    for (const [name, set] of this.refs) {
      for (const id of set) if (!containerIds.has(id)) set.delete(id);
      if (set.size === 0) this.refs.delete(name);
      this.saveUsers(name);
    }
  }

  private saveUsers(name: string): void {
    const meta = this.volumes.get(name);
    if (!meta) return;
    const users = [...(this.refs.get(name) ?? [])].sort();
    if (JSON.stringify(users) === JSON.stringify(meta.users ?? [])) return;
    meta.users = users;
    writeAtomic(path.join(this.root, name, META), JSON.stringify(meta));
  }

  /** POST /volumes/create. An existing name answers its volume (docker's create is idempotent). */
  async create(req: VolumeCreateRequest = {}): Promise<Volume> {
    const driver = req.Driver || 'local';
    const name = req.Name || anonymousVolumeName();
    validateVolumeName(name);
    if (driver !== 'local') throw new EngineError('notFound', `error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const existing = this.volumes.get(name);
    if (existing) {
      if (existing.Driver !== driver) throw conflict(`volume name ${name} already exists with driver ${existing.Driver}`);
      return this.toVolume(name, existing);
    }
    checkStringMap(req.Labels, 'Labels');
    checkStringMap(req.DriverOpts, 'DriverOpts');
    parseLocalOptions(req.DriverOpts);
    const labels = { ...(req.Labels ?? {}) };
    if (!req.Name) labels[ANONYMOUS_LABEL] = '';
    const meta: Meta = { Driver: driver, Labels: labels, Options: { ...(req.DriverOpts ?? {}) }, CreatedAt: rfc3339(new Date()) };
    const dir = path.join(this.root, name);
    fs.mkdirSync(path.join(dir, '_data'), { recursive: true, mode: 0o755 });
    writeAtomic(path.join(dir, META), JSON.stringify(meta));
    this.volumes.set(name, meta);
    this.o.events.emit('volume', 'create', name, { driver });
    return this.toVolume(name, meta);
  }

  /** GET /volumes/{name}. */
  get(name: string): Volume {
    const meta = this.volumes.get(name);
    if (!meta) throw notFound(`get ${name}: no such volume`);
    return this.toVolume(name, meta);
  }

  has(name: string): boolean {
    return this.volumes.has(name);
  }

  /** GET /volumes: filters name (substring), label, dangling, driver. */
  list(filters: Record<string, string[]> = {}): Volume[] {
    checkFilterKeys(filters, ['name', 'label', 'dangling', 'driver']);
    const dangling = boolFilter(filters, 'dangling');
    const out: Volume[] = [];
    for (const [name, meta] of this.volumes) {
      if (filters.name?.length && !filters.name.some((n) => name.includes(n))) continue;
      if (filters.driver?.length && !filters.driver.includes(meta.Driver)) continue;
      if (!matchLabels(meta.Labels, filters.label)) continue;
      if (dangling !== undefined && dangling !== !this.inUse(name)) continue;
      out.push(this.toVolume(name, meta));
    }
    return out.sort((a, b) => a.Name.localeCompare(b.Name));
  }

  /** Containers holding the volume. */
  users(name: string): string[] {
    return [...(this.refs.get(name) ?? [])];
  }

  private inUse(name: string): boolean {
    return (this.refs.get(name)?.size ?? 0) > 0;
  }

  /** DELETE /volumes/{name}: refused while a container holds it; force only forgives a missing volume. */
  async remove(name: string, force = false): Promise<void> {
    const meta = this.volumes.get(name);
    if (!meta) {
      if (force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    if (this.inUse(name)) throw conflict(`remove ${name}: volume is in use - [${this.users(name).join(', ')}]`);
    const dir = path.join(this.root, name);
    const data = path.join(dir, '_data');
    unmountVolume(data);
    if (isMountPoint(data)) throw new EngineError('system', `remove ${name}: ${data} is still mounted`);
    this.volumes.delete(name);
    fs.rmSync(dir, { recursive: true, force: true });
    this.o.events.emit('volume', 'destroy', name, { driver: meta.Driver });
  }

  /**
   * POST /volumes/prune: unused volumes. Since API 1.42 only anonymous ones unless the filter
   * all=true is given (docker volume prune -a); label filters narrow it.
   */
  async prune(filters: Record<string, string[]> = {}, apiVersion = '1.50'): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    checkFilterKeys(filters, ['label', 'label!', 'all']);
    const all = boolFilter(filters, 'all') ?? versionBelow(apiVersion, '1.42');
    const deleted: string[] = [];
    let space = 0;
    for (const [name, meta] of [...this.volumes]) {
      if (this.inUse(name)) continue;
      if (!all && !(ANONYMOUS_LABEL in meta.Labels)) continue;
      if (!matchLabels(meta.Labels, filters.label)) continue;
      if (filters['label!']?.length && filters['label!'].some((l) => matchLabels(meta.Labels, [l]))) continue;
      const size = diskUsage(path.join(this.root, name, '_data'));
      await this.remove(name);
      deleted.push(name);
      space += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: space };
  }

  /**
   * A container takes a volume (docker run -v NAME:/path; no name: a new anonymous volume, as for
   * -v /path or an image's VOLUME): created if missing, mounted if it has mount options and is
   * not yet. The volume's Mountpoint is the host directory to bind.
   */
  async acquire(name: string | undefined, containerId: string): Promise<Volume> {
    if (!containerId) throw invalidParam('acquire volume: container id is empty');
    const vol = name && this.volumes.has(name) ? this.get(name) : await this.create(name ? { Name: name } : {});
    const meta = this.volumes.get(vol.Name)!;
    const opts = parseLocalOptions(meta.Options);
    if (opts && !isMountPoint(vol.Mountpoint)) mountVolume(opts, vol.Mountpoint);
    let set = this.refs.get(vol.Name);
    if (!set) this.refs.set(vol.Name, (set = new Set()));
    set.add(containerId);
    this.saveUsers(vol.Name);
    return vol;
  }

  /**
   * The container gives the volume back (docker rm). The last user unmounts a mounted volume;
   * with `remove` (docker rm -v, run --rm) an anonymous volume nobody else holds is deleted.
   */
  async release(name: string, containerId: string, o: { remove?: boolean } = {}): Promise<void> {
    const set = this.refs.get(name);
    set?.delete(containerId);
    this.saveUsers(name);
    if (set && set.size > 0) return;
    this.refs.delete(name);
    const meta = this.volumes.get(name);
    if (!meta) return;
    if (parseLocalOptions(meta.Options)) unmountVolume(path.join(this.root, name, '_data'));
    if (o.remove && ANONYMOUS_LABEL in meta.Labels) await this.remove(name);
  }

  /** /volumes routes. */
  routes(): Route[] {
    return volumeRoutes(this);
  }

  private toVolume(name: string, meta: Meta): Volume {
    return {
      CreatedAt: meta.CreatedAt,
      Driver: meta.Driver,
      Labels: Object.keys(meta.Labels).length ? { ...meta.Labels } : null,
      Mountpoint: path.join(this.root, name, '_data'),
      Name: name,
      Options: Object.keys(meta.Options).length ? { ...meta.Options } : null,
      Scope: 'local',
    };
  }
}

function checkStringMap(m: unknown, field: string): void {
  if (m === undefined || m === null) return;
  if (typeof m !== 'object' || Array.isArray(m)) throw invalidParam(`${field}: want a JSON object of strings`);
  for (const [k, v] of Object.entries(m)) if (typeof v !== 'string') throw invalidParam(`${field}.${k}: want a string, got ${JSON.stringify(v)}`);
}

/** RFC 3339 with seconds and the local offset, as Go's time.RFC3339 prints it. */
function rfc3339(d: Date): string {
  const off = -d.getTimezoneOffset();
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, '0');
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return off === 0 ? `${local}Z` : `${local}${off > 0 ? '+' : '-'}${pad(off / 60)}:${pad(off % 60)}`;
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function versionBelow(v: string, than: string): boolean {
  const [a, b] = v.split('.').map(Number);
  const [c, d] = than.split('.').map(Number);
  return a < c || (a === c && b < d);
}

/** Bytes under a directory (not following symlinks, not crossing into mounts' contents twice). */
function diskUsage(dir: string): number {
  let total = 0;
  const walk = (p: string, depth: number) => {
    if (depth > 64) return;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e), depth + 1);
    else if (st.isFile()) total += st.blocks * 512;
  };
  walk(dir, 0);
  return total;
}
