// The JSON docker clients read about containers: inspect (GET /containers/{id}/json) and the
// list entries of GET /containers/json, with docker's human status ("Up 2 seconds",
// "Exited (0) 3 seconds ago") and filters (status, name, id, label, ancestor, exited, before, since).
import { invalidParam } from '../errors';
import type { ContainerRecord } from './types';

/** go-units HumanDuration, which docker ps uses. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(ms / 60_000);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(ms / 3_600_000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.State;
  switch (s.Status) {
    case 'created':
      return 'Created';
    case 'running':
    case 'paused':
      return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    default:
      return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  }
}

/** The inspect document: the record without the engine's private part. */
export function inspectView(c: ContainerRecord, execIds: string[]): object {
  const { Strata: _private, ...doc } = c;
  return { ...doc, ExecIDs: execIds.length ? execIds : null, GraphDriver: { Name: c.Driver, Data: null }, SizeRw: undefined };
}

const quoteArg = (a: string) => (/[\s"']/.test(a) ? JSON.stringify(a) : a);

export function listView(c: ContainerRecord): object {
  const ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [p, binds] of Object.entries(c.NetworkSettings.Ports ?? {})) {
    const [num, proto = 'tcp'] = p.split('/');
    if (!binds || !binds.length) ports.push({ PrivatePort: Number(num), Type: proto });
    else for (const b of binds) ports.push({ IP: b.HostIp, PrivatePort: Number(num), PublicPort: Number(b.HostPort), Type: proto });
  }
  return {
    Id: c.Id,
    Names: [c.Name],
    Image: c.Config.Image,
    ImageID: c.Image,
    Command: [c.Path, ...c.Args].map(quoteArg).join(' '),
    Created: Math.floor(Date.parse(c.Created) / 1000),
    Ports: ports,
    Labels: c.Config.Labels ?? {},
    State: c.State.Status,
    Status: statusText(c),
    HostConfig: { NetworkMode: c.HostConfig.NetworkMode },
    NetworkSettings: { Networks: c.NetworkSettings.Networks },
    Mounts: c.Mounts,
  };
}

/** ?filters={"status":["running"],...} (also the old {"status":{"running":true}} form). */
export function parseFilters(raw: string | null): Record<string, string[]> {
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw invalidParam(`invalid filter: ${raw}`);
  }
  const out: Record<string, string[]> = {};
  for (const [k, vals] of Object.entries((v ?? {}) as Record<string, unknown>)) {
    out[k] = Array.isArray(vals) ? vals.map(String) : Object.keys(vals as object);
  }
  return out;
}

const KNOWN = ['status', 'name', 'id', 'label', 'ancestor', 'exited', 'before', 'since', 'network', 'volume', 'health', 'isolation', 'publish', 'expose', 'is-task'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export function matchFilters(c: ContainerRecord, f: Record<string, string[]>, lookup: (ref: string) => ContainerRecord | undefined): boolean {
  for (const k of Object.keys(f)) if (!KNOWN.includes(k)) throw invalidParam(`invalid filter '${k}'`);
  for (const s of f.status ?? []) if (!STATUSES.includes(s)) throw invalidParam(`invalid filter 'status=${s}'`);
  const any = (vals: string[] | undefined, test: (v: string) => boolean) => !vals || vals.length === 0 || vals.some(test);
  if (!any(f.status, (s) => c.State.Status === s)) return false;
  if (!any(f.name, (n) => new RegExp(n.replace(/^\//, '')).test(c.Name.slice(1)))) return false;
  if (!any(f.id, (i) => c.Id.startsWith(i))) return false;
  if (!any(f.exited, (e) => c.State.Status === 'exited' && String(c.State.ExitCode) === e)) return false;
  for (const l of f.label ?? []) {
    const i = l.indexOf('=');
    const labels = c.Config.Labels ?? {};
    if (i < 0 ? !(l in labels) : labels[l.slice(0, i)] !== l.slice(i + 1)) return false;
  }
  if (!any(f.ancestor, (a) => c.Config.Image === a || c.Image === a || c.Image.replace('sha256:', '').startsWith(a.replace('sha256:', '')) || c.Strata.imageRef === a || c.Strata.imageRef === `docker.io/library/${a.includes(':') ? a : `${a}:latest`}`)) return false;
  for (const b of f.before ?? []) {
    const o = lookup(b);
    if (!o || c.Created >= o.Created) return false;
  }
  for (const b of f.since ?? []) {
    const o = lookup(b);
    if (!o || c.Created <= o.Created) return false;
  }
  if (!any(f.network, (n) => Object.values(c.NetworkSettings.Networks).some((e) => e.NetworkID === n) || n in c.NetworkSettings.Networks || c.HostConfig.NetworkMode === n)) return false;
  if (!any(f.volume, (v) => c.Mounts.some((m) => m.Name === v || m.Destination === v || m.Source === v))) return false;
  return true;
}
