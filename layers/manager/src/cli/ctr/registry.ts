// strata-ctr's registry flags (pull, push): credentials for the image's registry, mirrors, and
// plain http. The registry is the reference's domain ("busybox" -> docker.io).
import { RegistryClient } from '../../distribution';
import { parseReference } from '../../images/reference';
import { UsageError, type FlagSpec, type Parsed } from './args';

export const registryFlags: FlagSpec[] = [
  { name: 'user', alias: 'u', value: true, help: 'registry credentials USER[:PASSWORD]' },
  { name: 'mirror', value: true, repeat: true, help: "HOST=URL: fetch HOST's images from URL (e.g. registry.k8s.io=http://127.0.0.1:5000)" },
  { name: 'plain-http', help: 'talk plain HTTP to the registry (always for localhost)' },
];

export function registryClient(p: Parsed, ref: string): RegistryClient {
  const domain = parseReference(ref).domain;
  const credentials: Record<string, { username: string; password: string }> = {};
  if (p.flags.user) {
    const [username, ...pw] = String(p.flags.user).split(':');
    credentials[domain] = { username, password: pw.join(':') };
  }
  const mirrors: Record<string, string[]> = {};
  for (const m of (p.flags.mirror as string[] | undefined) ?? []) {
    const [host, url] = m.split('=');
    if (!host || !url) throw new UsageError(`--mirror ${m}: expected HOST=URL`);
    (mirrors[host] ??= []).push(url);
  }
  return new RegistryClient({ credentials, mirrors, insecure: p.flags['plain-http'] ? [domain] : undefined });
}
