// Platforms ("linux/amd64", "linux/arm/v7"): parsing, normalizing and the ordered matching that
// picks one manifest out of an index. Mirrors containerd's platforms package: Parse, Normalize,
// Format, and Only(), whose matcher also accepts what the host can run (amd64/v3 runs v2, v1 and
// 386; arm64 runs arm/v8 down to arm/v5), preferring the closest.
import { invalid } from '../errors';
import type { Platform } from '../types';

const COMPONENT_RE = /^[A-Za-z0-9_-]+$/;
const KNOWN_OS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos']);
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);

/** Node's process.arch -> the OCI (GOARCH) name. */
const NODE_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };

/** The host's platform (containerd's platforms.DefaultSpec). */
export function hostPlatform(): Platform {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const architecture = NODE_ARCH[process.arch] ?? process.arch;
  const p: Platform = { os, architecture };
  if (architecture === 'arm') p.variant = `v${(process.config.variables as { arm_version?: string }).arm_version ?? '7'}`;
  return p;
}

function normalizeOS(os: string): string {
  if (!os) return hostPlatform().os;
  const l = os.toLowerCase();
  return l === 'macos' ? 'darwin' : l;
}

function normalizeArch(arch: string, variant: string): [string, string] {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8') v = '';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (v === '5' || v === '6' || v === '8') v = `v${v}`;
      break;
  }
  return [a, v];
}

/** containerd's platforms.Normalize: canonical names (x86_64 -> amd64, aarch64 -> arm64, ...). */
export function normalizePlatform(p: Platform): Platform {
  const [architecture, variant] = normalizeArch(p.architecture ?? '', p.variant ?? '');
  const out: Platform = { os: normalizeOS(p.os ?? ''), architecture };
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  if (p['os.features']) out['os.features'] = p['os.features'];
  return out;
}

/** Parse "os", "arch", "os/arch" or "os/arch/variant" (containerd's platforms.Parse). */
export function parsePlatform(specifier: string): Platform {
  if (specifier.includes('*')) throw invalid('platform', `${JSON.stringify(specifier)}: wildcards are not supported`);
  const parts = specifier.split('/');
  for (const part of parts) {
    if (!COMPONENT_RE.test(part)) {
      throw invalid('platform', `${JSON.stringify(part)} is an invalid component of ${JSON.stringify(specifier)}: each part must match ${COMPONENT_RE.source}`);
    }
  }
  const host = hostPlatform();
  switch (parts.length) {
    case 1: {
      const os = normalizeOS(parts[0]);
      if (KNOWN_OS.has(os)) return withVariant({ os, architecture: host.architecture }, host.architecture === 'arm' && host.variant !== 'v7' ? host.variant : undefined);
      const [architecture, variant] = normalizeArch(parts[0], '');
      if (KNOWN_ARCH.has(architecture)) return withVariant({ os: host.os, architecture }, architecture === 'arm' && variant === 'v7' ? '' : variant);
      throw invalid('platform', `${JSON.stringify(specifier)}: unknown operating system or architecture`);
    }
    case 2: {
      const [architecture, variant] = normalizeArch(parts[1], '');
      return withVariant({ os: normalizeOS(parts[0]), architecture }, architecture === 'arm' && variant === 'v7' ? '' : variant);
    }
    case 3: {
      const [architecture, variant] = normalizeArch(parts[1], parts[2]);
      return withVariant({ os: normalizeOS(parts[0]), architecture }, architecture === 'arm64' && variant === '' ? 'v8' : variant);
    }
  }
  throw invalid('platform', `${JSON.stringify(specifier)}: cannot parse platform specifier (want os/arch[/variant])`);
}

function withVariant(p: Platform, variant: string | undefined): Platform {
  if (variant) p.variant = variant;
  return p;
}

/** "linux/amd64", "linux/arm/v7" (containerd's platforms.Format). */
export function formatPlatform(p: Platform | undefined): string {
  if (!p || !p.os) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Exact match after normalization (os, architecture, variant). */
export function platformEquals(a: Platform, b: Platform): boolean {
  const x = normalizePlatform(a);
  const y = normalizePlatform(b);
  return x.os === y.os && x.architecture === y.architecture && (x.variant ?? '') === (y.variant ?? '');
}

/** A matcher that also orders candidates: the first platforms are preferred. */
export interface PlatformMatcher {
  match(p: Platform): boolean;
  /** true if a is preferred over b. */
  less(a: Platform, b: Platform): boolean;
  /** What it matches, for error messages. */
  readonly description: string;
}

/** Match any of the given platforms, preferring them in order (containerd's platforms.Ordered). */
export function orderedMatcher(platforms: Platform[]): PlatformMatcher {
  const rank = (p: Platform) => {
    const i = platforms.findIndex((q) => platformEquals(q, p));
    return i < 0 ? Infinity : i;
  };
  return {
    match: (p) => rank(p) !== Infinity,
    less: (a, b) => rank(a) < rank(b),
    description: platforms.map(formatPlatform).join(', '),
  };
}

/**
 * What a host of platform `p` can run, best first (containerd's platformVector): amd64/vN then
 * lower versions then 386; arm/vN down to v5; arm64 then arm/v8 .. arm/v5.
 */
export function compatiblePlatforms(p: Platform): Platform[] {
  const n = normalizePlatform(p);
  const out: Platform[] = [n];
  const level = (v: string | undefined) => Number.parseInt((v ?? '').replace(/^v/, ''), 10);
  if (n.architecture === 'amd64') {
    const v = level(n.variant);
    if (v > 1) for (let i = v - 1; i >= 1; i--) out.push(withVariant({ os: n.os, architecture: 'amd64' }, i === 1 ? '' : `v${i}`));
    out.push({ os: n.os, architecture: '386' });
  } else if (n.architecture === 'arm') {
    const v = level(n.variant);
    if (v > 5) for (let i = v - 1; i >= 5; i--) out.push({ os: n.os, architecture: 'arm', variant: `v${i}` });
  } else if (n.architecture === 'arm64') {
    out.push(...compatiblePlatforms({ os: n.os, architecture: 'arm', variant: n.variant || 'v8' }));
  }
  return out;
}

/** containerd's platforms.Only(p): p and what p can run, in that order. */
export const onlyPlatform = (p: Platform): PlatformMatcher => ({ ...orderedMatcher(compatiblePlatforms(p)), description: formatPlatform(p) });

/** containerd's platforms.Default(): the host and what it can run. */
export const defaultPlatformMatcher = (): PlatformMatcher => onlyPlatform(hostPlatform());

/** Every platform (ctr pull --all-platforms). */
export const allPlatforms: PlatformMatcher = { match: () => true, less: () => false, description: 'all platforms' };

/** A matcher from a string ("linux/arm64"), a Platform, a matcher, or undefined (the host). */
export function toPlatformMatcher(p: string | Platform | PlatformMatcher | undefined): PlatformMatcher {
  if (p === undefined || p === '') return defaultPlatformMatcher();
  if (typeof p === 'string') return onlyPlatform(parsePlatform(p));
  if ('match' in p) return p;
  return onlyPlatform(p);
}
