// A registry client for one request: the engine's mirrors and insecure registries, plus the
// credentials the docker CLI sends in X-Registry-Auth (base64url JSON of
// {username, password, serveraddress} or {identitytoken}; docker's registry.AuthConfig).
import { distribution, parseReference } from '@strata/manager';
import { invalidParam } from '../errors';

export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export function decodeRegistryAuth(header: string | undefined): RegistryAuth | undefined {
  if (!header || header === '' || header === 'e30=' || header === 'e30') return undefined; // "{}"
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    throw invalidParam('X-Registry-Auth: not base64-encoded JSON');
  }
  if (!doc || typeof doc !== 'object') throw invalidParam('X-Registry-Auth: not a JSON object');
  return doc as RegistryAuth;
}

export function registryClient(ref: string, o: { mirrors?: Record<string, string[]>; insecure?: string[]; auth?: RegistryAuth }): distribution.RegistryClient {
  const domain = parseReference(ref).domain;
  const credentials: Record<string, distribution.Credentials> = {};
  if (o.auth?.username) credentials[domain] = { username: o.auth.username, password: o.auth.password ?? '' };
  else if (o.auth?.identitytoken) credentials[domain] = { username: '<token>', password: o.auth.identitytoken };
  return new distribution.RegistryClient({ mirrors: o.mirrors, insecure: o.insecure, credentials, timeoutMs: 60_000 });
}
