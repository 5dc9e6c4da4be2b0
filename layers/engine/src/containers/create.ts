// POST /containers/create: checking the body the way dockerd does (moby's
// daemon/container.go verifyContainerSettings, runconfig), merging the image's config into the
// container's (moby's daemon/commit.go merge), and turning -v / --mount into mount specs.
import os from 'node:os';
import path from 'node:path';
import type { SpecImageConfig } from '@strata/manager';
import { invalidParam } from '../errors';
import { normalizeCap } from './spec';
import type { ContainerConfig, MountSpec } from './types';

const RESTART_NAMES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

export function validateCreate(body: any): void {
  if (!body || typeof body !== 'object') throw invalidParam('config cannot be empty in order to create a container');
  if (typeof body.Image !== 'string' || !body.Image) throw invalidParam('no image specified: the body needs "Image"');
  for (const k of ['Cmd', 'Entrypoint', 'Env'] as const) {
    const v = body[k];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw invalidParam(`invalid ${k}: must be an array of strings`);
  }
  for (const e of body.Env ?? []) if (e.startsWith('=') || e === '') throw invalidParam(`invalid environment variable: ${e}`);
  const hc = body.HostConfig ?? {};
  if (typeof hc !== 'object') throw invalidParam('invalid HostConfig: must be an object');
  const rp = hc.RestartPolicy;
  if (rp) {
    if (!RESTART_NAMES.includes(rp.Name ?? '')) throw invalidParam(`invalid restart policy: unknown policy '${rp.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    if ((rp.MaximumRetryCount ?? 0) < 0) throw invalidParam('invalid restart policy: maximum retry count must be a positive integer');
    if (rp.MaximumRetryCount && rp.Name !== 'on-failure') throw invalidParam(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (hc.AutoRemove && rp.Name && rp.Name !== 'no') throw invalidParam(`can't create 'AutoRemove' container with restart policy`);
  }
  if (hc.Memory && hc.Memory < 6 * 1024 * 1024) throw invalidParam('Minimum memory limit allowed is 6MB');
  if (hc.Memory && hc.MemorySwap && hc.MemorySwap > 0 && hc.MemorySwap < hc.Memory) throw invalidParam('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (hc.NanoCpus && (hc.CpuQuota || hc.CpuPeriod)) throw invalidParam('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  const ncpu = os.cpus().length;
  if (hc.NanoCpus && (hc.NanoCpus < 0 || hc.NanoCpus > ncpu * 1e9)) throw invalidParam(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  if (hc.CpuPeriod && (hc.CpuPeriod < 1000 || hc.CpuPeriod > 1_000_000)) throw invalidParam('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (hc.CpuQuota && hc.CpuQuota > 0 && hc.CpuQuota < 1000) throw invalidParam('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  for (const c of hc.CapAdd ?? []) normalizeCap(c, 'CapAdd');
  for (const c of hc.CapDrop ?? []) normalizeCap(c, 'CapDrop');
  for (const [port, binds] of Object.entries(hc.PortBindings ?? {})) {
    if (!/^\d+(\/(tcp|udp|sctp))?$/.test(port)) throw invalidParam(`invalid port specification: "${port}"`);
    for (const b of (binds as any[]) ?? []) if (b?.HostPort && !/^\d+(-\d+)?$/.test(b.HostPort)) throw invalidParam(`invalid port specification: "${b.HostPort}"`);
  }
  for (const h of hc.ExtraHosts ?? []) if (!/^[^:\s]+:.+$/.test(h)) throw invalidParam(`invalid argument "${h}" for "--add-host" flag: invalid argument`);
}

/** The container's Config: the request's, with the image's values where the request has none. */
export function mergeImageConfig(body: any, img: SpecImageConfig & { Volumes?: Record<string, object>; Labels?: Record<string, string> }): ContainerConfig {
  const env = new Map<string, string>();
  for (const e of [...(img.Env ?? []), ...(body.Env ?? [])]) {
    const i = e.indexOf('=');
    env.set(i < 0 ? e : e.slice(0, i), e);
  }
  const userEntrypoint = body.Entrypoint && body.Entrypoint.length ? body.Entrypoint : null;
  // an explicit entrypoint drops the image's Cmd (docker run --entrypoint)
  const cmd = body.Cmd && body.Cmd.length ? body.Cmd : userEntrypoint ? null : (img.Cmd ?? null);
  const entrypoint = userEntrypoint ?? (body.Entrypoint && body.Entrypoint.length === 0 && body.Entrypoint !== null ? null : (img.Entrypoint ?? null));
  return {
    Hostname: body.Hostname ?? '',
    Domainname: body.Domainname ?? '',
    User: body.User || img.User || '',
    AttachStdin: !!body.AttachStdin,
    AttachStdout: !!body.AttachStdout,
    AttachStderr: !!body.AttachStderr,
    ExposedPorts: { ...(img.ExposedPorts ?? {}), ...(body.ExposedPorts ?? {}), ...Object.fromEntries(Object.keys(body.HostConfig?.PortBindings ?? {}).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) },
    Tty: !!body.Tty,
    OpenStdin: !!body.OpenStdin,
    StdinOnce: !!body.StdinOnce,
    Env: [...env.values()],
    Cmd: cmd,
    Image: body.Image,
    Volumes: { ...(img.Volumes ?? {}), ...(body.Volumes ?? {}) },
    WorkingDir: body.WorkingDir || img.WorkingDir || '',
    Entrypoint: entrypoint,
    Labels: { ...(img.Labels ?? {}), ...(body.Labels ?? {}) },
    StopSignal: body.StopSignal || img.StopSignal || undefined,
    StopTimeout: body.StopTimeout ?? undefined,
  };
}

/**
 * -v host:ctr[:ro], -v name:ctr, -v /ctr (anonymous), --mount type=..., and the image's VOLUMEs
 * (anonymous volumes unless something is mounted there already).
 */
export function parseMounts(hc: any, config: ContainerConfig): MountSpec[] {
  const out: MountSpec[] = [];
  const seen = new Set<string>();
  const add = (m: MountSpec) => {
    if (!path.isAbsolute(m.Target)) throw invalidParam(`invalid mount config for type "${m.Type}": invalid mount path: '${m.Target}' mount path must be absolute`);
    const t = path.posix.normalize(m.Target);
    if (t === '/') throw invalidParam(`invalid specification: destination can't be '/'`);
    if (seen.has(t)) throw invalidParam(`Duplicate mount point: ${t}`);
    seen.add(t);
    out.push({ ...m, Target: t });
  };
  for (const b of hc.Binds ?? []) {
    if (typeof b !== 'string') throw invalidParam('invalid Binds: must be strings');
    const parts = b.split(':');
    if (parts.length === 1) {
      add({ Type: 'volume', Source: '', Target: parts[0] });
      continue;
    }
    if (parts.length > 3) throw invalidParam(`invalid volume specification: '${b}'`);
    const [src, dst, mode = ''] = parts;
    const modes = mode.split(',').filter(Boolean);
    for (const m of modes) if (!['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(m)) throw invalidParam(`invalid mode: ${m}`);
    const ro = modes.includes('ro');
    if (src.startsWith('/')) add({ Type: 'bind', Source: path.normalize(src), Target: dst, ReadOnly: ro, CreateSource: true });
    else {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(src)) throw invalidParam(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
      add({ Type: 'volume', Source: src, Target: dst, ReadOnly: ro });
    }
  }
  for (const m of hc.Mounts ?? []) {
    if (!['bind', 'volume', 'tmpfs'].includes(m?.Type)) throw invalidParam(`invalid mount config: mount type unknown: "${m?.Type}"`);
    if (!m.Target) throw invalidParam('invalid mount config: Target must not be empty');
    if (m.Type === 'bind') {
      if (!m.Source || !path.isAbsolute(m.Source)) throw invalidParam(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`);
    }
    add({ Type: m.Type, Source: m.Source ?? '', Target: m.Target, ReadOnly: !!m.ReadOnly });
  }
  for (const t of Object.keys(config.Volumes ?? {})) if (!seen.has(path.posix.normalize(t))) add({ Type: 'volume', Source: '', Target: t });
  return out;
}
