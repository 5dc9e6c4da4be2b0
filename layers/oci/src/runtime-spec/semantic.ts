// The rules of config.md / config-linux.md that a JSON Schema cannot express. Each issue names
// its JSON pointer; each rule names the spec section it comes from.
import type { Spec } from './types';
import type { ValidationIssue } from '../errors';
import { show } from '../pointer';

const isAbs = (p: string) => p.startsWith('/');
const IPC_SYSCTLS = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.)/;
const NS_TYPES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];

export function semanticIssues(s: Spec): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const add = (pointer: string, rule: string, message: string) => out.push({ pointer, rule, message });
  const p = s.process;
  if (p) {
    // config.md#process: cwd MUST be an absolute path; args MUST have at least one entry (POSIX).
    if (typeof p.cwd === 'string' && !isAbs(p.cwd)) add('/process/cwd', 'absolute-path', `must be an absolute path (got ${show(p.cwd)}) [config.md#process]`);
    if (Array.isArray(p.args) && p.args.length === 0 && !p.commandLine) add('/process/args', 'non-empty', 'must contain at least one entry: the program to run [config.md#process]');
    const seen = new Set<string>();
    (p.rlimits ?? []).forEach((r, i) => {
      if (seen.has(r.type)) add(`/process/rlimits/${i}/type`, 'unique', `duplicate rlimit ${show(r.type)} [config.md#posix-process]`);
      seen.add(r.type);
      if (typeof r.soft === 'number' && typeof r.hard === 'number' && r.soft > r.hard) add(`/process/rlimits/${i}/soft`, 'soft<=hard', `soft limit ${r.soft} is above the hard limit ${r.hard}`);
    });
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const) {
      (p.capabilities?.[set] ?? []).forEach((c, i) => {
        if (!/^CAP_[A-Z_]+$/.test(c)) add(`/process/capabilities/${set}/${i}`, 'capability-name', `must be a capability name like CAP_KILL (got ${show(c)}) [config.md#linux-process]`);
      });
    }
  }
  // config.md#mounts: a relative destination MAY be given "for compatibility with older tools and
  // configs" and MUST then be interpreted as relative to "/": accepted (the runtime resolves it).
  Object.entries(s.hooks ?? {}).forEach(([phase, list]) =>
    (list ?? []).forEach((h: { path: string; timeout?: number }, i: number) => {
      if (typeof h.path === 'string' && !isAbs(h.path)) add(`/hooks/${phase}/${i}/path`, 'absolute-path', `must be an absolute path (got ${show(h.path)}) [config.md#posix-platform-hooks]`);
      if (h.timeout !== undefined && h.timeout <= 0) add(`/hooks/${phase}/${i}/timeout`, 'positive', `must be greater than zero (got ${h.timeout}) [config.md#posix-platform-hooks]`);
    }),
  );
  const l = s.linux;
  if (l) {
    const types = new Set<string>();
    (l.namespaces ?? []).forEach((n, i) => {
      if (types.has(n.type)) add(`/linux/namespaces/${i}/type`, 'unique', `namespace ${show(n.type)} is listed twice [config-linux.md#namespaces]`);
      if (!NS_TYPES.includes(n.type)) return;
      types.add(n.type);
      if (n.path !== undefined && !isAbs(n.path)) add(`/linux/namespaces/${i}/path`, 'absolute-path', `must be an absolute path (got ${show(n.path)})`);
    });
    const newNs = (t: string) => (l.namespaces ?? []).some((n) => n.type === t);
    if ((l.uidMappings?.length || l.gidMappings?.length) && !newNs('user')) add('/linux/uidMappings', 'needs-user-namespace', 'uid/gid mappings need a user namespace in /linux/namespaces [config-linux.md#user-namespace-mappings]');
    if (s.hostname && !newNs('uts')) add('/hostname', 'needs-uts-namespace', 'unable to set hostname without a private UTS namespace [config.md#hostname]');
    if (s.domainname && !newNs('uts')) add('/domainname', 'needs-uts-namespace', 'unable to set domainname without a private UTS namespace [config.md#domainname]');
    for (const key of Object.keys(l.sysctl ?? {})) {
      const ptr = `/linux/sysctl/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key.startsWith('net.') && !newNs('network')) add(ptr, 'needs-net-namespace', `sysctl ${key} needs a network namespace [config-linux.md#sysctl]`);
      if (IPC_SYSCTLS.test(key) && !newNs('ipc')) add(ptr, 'needs-ipc-namespace', `sysctl ${key} needs an ipc namespace [config-linux.md#sysctl]`);
    }
    (l.devices ?? []).forEach((d, i) => {
      if (typeof d.path === 'string' && !isAbs(d.path)) add(`/linux/devices/${i}/path`, 'absolute-path', `must be an absolute path (got ${show(d.path)})`);
      if (d.type !== 'p' && (d.major === undefined || d.minor === undefined)) add(`/linux/devices/${i}`, 'major-minor', `device ${show(d.path)} of type ${d.type} needs major and minor [config-linux.md#devices]`);
    });
    const mem = l.resources?.memory;
    if (mem && typeof mem.limit === 'number' && typeof mem.swap === 'number' && mem.limit > 0 && mem.swap > 0 && mem.swap < mem.limit) {
      add('/linux/resources/memory/swap', 'swap>=limit', `memory+swap limit ${mem.swap} must be at least the memory limit ${mem.limit} (-1 = unlimited) [config-linux.md#memory]`);
    }
    const cpu = l.resources?.cpu;
    if (cpu?.quota && cpu.quota > 0 && cpu.quota < 1000) add('/linux/resources/cpu/quota', 'range', `cpu quota must be at least 1000 microseconds (got ${cpu.quota})`);
    if (cpu?.period && (cpu.period < 1000 || cpu.period > 1_000_000)) add('/linux/resources/cpu/period', 'range', `cpu period must be between 1000 and 1000000 microseconds (got ${cpu.period})`);
    for (const key of ['maskedPaths', 'readonlyPaths'] as const) {
      (l[key] ?? []).forEach((m, i) => {
        if (!isAbs(m)) add(`/linux/${key}/${i}`, 'absolute-path', `must be an absolute path (got ${show(m)})`);
      });
    }
  }
  return out;
}
