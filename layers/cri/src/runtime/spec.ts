// The OCI specs the CRI writes: the pause container's (the pod sandbox) and each container's,
// following containerd's CRI plugin (internal/cri/server/sandbox_run_linux.go,
// container_create_linux.go). Both start from containerd's default Linux spec (the manager's
// containerSpec), then apply the pod/container config.
import fs from 'node:fs';
import path from 'node:path';
import type { LinuxNamespace, LinuxResources, Spec } from '@strata/oci';
import { containerSpec, DEFAULT_CAPS, type SpecImageConfig } from '@strata/manager';
import { hostDevices, deviceFromPath } from './devices';
import { invalidField } from './errors';
import { criMount } from './mounts';
import { capabilitySet, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, resolveUser, seccompProfile, type ImageUserFiles } from './securityContext';
import { NamespaceMode, type ContainerConfig, type LinuxContainerResources, type NamespaceOption, type PodSandboxConfig } from './types';

/** Where the pause binary appears inside the sandbox container. */
export const PAUSE_PATH = '/.strata-pause';
export const PAUSE_HOST_BINARY = '/usr/bin/catatonit';

// --- oom_score_adj ---------------------------------------------------------------------------------

/**
 * containerd's restrict_oom_score_adj: a process may not lower its own oom_score_adj without
 * CAP_SYS_RESOURCE (proc(5)), which this machine's root lacks (facts-machine.md); a container
 * asking for less than ours (the kubelet asks -998 for pause, -997 for guaranteed pods) gets ours.
 */
export function restrictOomScoreAdj(v: number): number {
  let own = 0;
  try {
    own = Number(fs.readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  } catch {
    // keep 0
  }
  return Math.max(own, Math.min(1000, v));
}

// --- resources -------------------------------------------------------------------------------------

export function linuxResources(r: LinuxContainerResources | undefined, field: string): LinuxResources {
  const out: LinuxResources = {};
  if (!r) return out;
  const nonNeg = (v: number | undefined, name: string) => {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw invalidField(`${field}.${name}`, `must be an integer >= 0 (got ${v})`);
    return v || undefined;
  };
  const shares = nonNeg(r.cpuShares, 'cpu_shares');
  const quota = r.cpuQuota && r.cpuQuota > 0 ? r.cpuQuota : undefined; // -1 / 0 = no quota
  const period = nonNeg(r.cpuPeriod, 'cpu_period');
  if (shares || quota || period || r.cpusetCpus || r.cpusetMems) {
    out.cpu = {};
    if (shares) out.cpu.shares = shares;
    if (quota) out.cpu.quota = quota;
    if (period) out.cpu.period = period;
    if (r.cpusetCpus) out.cpu.cpus = r.cpusetCpus;
    if (r.cpusetMems) out.cpu.mems = r.cpusetMems;
  }
  const mem = nonNeg(r.memoryLimitInBytes, 'memory_limit_in_bytes');
  if (mem) {
    out.memory = { limit: mem };
    const swap = r.memorySwapLimitInBytes;
    if (swap && swap > 0) out.memory.swap = swap;
  }
  if (r.unified && Object.keys(r.unified).length) out.unified = { ...r.unified };
  return out;
}

// --- namespaces ------------------------------------------------------------------------------------

export interface PodNamespaces {
  netns?: string; // undefined = host network
  pid?: number; // the pause process
  options: NamespaceOption;
}

function namespacesFor(pod: PodNamespaces, own: NamespaceOption | undefined, kind: 'sandbox' | 'container'): LinuxNamespace[] {
  const ns: LinuxNamespace[] = [{ type: 'mount' }];
  const net = pod.options.network ?? NamespaceMode.POD;
  const ipc = pod.options.ipc ?? NamespaceMode.POD;
  // the container's own option decides pid sharing (CONTAINER by default; POD = the pause's pid ns)
  const pid = kind === 'sandbox' ? (pod.options.pid ?? NamespaceMode.POD) : (own?.pid ?? pod.options.pid ?? NamespaceMode.CONTAINER);
  const p = (t: string) => `/proc/${pod.pid}/ns/${t}`;
  if (net !== NamespaceMode.NODE) ns.push({ type: 'network', path: pod.netns });
  if (ipc !== NamespaceMode.NODE) ns.push(kind === 'sandbox' ? { type: 'ipc' } : { type: 'ipc', path: p('ipc') });
  // the UTS namespace follows the network: a host-network pod has the node's hostname
  if (net !== NamespaceMode.NODE) ns.push(kind === 'sandbox' ? { type: 'uts' } : { type: 'uts', path: p('uts') });
  if (pid === NamespaceMode.NODE) return ns;
  if (kind === 'sandbox') ns.push({ type: 'pid' });
  else if (pid === NamespaceMode.POD) ns.push({ type: 'pid', path: p('pid') });
  else if (pid === NamespaceMode.TARGET) throw invalidField('linux.security_context.namespace_options.pid', 'TARGET is not supported');
  else ns.push({ type: 'pid' });
  return ns;
}

// --- sysctls ---------------------------------------------------------------------------------------

/** Namespaced sysctls only, and only in namespaces the pod owns (kubelet's sysctl safety rules). */
export function validateSysctls(sysctls: Record<string, string>, o: NamespaceOption): void {
  for (const k of Object.keys(sysctls)) {
    const f = `linux.sysctls[${JSON.stringify(k)}]`;
    if (!/^[a-z0-9_]+(\.[a-zA-Z0-9_\-/]+)+$/.test(k)) throw invalidField(f, 'not a sysctl name');
    const isNet = k.startsWith('net.');
    const isIpc = k.startsWith('kernel.shm') || k.startsWith('kernel.msg') || k === 'kernel.sem' || k.startsWith('fs.mqueue.');
    if (!isNet && !isIpc) throw invalidField(f, 'not a namespaced sysctl (only net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* can be set per pod)');
    if (isNet && o.network === NamespaceMode.NODE) throw invalidField(f, 'a net.* sysctl cannot be set in a pod using the host network');
    if (isIpc && o.ipc === NamespaceMode.NODE) throw invalidField(f, 'an IPC sysctl cannot be set in a pod using the host IPC namespace');
  }
}

// --- the pause container ---------------------------------------------------------------------------

export function sandboxSpec(o: { id: string; config: PodSandboxConfig; pod: PodNamespaces; cgroupsPath: string; image: SpecImageConfig; warn: (m: string) => void }): Spec {
  const c = o.config;
  const sc = c.linux?.securityContext ?? {};
  // catatonit -P: "pause mode" (no child; waits for signals, reaps zombies when it is the pod's pid 1)
  const s = containerSpec({ namespace: 'k8s.io', id: o.id, image: o.image, args: [PAUSE_PATH, '-P'], entrypoint: [], readonlyRootfs: true });
  const p = s.process!;
  p.capabilities = { bounding: [], effective: [], permitted: [] }; // pause needs none
  p.noNewPrivileges = true;
  p.oomScoreAdj = restrictOomScoreAdj(-998);
  p.user = { uid: sc.runAsUser?.value ?? 0, gid: sc.runAsGroup?.value ?? 0, additionalGids: sc.supplementalGroups?.length ? [...sc.supplementalGroups] : undefined };
  if (!p.user.additionalGids) delete p.user.additionalGids;
  s.mounts!.push({ destination: PAUSE_PATH, type: 'bind', source: PAUSE_HOST_BINARY, options: ['rbind', 'ro', 'nosuid', 'nodev'] });
  s.linux!.namespaces = namespacesFor(o.pod, undefined, 'sandbox');
  s.linux!.cgroupsPath = o.cgroupsPath;
  const hostNet = o.pod.options.network === NamespaceMode.NODE;
  if (!hostNet && c.hostname) s.hostname = c.hostname;
  else delete s.hostname;
  const sysctls = c.linux?.sysctls ?? {};
  validateSysctls(sysctls, o.pod.options);
  if (Object.keys(sysctls).length) s.linux!.sysctl = { ...sysctls };
  s.linux!.maskedPaths = [...DEFAULT_MASKED_PATHS];
  s.linux!.readonlyPaths = [...DEFAULT_READONLY_PATHS];
  const seccomp = seccompProfile({ ...sc, privileged: sc.privileged }, [], 'linux.security_context');
  if (seccomp) s.linux!.seccomp = seccomp as NonNullable<Spec['linux']>['seccomp'];
  s.annotations = {
    'io.kubernetes.cri.container-type': 'sandbox',
    'io.kubernetes.cri.sandbox-id': o.id,
    'io.kubernetes.cri.sandbox-name': c.metadata?.name ?? '',
    'io.kubernetes.cri.sandbox-namespace': c.metadata?.namespace ?? '',
    'io.kubernetes.cri.sandbox-uid': c.metadata?.uid ?? '',
    'io.kubernetes.cri.sandbox-log-directory': c.logDirectory ?? '',
  };
  if (sc.apparmor || c.annotations?.['container.apparmor.security.beta.kubernetes.io']) o.warn('apparmor profiles are ignored: this node has no AppArmor support in Strata');
  return s;
}

// --- a container -----------------------------------------------------------------------------------

export interface ContainerSpecInput {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  sandboxConfig: PodSandboxConfig;
  pod: PodNamespaces;
  image: SpecImageConfig;
  imageName: string;
  userFiles: () => ImageUserFiles;
  cgroupsPath: string;
  /** /etc/hosts, /etc/resolv.conf, /etc/hostname made for the pod, and its /dev/shm. */
  podFiles: Record<string, string>;
  warn: (m: string) => void;
}

/** containerd WithProcessArgs: command replaces Entrypoint (and drops Cmd unless args given). */
function processArgs(c: ContainerConfig, img: SpecImageConfig): string[] {
  let command = c.command ?? [];
  let args = c.args ?? [];
  if (command.length === 0) {
    if (args.length === 0) args = [...(img.Cmd ?? [])];
    const ep = img.Entrypoint ?? [];
    if (!(ep.length === 1 && ep[0] === '')) command = [...ep];
  }
  const all = [...command, ...args];
  if (all.length === 0) throw invalidField('config.command', 'no command specified, and the image has no Entrypoint or Cmd');
  return all;
}

export function criContainerSpec(o: ContainerSpecInput): Spec {
  const c = o.config;
  const sc = c.linux?.securityContext ?? {};
  const privileged = !!sc.privileged;
  if (privileged && !o.sandboxConfig.linux?.securityContext?.privileged) throw invalidField('config.linux.security_context.privileged', 'a privileged container needs a privileged pod sandbox');
  const env: string[] = [];
  for (const [i, kv] of (c.envs ?? []).entries()) {
    if (!kv.key) throw invalidField(`config.envs[${i}].key`, 'must not be empty');
    env.push(`${kv.key}=${kv.value ?? ''}`);
  }
  const args = processArgs(c, o.image);
  const s = containerSpec({ namespace: 'k8s.io', id: o.id, image: { ...o.image, User: '' }, args, entrypoint: [], env, cwd: c.workingDir || undefined, terminal: !!c.tty, readonlyRootfs: !!sc.readonlyRootfs });
  s.process!.args = args; // exactly ours (containerSpec joins entrypoint + args)
  const p = s.process!;
  // user
  const u = resolveUser(sc, o.image.User ?? '', o.userFiles);
  p.user = { uid: u.uid, gid: u.gid };
  if (u.additionalGids.length) p.user.additionalGids = u.additionalGids;
  // capabilities, no_new_privs, oom_score_adj
  const caps = capabilitySet(sc.capabilities, privileged, o.warn);
  p.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  p.noNewPrivileges = !!sc.noNewPrivs;
  if (c.linux?.resources?.oomScoreAdj !== undefined) p.oomScoreAdj = restrictOomScoreAdj(c.linux.resources.oomScoreAdj);
  if (sc.apparmor || sc.apparmorProfile) o.warn(`container ${o.id}: apparmor profile ignored (Strata has no AppArmor support)`);
  // namespaces, cgroup, resources
  s.linux!.namespaces = namespacesFor(o.pod, sc.namespaceOptions, 'container');
  delete s.hostname;
  s.linux!.cgroupsPath = o.cgroupsPath;
  const res = linuxResources(c.linux?.resources, 'config.linux.resources');
  s.linux!.resources = { ...s.linux!.resources, ...res, devices: [...(s.linux!.resources?.devices ?? [])] };
  // devices
  s.linux!.devices = [];
  if (privileged) {
    s.linux!.devices.push(...hostDevices());
    s.linux!.resources.devices = [{ allow: true, access: 'rwm' }];
  }
  for (const [i, d] of (c.devices ?? []).entries()) {
    if (!d.containerPath || !path.isAbsolute(d.containerPath)) throw invalidField(`config.devices[${i}].container_path`, 'must be an absolute path');
    const { device, rule } = deviceFromPath(d.hostPath ?? '', d.containerPath, d.permissions ?? '', `config.devices[${i}]`);
    s.linux!.devices.push(device);
    s.linux!.resources.devices!.push(rule);
  }
  // masked / readonly paths: the request's, else containerd's defaults; none when privileged
  s.linux!.maskedPaths = privileged ? [] : sc.maskedPaths?.length ? [...sc.maskedPaths] : [...DEFAULT_MASKED_PATHS];
  s.linux!.readonlyPaths = privileged ? [] : sc.readonlyPaths?.length ? [...sc.readonlyPaths] : [...DEFAULT_READONLY_PATHS];
  const seccomp = seccompProfile(sc, caps, 'config.linux.security_context');
  if (seccomp) s.linux!.seccomp = seccomp as NonNullable<Spec['linux']>['seccomp'];
  // mounts: the pod's /etc files, then the volumes (a volume at the same path wins)
  const mounts = (c.mounts ?? []).map((m, i) => criMount(m, i));
  const taken = new Set(mounts.map((m) => m.destination));
  const ro = sc.readonlyRootfs ? 'ro' : 'rw';
  for (const [dest, src] of Object.entries(o.podFiles)) {
    if (taken.has(dest)) continue;
    // the pod's /dev/shm replaces the container's own tmpfs and stays writable on a readonly rootfs
    if (dest === '/dev/shm') s.mounts = s.mounts!.filter((m) => m.destination !== '/dev/shm');
    s.mounts!.push({ destination: dest, type: 'bind', source: src, options: dest === '/dev/shm' ? ['rbind', 'rprivate', 'rw', 'nosuid', 'nodev', 'noexec'] : ['rbind', 'rprivate', ro] });
  }
  s.mounts = [...s.mounts!.filter((m) => !taken.has(m.destination)), ...mounts];
  if (mounts.some((m) => m.options?.includes('rshared'))) s.linux!.rootfsPropagation = 'rshared';
  else if (mounts.some((m) => m.options?.includes('rslave'))) s.linux!.rootfsPropagation = 'rslave';
  if (privileged) {
    // writable sysfs and cgroupfs (containerd WithWriteableSysfs / WithWriteableCgroupfs)
    for (const m of s.mounts!) if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup') m.options = (m.options ?? []).filter((x) => x !== 'ro').concat('rw');
  }
  s.annotations = {
    'io.kubernetes.cri.container-type': 'container',
    'io.kubernetes.cri.container-name': c.metadata?.name ?? '',
    'io.kubernetes.cri.sandbox-id': o.sandboxId,
    'io.kubernetes.cri.sandbox-name': o.sandboxConfig.metadata?.name ?? '',
    'io.kubernetes.cri.sandbox-namespace': o.sandboxConfig.metadata?.namespace ?? '',
    'io.kubernetes.cri.image-name': o.imageName,
  };
  return s;
}

export { DEFAULT_CAPS };
