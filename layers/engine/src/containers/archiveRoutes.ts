// docker cp: GET /containers/{id}/archive?path=P (a tar of P), PUT ...?path=DIR (extract a tar
// into DIR), HEAD (only the X-Docker-Container-Path-Stat header: base64 JSON {name, size, mode,
// mtime, linkTarget}, mode in Go's os.FileMode bits).
//
// Paths are resolved inside the container's root the way the container would see them, symlinks
// included, but never past the root: a symlink to /etc is the container's /etc (scopedPath). The
// root is /proc/<pid>/root while the task runs (its mounts and volumes included), the snapshot
// mounted on a private directory otherwise.
import fs from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { archive } from '@strata/manager';
import type { Route } from '../api/types';
import { EngineError, invalidParam, notFound } from '../errors';
import { withSnapshotRoot } from './rootfs';
import type { ContainerService } from './service';
import type { ContainerRecord } from './types';

const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
const MODE_NAMED_PIPE = 2 ** 25;

/** Resolve `p` (absolute, inside the container) under `root`, following symlinks as if root were "/". */
export function scopedPath(root: string, p: string, followLast = true): string {
  let todo = path.posix.normalize(`/${p}`).split('/').filter(Boolean);
  const done: string[] = [];
  for (let hops = 0; todo.length; ) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const cur = path.join(root, ...done, part);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(cur);
    } catch {
      st = undefined;
    }
    if (st?.isSymbolicLink() && (todo.length > 0 || followLast)) {
      if (++hops > 40) throw invalidParam(`too many levels of symbolic links in ${p}`);
      const target = fs.readlinkSync(cur);
      if (target.startsWith('/')) done.length = 0;
      todo = [...target.split('/').filter(Boolean), ...todo];
      continue;
    }
    done.push(part);
  }
  return path.join(root, ...done);
}

function statHeader(abs: string, name: string): string {
  const st = fs.lstatSync(abs);
  let mode = st.mode & 0o777;
  if (st.isDirectory()) mode += MODE_DIR;
  if (st.isSymbolicLink()) mode += MODE_SYMLINK;
  if (st.isFIFO()) mode += MODE_NAMED_PIPE;
  const doc = { name, size: st.size, mode, mtime: st.mtime.toISOString(), linkTarget: st.isSymbolicLink() ? fs.readlinkSync(abs) : '' };
  return Buffer.from(JSON.stringify(doc)).toString('base64');
}

async function withRoot<T>(svc: ContainerService, c: ContainerRecord, writable: boolean, fn: (root: string) => Promise<T>): Promise<T> {
  if (c.State.Running && c.State.Pid > 0) return fn(`/proc/${c.State.Pid}/root`);
  const mounts = await svc.client.snapshots(svc.snapshotter).mounts(c.Id);
  return withSnapshotRoot(mounts, path.join(svc.o.execRoot, 'tmp'), { writable }, fn);
}

async function tarTree(out: Writable, abs: string, name: string): Promise<void> {
  const w = new archive.TarWriter(out);
  const walk = async (a: string, n: string) => {
    const st = fs.lstatSync(a);
    const base = { name: n, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      await w.add({ ...base, type: 'dir' });
      for (const e of fs.readdirSync(a).sort()) await walk(path.join(a, e), `${n}/${e}`);
    } else if (st.isSymbolicLink()) await w.add({ ...base, type: 'symlink', linkname: fs.readlinkSync(a) });
    else if (st.isFile()) await w.add({ ...base, type: 'file', size: st.size }, fs.createReadStream(a) as AsyncIterable<Buffer>);
    else if (st.isFIFO()) await w.add({ ...base, type: 'fifo' });
  };
  await walk(abs, name);
  await w.finish();
}

export function archiveRoutes(svc: ContainerService): Route[] {
  const target = (q: URLSearchParams) => {
    const p = q.get('path');
    if (!p) throw invalidParam('path must not be empty');
    return p;
  };
  const missing = (c: ContainerRecord, p: string) => notFound(`Could not find the file ${p} in container ${c.Name.slice(1)}`);
  return [
    {
      method: 'HEAD',
      pattern: '/containers/{id}/archive',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const p = target(req.query);
        await withRoot(svc, c, false, async (root) => {
          const abs = scopedPath(root, p, !p.endsWith('/') ? false : true);
          if (!fs.existsSync(abs) && !isLink(abs)) throw missing(c, p);
          res.raw.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(abs, path.posix.basename(p) || '/'), 'Content-Type': 'application/x-tar' });
          res.raw.end();
        });
      },
    },
    {
      method: 'GET',
      pattern: '/containers/{id}/archive',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const p = target(req.query);
        await withRoot(svc, c, false, async (root) => {
          const abs = scopedPath(root, p, p.endsWith('/') || p.endsWith('/.'));
          if (!fs.existsSync(abs) && !isLink(abs)) throw missing(c, p);
          const name = path.posix.basename(path.posix.normalize(p)) || '.';
          const out = res.stream(200, 'application/x-tar', { 'X-Docker-Container-Path-Stat': statHeader(abs, name) });
          await tarTree(out, abs, p.endsWith('/.') ? '.' : name);
          out.end();
        });
      },
    },
    {
      method: 'PUT',
      pattern: '/containers/{id}/archive',
      handler: async (req, res) => {
        const c = svc.get(req.params.id);
        const p = target(req.query);
        if (c.HostConfig.ReadonlyRootfs) throw new EngineError('forbidden', 'container rootfs is marked read-only');
        await withRoot(svc, c, true, async (root) => {
          const abs = scopedPath(root, p, true);
          if (!fs.existsSync(abs)) throw missing(c, p);
          if (!fs.statSync(abs).isDirectory()) throw invalidParam('extraction point is not a directory');
          await archive.applyLayer(abs, req.raw, { whiteouts: 'delete', name: 'archive' });
        });
        res.json(200, {});
      },
    },
  ];
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
