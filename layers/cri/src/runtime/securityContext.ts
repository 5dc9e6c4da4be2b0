// LinuxContainerSecurityContext -> the OCI spec (containerd internal/cri/opts/spec_linux.go is the
// reference behaviour): capabilities, run-as user/group/username, supplemental groups, seccomp,
// no_new_privs, masked/readonly paths. The table in docs/runtime.md lists each field.
import fs from 'node:fs';
import path from 'node:path';
import { CAPABILITIES, capabilityNumber, type SeccompProfile } from '@strata/linux';
import { DEFAULT_CAPS } from '@strata/manager';
import { invalidField } from './errors';
import { runtimeDefaultProfile } from './seccompDefault';
import { ProfileType, type Capability, type SecurityProfile } from './types';

/**
 * The capabilities this process may hand out: its own bounding set. On this project's machines
 * CAP_SYS_RESOURCE is missing from it (facts-machine.md); asking the runtime for a capability
 * outside our bounding set fails the whole container (capset: EPERM), so "ALL" means "all we have".
 */
export function hostCapabilities(): string[] {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('CapBnd:'));
  const mask = BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`);
  return CAPABILITIES.filter((c) => (mask >> BigInt(capabilityNumber(c)!)) & 1n);
}

/** cri-api names capabilities without the CAP_ prefix ("NET_ADMIN"); "ALL" means every one. */
function capName(c: string, field: string): string {
  const n = `CAP_${c.toUpperCase().replace(/^CAP_/, '')}`;
  if (capabilityNumber(n) === undefined) throw invalidField(field, `unknown capability ${JSON.stringify(c)}`);
  return n;
}

/**
 * containerd's order: "ALL" in add -> every capability; "ALL" in drop -> none; then the
 * individual adds, then the individual drops (so add ALL + drop CHOWN = all but CHOWN).
 */
export function capabilitySet(c: Capability | undefined, privileged: boolean, warn: (m: string) => void): string[] {
  const host = hostCapabilities();
  if (privileged) return host;
  let caps = new Set<string>(DEFAULT_CAPS);
  const add = c?.addCapabilities ?? [];
  const drop = c?.dropCapabilities ?? [];
  if (add.some((x) => x.toUpperCase() === 'ALL')) caps = new Set(host);
  if (drop.some((x) => x.toUpperCase() === 'ALL')) caps = new Set();
  for (const x of add) if (x.toUpperCase() !== 'ALL') caps.add(capName(x, 'linux.security_context.capabilities.add_capabilities'));
  for (const x of drop) if (x.toUpperCase() !== 'ALL') caps.delete(capName(x, 'linux.security_context.capabilities.drop_capabilities'));
  const out = [...caps].filter((x) => {
    if (host.includes(x)) return true;
    warn(`capability ${x} is not in this runtime's bounding set: not granted`);
    return false;
  });
  return out;
}

/** The seccomp profile for a container, or undefined for unconfined. */
export function seccompProfile(sc: { seccomp?: SecurityProfile; seccompProfilePath?: string; privileged?: boolean }, caps: string[], field: string): SeccompProfile | undefined {
  if (sc.privileged) return undefined; // containerd: privileged containers run unconfined
  let type: number | undefined = sc.seccomp?.profileType;
  let localhost = sc.seccomp?.localhostRef ?? '';
  if (sc.seccomp === undefined && sc.seccompProfilePath) {
    // the deprecated string form
    const p = sc.seccompProfilePath;
    if (p === 'runtime/default' || p === 'docker/default') type = ProfileType.RuntimeDefault;
    else if (p === 'unconfined') type = ProfileType.Unconfined;
    else if (p.startsWith('localhost/')) {
      type = ProfileType.Localhost;
      localhost = p.slice('localhost/'.length);
    } else throw invalidField(`${field}.seccomp_profile_path`, `unknown profile ${JSON.stringify(p)}`);
  }
  if (type === undefined || type === ProfileType.Unconfined) return undefined; // the kubelet's default is Unconfined
  if (type === ProfileType.RuntimeDefault) return runtimeDefaultProfile(caps);
  if (type !== ProfileType.Localhost) throw invalidField(`${field}.seccomp.profile_type`, `unknown value ${type}`);
  if (!path.isAbsolute(localhost)) throw invalidField(`${field}.seccomp.localhost_ref`, `must be an absolute path (got ${JSON.stringify(localhost)})`);
  let text: string;
  try {
    text = fs.readFileSync(localhost, 'utf8');
  } catch (e) {
    throw invalidField(`${field}.seccomp.localhost_ref`, `cannot read ${localhost}: ${(e as Error).message}`);
  }
  try {
    const p = JSON.parse(text) as SeccompProfile;
    if (typeof p.defaultAction !== 'string') throw new Error('no defaultAction');
    return p;
  } catch (e) {
    throw invalidField(`${field}.seccomp.localhost_ref`, `${localhost} is not a seccomp profile: ${(e as Error).message}`);
  }
}

/** containerd's default masked and readonly paths (oci/spec.go populateDefaultUnixSpec). */
export const DEFAULT_MASKED_PATHS = ['/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/sys/devices/virtual/powercap', '/proc/scsi'];
export const DEFAULT_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

// --- users -----------------------------------------------------------------------------------------

export interface PasswdEntry { name: string; uid: number; gid: number }
export interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 4 || l.startsWith('#') || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) return [];
    return [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]) }];
  });
}
export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((l) => {
    const f = l.split(':');
    if (f.length < 3 || l.startsWith('#') || !/^\d+$/.test(f[2])) return [];
    return [{ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }];
  });
}

export interface ImageUserFiles { passwd: PasswdEntry[]; group: GroupEntry[] }

/**
 * The process user: run_as_user (+ run_as_group) or run_as_username, else the image's User;
 * the primary gid comes from the image's /etc/passwd when not given; additional gids are the
 * groups listing the user in /etc/group plus supplemental_groups (containerd WithUser/WithAdditionalGIDs).
 */
export function resolveUser(
  sc: { runAsUser?: { value?: number }; runAsGroup?: { value?: number }; runAsUsername?: string; supplementalGroups?: number[] },
  imageUser: string,
  files: () => ImageUserFiles,
): { uid: number; gid: number; additionalGids: number[]; username?: string } {
  let uid = 0;
  let gid: number | undefined;
  let name: string | undefined;
  const byName = (n: string, field: string) => {
    const e = files().passwd.find((p) => p.name === n);
    if (!e) throw invalidField(field, `user ${JSON.stringify(n)} not found in the image's /etc/passwd`);
    return e;
  };
  if (sc.runAsUser?.value !== undefined) {
    uid = sc.runAsUser.value;
  } else if (sc.runAsUsername) {
    const e = byName(sc.runAsUsername, 'linux.security_context.run_as_username');
    uid = e.uid;
    gid = e.gid;
    name = e.name;
  } else if (imageUser) {
    const [u, g] = imageUser.split(':');
    if (/^\d+$/.test(u)) uid = Number(u);
    else {
      const e = byName(u, 'image config User');
      uid = e.uid;
      gid = e.gid;
      name = e.name;
    }
    if (g !== undefined && g !== '') {
      if (/^\d+$/.test(g)) gid = Number(g);
      else {
        const ge = files().group.find((x) => x.name === g);
        if (!ge) throw invalidField('image config User', `group ${JSON.stringify(g)} not found in the image's /etc/group`);
        gid = ge.gid;
      }
    }
  }
  if (sc.runAsGroup?.value !== undefined) gid = sc.runAsGroup.value;
  let f: ImageUserFiles | undefined;
  try {
    f = files();
  } catch {
    f = undefined; // no /etc/passwd in the image: numeric ids only
  }
  const entry = f?.passwd.find((p) => p.uid === uid && (name === undefined || p.name === name));
  if (gid === undefined) gid = entry?.gid ?? 0;
  name ??= entry?.name;
  const extra = new Set<number>();
  if (name && f) for (const g of f.group) if (g.members.includes(name) && g.gid !== gid) extra.add(g.gid);
  for (const g of sc.supplementalGroups ?? []) extra.add(g);
  return { uid, gid, additionalGids: [...extra], username: name };
}
