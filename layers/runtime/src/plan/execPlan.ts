// The plan of `exec`: join everything the container's init has (its cgroups and namespaces),
// then become the requested process. runc does the same through nsexec's setns path.
import type { Process, Spec } from '@strata/oci';
import type { InitOp } from '@strata/linux';
import { NAMESPACES, planNamespaces } from './namespaces';
import { rlimitOps, identityOps, seccompOp, execOps, finalExec, withHome } from './process';

export interface ExecPlanInput {
  spec: Spec;
  process: Process;
  /** Host pid of the container's init. */
  initPid: number;
  cgroupProcs: string[];
  /** cgroup v2: the init's own cgroup.procs when it moved below the container's cgroup. */
  cgroupFallback?: string;
  consoleSocket?: string;
  foreground: boolean;
  home?: string;
}

export function buildExecPlan(input: ExecPlanInput): InitOp[] {
  const { spec, process: proc } = input;
  const ns = planNamespaces(spec);
  const plan: InitOp[] = [];
  for (const f of input.cgroupProcs) {
    // A container that moved its init into a sub-cgroup and enabled controllers for it (systemd,
    // a Docker-in-Docker entrypoint) makes its own cgroup refuse processes on v2: join the init's.
    const args = input.cgroupFallback ? [f, input.cgroupFallback] : [f];
    plan.push({ op: 'join-cgroup', args, why: input.cgroupFallback ? 'the container\'s cgroup (its init\'s if that refuses: EBUSY)' : 'the container\'s cgroups' });
  }
  // The console socket is a path on the caller's side: connect before joining the container's
  // mount namespace, where that path does not exist (runc likewise receives the socket's fd
  // from outside). The connected fd survives the setns calls.
  if (input.consoleSocket) plan.push({ op: 'console-connect', args: [input.consoleSocket], why: 'before setns(mount): the socket path is the caller\'s' });
  // Join every namespace the container has, through its init: /proc/<pid>/ns/<type>. User first,
  // mount last (see namespaces.ts JOIN_ORDER). The time namespace applies to children only.
  const order = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];
  for (const type of order) {
    if (!ns.has(type)) continue;
    const info = NAMESPACES[type];
    plan.push({ op: 'setns', args: [`/proc/${input.initPid}/ns/${info.proc}`, info.flag], why: `the container's ${type} namespace` });
  }
  plan.push({ op: 'clone', args: [0, input.foreground ? 1 : 0, '', '', ''], why: 'a child, so the pid namespace applies' });
  plan.push({ op: 'setsid', args: [] });
  if (proc.terminal && input.consoleSocket) {
    plan.push({ op: 'console-setup', args: [proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0, proc.user?.uid ?? 0, proc.user?.gid ?? 0] });
  }
  plan.push(...rlimitOps(proc));
  if (proc.oomScoreAdj !== undefined) plan.push({ op: 'write-file', args: ['/proc/self/oom_score_adj', String(proc.oomScoreAdj)] });
  if (proc.user?.umask !== undefined) plan.push({ op: 'umask', args: [proc.user.umask] });
  // exec'd processes get the container's seccomp filter too (runc does the same).
  const seccomp = seccompOp(spec);
  plan.push(...identityOps(spec, proc, seccomp));
  plan.push({ op: 'chdir', args: [proc.cwd || '/'] });
  const env = withHome(proc.env ?? [], input.home);
  plan.push(...execOps(proc, env));
  plan.push({ op: 'ready', args: [] });
  if (seccomp && proc.noNewPrivileges) plan.push({ ...seccomp, why: 'seccomp last' });
  plan.push(finalExec(proc, env));
  return plan;
}
