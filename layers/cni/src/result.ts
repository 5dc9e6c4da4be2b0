// Plugin results (SPEC.md "Success" and the 0.4.0 spec's result): normalised to the 1.0.0 shape.
// 0.3.x/0.4.0 results carry ips[].version ("4"/"6"), 1.0.0 dropped it; 0.1.0/0.2.0 used ip4/ip6
// objects. Callers get one shape whatever the plugins answered.
import { CniError } from './errors';
import type { CniResult, IPConfig } from './types';

export function parseResult(raw: unknown, plugin = ''): CniResult {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new CniError(6, plugin, `plugin ${plugin} result: not a JSON object`);
  const r = raw as Record<string, unknown>;
  const cniVersion = typeof r.cniVersion === 'string' ? r.cniVersion : '';
  if (cniVersion === '0.1.0' || cniVersion === '0.2.0' || ((r.ip4 || r.ip6) && !r.ips)) return fromLegacy(r, cniVersion);
  const ips = Array.isArray(r.ips)
    ? (r.ips as Record<string, unknown>[]).map((ip, i): IPConfig => {
        if (typeof ip?.address !== 'string') throw new CniError(6, plugin, `plugin ${plugin} result /ips/${i}/address: missing`);
        const out: IPConfig = { address: ip.address };
        if (typeof ip.gateway === 'string') out.gateway = ip.gateway;
        if (typeof ip.interface === 'number') out.interface = ip.interface;
        return out;
      })
    : [];
  return {
    cniVersion,
    interfaces: Array.isArray(r.interfaces) ? (r.interfaces as CniResult['interfaces']).map((i) => ({ ...i })) : [],
    ips,
    routes: Array.isArray(r.routes) ? (r.routes as CniResult['routes']).map((rt) => ({ ...rt })) : [],
    dns: r.dns && typeof r.dns === 'object' ? { ...(r.dns as CniResult['dns']) } : {},
  };
}

function fromLegacy(r: Record<string, unknown>, cniVersion: string): CniResult {
  const out: CniResult = { cniVersion, interfaces: [], ips: [], routes: [], dns: (r.dns as CniResult['dns']) ?? {} };
  for (const key of ['ip4', 'ip6']) {
    const ip = r[key] as { ip?: string; gateway?: string; routes?: CniResult['routes'] } | undefined;
    if (!ip?.ip) continue;
    out.ips.push(ip.gateway ? { address: ip.ip, gateway: ip.gateway } : { address: ip.ip });
    out.routes.push(...(ip.routes ?? []));
  }
  return out;
}
