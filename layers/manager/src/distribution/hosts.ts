// Which servers answer for a registry name (containerd's remotes/docker/config hosts.toml,
// simplified): mirrors first (pull and resolve only), then the registry itself (also push).
//
//   docker.io             -> https://registry-1.docker.io (Docker Hub's API host)
//   localhost:5000, 127.0.0.1:*, [::1]:*, hosts marked insecure -> plain http
//   mirrors: { "registry.k8s.io": ["http://127.0.0.1:5000"] } -> try the mirror first
//
// The repository path stays the same on a mirror (/v2/pause/manifests/3.9).
import { invalid } from '../errors';

export type HostCapability = 'pull' | 'resolve' | 'push';

export interface RegistryHost {
  /** Base URL of the API, e.g. http://127.0.0.1:5000 (requests go to <base>/v2/...). */
  base: URL;
  /** The registry name this host serves (the reference's domain). */
  domain: string;
  capabilities: HostCapability[];
}

export interface HostsConfig {
  /** Registry name -> mirror base URLs, tried in order before the registry. */
  mirrors?: Record<string, string[]>;
  /** Registry names (host[:port]) reached over plain http. */
  insecure?: string[];
  /** Registry name -> base URL replacing the registry itself (e.g. docker.io -> a local registry). */
  endpoints?: Record<string, string>;
}

const DOCKER_HUB_API = 'https://registry-1.docker.io';

export function isLocalHost(domain: string): boolean {
  const host = domain.startsWith('[') ? domain.slice(0, domain.indexOf(']') + 1) : domain.split(':')[0];
  return host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}

function parseBase(s: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(s.includes('://') ? s : `https://${s}`);
  } catch {
    throw invalid(what, `${JSON.stringify(s)} is not a URL (want e.g. http://127.0.0.1:5000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(what, `${s}: only http and https are supported`);
  u.pathname = u.pathname.replace(/\/v2\/?$/, '').replace(/\/$/, '');
  return u;
}

export function registryHosts(domain: string, cfg: HostsConfig = {}): RegistryHost[] {
  const hosts: RegistryHost[] = [];
  for (const m of cfg.mirrors?.[domain] ?? []) hosts.push({ base: parseBase(m, `mirrors.${domain}`), domain, capabilities: ['pull', 'resolve'] });
  let upstream: URL;
  if (cfg.endpoints?.[domain]) upstream = parseBase(cfg.endpoints[domain], `endpoints.${domain}`);
  else if (domain === 'docker.io') upstream = new URL(DOCKER_HUB_API);
  else {
    const plain = isLocalHost(domain) || (cfg.insecure ?? []).includes(domain);
    upstream = new URL(`${plain ? 'http' : 'https'}://${domain}`);
  }
  hosts.push({ base: upstream, domain, capabilities: ['pull', 'resolve', 'push'] });
  return hosts;
}

/** <base>/v2/<path><suffix> */
export function apiUrl(host: RegistryHost, suffix: string): URL {
  return new URL(`${host.base.pathname}/v2/${suffix}`.replace(/^\/+/, '/'), host.base);
}
