// PullImage's AuthConfig -> registry credentials. The kubelet fills AuthConfig from a pod's
// image pull secrets (docker config.json fields), one set per pull, for the image's registry.
// Like containerd's CRI plugin (ParseAuth): username+password first, else identity_token as a
// password with an empty user, else "auth" = base64("user:password"). registry_token is a bearer
// token to send as is (no token server round trip).
import { distribution } from '@strata/manager';
import { invalidField } from '../runtime/errors';
import type { AuthConfig } from '../api/protos';

export interface PullAuth {
  credentials?: { username: string; password: string };
  registryToken?: string;
}

export function parseAuth(auth: AuthConfig | undefined): PullAuth {
  if (!auth) return {};
  if (auth.username) return { credentials: { username: auth.username, password: auth.password } };
  if (auth.identityToken) return { credentials: { username: '', password: auth.identityToken } };
  if (auth.auth) {
    const text = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) throw invalidField('auth.auth', 'must be base64 of "username:password"');
    return { credentials: { username: text.slice(0, colon), password: text.slice(colon + 1) } };
  }
  if (auth.password) throw invalidField('auth.password', 'given without auth.username');
  if (auth.registryToken) return { registryToken: auth.registryToken };
  return {};
}

/**
 * Make a registry client send `token` as the bearer token to every host that asks for Bearer
 * authentication. The Authorizer learns what a host wants from its 401 challenge; we answer the
 * Bearer ones with the given token instead of asking the challenge's token server for one.
 */
export function useRegistryToken(registry: distribution.RegistryClient, token: string): void {
  const auth = registry.authorizer;
  const challenges = (auth as unknown as { challenges: Map<string, { scheme: string }> }).challenges;
  const original = auth.header.bind(auth);
  auth.header = async (domain: string, apiHost: string, scopes: string[]) => (challenges.get(apiHost)?.scheme === 'bearer' ? `Bearer ${token}` : original(domain, apiHost, scopes));
}
