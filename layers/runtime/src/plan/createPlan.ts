// The whole plan of `create`, in the order the kernel needs it. This file is the answer to
// "what does runc actually do to start a container?": read it top to bottom.
import path from 'node:path';
import type { Spec } from '@strata/oci';
import type { InitOp } from '@strata/linux';
import { RuntimeError } from '../errors';
import { MS, rootPropagationFlags, finalRootPropagation } from './mountOptions';
import { planNamespaces, idMapText, CLONE } from './namespaces';
import { mountOps, devMounts, type MountContext } from './mounts';
import { deviceOps } from './devices';
import { rlimitOps, identityOps, seccompOp, execOps, finalExec, withHome } from './process';

export interface CreatePlanInput {
  id: string;
  spec: Spec;
  bundle: string;
  /** Absolute rootfs path (root.path resolved against the bundle). */
  rootfs: string;
  /** The container's state dir, which holds exec.fifo. */
  stateDir: string;
  /** cgroup.procs files of the container's cgroup, in every hierarchy. */
  cgroupProcs: string[];
  cgroup: MountContext['cgroup'];
  /** --console-socket path, or "fd:N" for a socket the runtime passes itself. */
  consoleSocket?: string;
  noPivot: boolean;
  noNewKeyring: boolean;
  /** Foreground run: the helper stays as the container's parent and exits with its status. */
  foreground: boolean;
  /** The init stops before pivot_root so the runtime can run prestart/createRuntime hooks. */
  hooksPoint: boolean;
  /** HOME of process.user from the image's /etc/passwd, when the env lacks HOME. */
  home?: string;
  /** Mount point (host path) of the mount that contains the rootfs, made private for pivot_root. */
  rootfsParentMount: string;
}

export function buildCreatePlan(input: CreatePlanInput): InitOp[] {
  const { spec, rootfs } = input;
  const ns = planNamespaces(spec);
  const proc = spec.process;
  if (!proc) throw new RuntimeError('INVALID_CONFIG', 'config.json /process: a process is required to create a container', { pointer: '/process' });
  if (!ns.isNew('mount') && !ns.has('mount')) {
    throw new RuntimeError('INVALID_CONFIG', 'config.json /linux/namespaces: strata-runtime needs a mount namespace (add {"type": "mount"})', { pointer: '/linux/namespaces' });
  }
  const userNs = ns.has('user');
  const plan: InitOp[] = [];

  // ---- In the parent (P): things that must happen before the container's first process exists.
  for (const f of input.cgroupProcs) plan.push({ op: 'join-cgroup', args: [f], why: 'children inherit our cgroups' });
  for (const j of ns.join) plan.push({ op: 'setns', args: [j.path, j.flag], why: `join the existing ${j.type} namespace` });
  if (ns.newTime) {
    plan.push({ op: 'unshare', args: [CLONE.NEWTIME], why: 'a new time namespace (clone cannot take CLONE_NEWTIME)' });
    const offsets = spec.linux?.timeOffsets ?? {};
    const lines = Object.entries(offsets).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}`);
    if (lines.length) plan.push({ op: 'write-file', args: ['/proc/self/timens_offsets', lines.join('\n')], why: 'linux.timeOffsets' });
  }
  if (input.consoleSocket) plan.push({ op: 'console-connect', args: [input.consoleSocket], why: '--console-socket: where the pty master goes' });
  plan.push({ op: 'open-slot', args: [0, input.stateDir], why: 'keep the state dir to reach exec.fifo after pivot_root' });
  plan.push({
    op: 'clone',
    args: [ns.cloneFlags, input.foreground ? 1 : 0, ns.isNew('user') ? idMapText(spec.linux?.uidMappings) : '', ns.isNew('user') ? idMapText(spec.linux?.gidMappings) : '', ''],
    why: 'the container process, in its new namespaces',
  });

  // ---- In the child (C): the container's pid 1.
  plan.push({ op: 'setsid', args: [], why: 'its own session, as runc does' });
  if (!input.noNewKeyring) plan.push({ op: 'join-keyring', args: [`_ses.${input.id}`], why: 'do not share the caller\'s session keyring' });
  if (ns.isNew('mount')) {
    plan.push({ op: 'mount', args: ['', '/', '', MS.REC | rootPropagationFlags(spec.linux?.rootfsPropagation), ''], why: 'linux.rootfsPropagation (default rslave): keep our mounts from leaking to the host' });
    plan.push({ op: 'make-private', args: [input.rootfsParentMount], why: 'pivot_root refuses a shared parent mount' });
  }
  plan.push({ op: 'bind-self', args: [rootfs, MS.REC], why: 'the rootfs must be a mount point for pivot_root' });
  plan.push({ op: 'open-root', args: [rootfs], why: 'every later path is resolved inside this directory' });
  const dev = devMounts(spec);
  plan.push(
    ...mountOps({
      spec,
      bundle: input.bundle,
      newNet: ns.isNew('network'),
      newCgroupNs: ns.isNew('cgroup'),
      userNs,
      cgroup: input.cgroup,
    }),
  );
  if (!dev.devBound) plan.push(...deviceOps(spec, userNs, dev.procMounted, dev.devpts));
  const cwd = proc.cwd || '/';
  plan.push({ op: 'mkdir-in-root', args: [cwd, 0o755], why: 'process.cwd must exist' });

  if (input.hooksPoint) {
    plan.push({ op: 'hooks-point', args: [], why: 'the runtime runs prestart and createRuntime hooks now' });
    for (const h of spec.hooks?.createContainer ?? []) plan.push(hookOp(h, 'createContainer'));
  }

  if (input.noPivot) plan.push({ op: 'move-root', args: [rootfs], why: '--no-pivot: MS_MOVE + chroot' });
  else plan.push({ op: 'pivot-root', args: [rootfs], why: 'the rootfs becomes /, the host root is detached' });

  // ---- After pivot_root: every path is a container path.
  const finalProp = finalRootPropagation(spec.linux?.rootfsPropagation);
  if (finalProp !== undefined && ns.isNew('mount')) plan.push({ op: 'mount', args: ['', '/', '', finalProp, ''], why: `linux.rootfsPropagation ${spec.linux?.rootfsPropagation} on the container's /` });
  // runc does the same (reOpenDevNull): stdio on the host's /dev/null would be a file outside the
  // container's mounts, which `checkpoint` (CRIU) cannot dump.
  plan.push({ op: 'reopen-dev-null', args: [], why: "stdio on the host's /dev/null becomes the container's /dev/null" });
  if (proc.terminal) {
    if (!input.consoleSocket) throw new RuntimeError('INVALID_ARGUMENT', 'process.terminal is true: a --console-socket is required');
    // ids as seen from inside: the init runs in the container's user namespace (if any) here.
    plan.push({ op: 'console-setup', args: [proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0, proc.user?.uid ?? 0, proc.user?.gid ?? 0], why: 'process.terminal: a pty, master sent to the console socket' });
  }
  if (spec.root?.readonly) plan.push({ op: 'remount', args: ['/', MS.RDONLY], why: 'root.readonly' });
  if (spec.hostname !== undefined && spec.hostname !== '') plan.push({ op: 'sethostname', args: [spec.hostname] });
  if (spec.domainname !== undefined && spec.domainname !== '') plan.push({ op: 'setdomainname', args: [spec.domainname] });
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    plan.push({ op: 'write-file', args: [path.posix.join('/proc/sys', key.replace(/\./g, '/')), value], why: `sysctl ${key}` });
  }
  for (const p of spec.linux?.readonlyPaths ?? []) plan.push({ op: 'readonly-path', args: [p] });
  for (const p of spec.linux?.maskedPaths ?? []) plan.push({ op: 'mask-path', args: [p] });
  plan.push(...rlimitOps(proc));
  if (proc.oomScoreAdj !== undefined) plan.push({ op: 'write-file', args: ['/proc/self/oom_score_adj', String(proc.oomScoreAdj)], why: 'process.oomScoreAdj' });
  plan.push({ op: 'umask', args: [proc.user?.umask ?? 0o022] });

  const seccomp = seccompOp(spec);
  plan.push(...identityOps(spec, proc, seccomp, { setgroupsDenied: false }));
  plan.push({ op: 'chdir', args: [cwd], why: 'process.cwd (after the uid change, as runc)' });
  const env = withHome(proc.env ?? [], input.home);
  plan.push(...execOps(proc, env));
  plan.push({ op: 'ready', args: [], why: '`create` returns now' });
  plan.push({ op: 'fifo-wait', args: [0, 'exec.fifo'], why: 'blocks until `start` opens exec.fifo' });
  for (const h of spec.hooks?.startContainer ?? []) plan.push(hookOp(h, 'startContainer'));
  if (seccomp && proc.noNewPrivileges) plan.push({ ...seccomp, why: 'seccomp last, right before execve' });
  plan.push(finalExec(proc, env));
  return plan;
}

export function hookOp(h: { path: string; args?: string[]; env?: string[]; timeout?: number }, phase: string): InitOp {
  const args = h.args ?? [h.path];
  const env = h.env ?? [];
  return { op: 'hook', args: [h.path, h.timeout ?? 0, args.length, ...args, env.length, ...env], why: `${phase} hook` };
}
