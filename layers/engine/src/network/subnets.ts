// IPv4 subnets: parsing, overlap checks and docker's default address pools. dockerd picks the
// first /16 of 172.17.0.0/12 (then /20s of 192.168.0.0/16) that overlaps neither an existing
// network nor a route of the host, so a container network never shadows the host's own LAN.
// Strata starts at 172.18.0.0/16 to stay clear of a real docker0 on 172.17.0.0/16.
import { execFileSync } from 'node:child_process';
import { invalidParam } from '../errors';

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  bits: number;
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

const mask = (bits: number) => (bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0);

/** Parses "a.b.c.d/n"; `field` names the request field in the 400 error. */
export function parseCidr(text: string, field = 'Subnet'): Cidr {
  const [addr, bitsText, extra] = String(text).split('/');
  const bits = Number(bitsText);
  if (extra !== undefined || !isIPv4(addr ?? '') || !/^[0-9]{1,2}$/.test(bitsText ?? '') || bits > 32) {
    throw invalidParam(`invalid ${field} ${JSON.stringify(text)}: want an IPv4 CIDR such as 172.20.0.0/16`);
  }
  return { base: (ipToInt(addr) & mask(bits)) >>> 0, bits };
}

export const formatCidr = (c: Cidr) => `${intToIp(c.base)}/${c.bits}`;
export const size = (c: Cidr) => 2 ** (32 - c.bits);
export const contains = (c: Cidr, ip: number) => ((ip & mask(c.bits)) >>> 0) === c.base;
export const overlaps = (a: Cidr, b: Cidr) => contains(a, b.base) || contains(b, a.base);

/** The IPv4 destinations the host routes today (main table), excluding the default route. */
export function hostRoutes(): Cidr[] {
  let out: string;
  try {
    out = execFileSync('ip', ['-4', '-o', 'route', 'show'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const routes: Cidr[] = [];
  for (const line of out.split('\n')) {
    const dst = line.trim().split(/\s+/)[0];
    if (!dst || dst === 'default') continue;
    const [addr, bits] = dst.split('/');
    if (!isIPv4(addr)) continue;
    routes.push({ base: (ipToInt(addr) & mask(Number(bits ?? 32))) >>> 0, bits: Number(bits ?? 32) });
  }
  return routes;
}

/** docker's default-address-pools, in the order they are tried. */
export function* candidatePools(): Generator<Cidr> {
  for (let second = 18; second <= 31; second++) yield { base: ipToInt(`172.${second}.0.0`), bits: 16 };
  for (let third = 0; third < 256; third += 16) yield { base: ipToInt(`192.168.${third}.0`), bits: 20 };
}

/** First candidate overlapping nothing in `taken`; undefined when the pools are exhausted. */
export function firstFreeSubnet(taken: Cidr[]): Cidr | undefined {
  for (const c of candidatePools()) if (!taken.some((t) => overlaps(t, c))) return c;
  return undefined;
}
