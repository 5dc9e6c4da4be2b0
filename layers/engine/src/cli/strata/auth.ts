// Registry credentials the way the docker CLI keeps them: $DOCKER_CONFIG/config.json (default
// ~/.docker/config.json) "auths": {"<registry>": {"auth": base64("user:password")}}; they travel to
// the daemon in the X-Registry-Auth header as base64url(JSON AuthConfig).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const configDir = (): string => process.env.DOCKER_CONFIG || path.join(os.homedir(), '.docker');

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

function readConfig(): any {
  try {
    return JSON.parse(fs.readFileSync(path.join(configDir(), 'config.json'), 'utf8'));
  } catch {
    return {};
  }
}

/** Docker Hub's credentials are stored under its v1 index address. */
const authKey = (domain: string): string[] => (domain === 'docker.io' ? ['https://index.docker.io/v1/', 'docker.io', 'index.docker.io'] : [domain, `https://${domain}`, `http://${domain}`]);

export function authFor(domain: string): AuthConfig | undefined {
  const auths = readConfig().auths ?? {};
  for (const k of authKey(domain)) {
    const e = auths[k];
    if (!e) continue;
    const a: AuthConfig = { serveraddress: k };
    if (e.auth) {
      const dec = Buffer.from(e.auth, 'base64').toString();
      const i = dec.indexOf(':');
      a.username = dec.slice(0, i);
      a.password = dec.slice(i + 1);
    }
    if (e.identitytoken) a.identitytoken = e.identitytoken;
    return a;
  }
  return undefined;
}

/** The X-Registry-Auth value ("e30" = {} when there is nothing, as the CLI sends). */
export const registryAuthHeader = (domain: string): string => Buffer.from(JSON.stringify(authFor(domain) ?? {})).toString('base64url');

export function saveAuth(server: string, username: string, password: string): string {
  const dir = configDir();
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'config.json');
  const cfg = readConfig();
  cfg.auths ??= {};
  cfg.auths[server] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

export function removeAuth(server: string): boolean {
  const cfg = readConfig();
  if (!cfg.auths?.[server]) return false;
  delete cfg.auths[server];
  fs.writeFileSync(path.join(configDir(), 'config.json'), `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
  return true;
}
