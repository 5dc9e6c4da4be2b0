// Docker image references (distribution/reference): "busybox" is docker.io/library/busybox:latest;
// a first component with a "." or ":" or "localhost" is a registry host.
export interface ImageRef {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(ref: string): ImageRef {
  if (!ref || /\s/.test(ref) || ref !== ref.trim()) throw new Error(`invalid reference format: "${ref}"`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest)) throw new Error(`invalid reference format: "${ref}"`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`invalid reference format: "${ref}"`);
  }
  let domain = 'docker.io';
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    rest = rest.slice(slash + 1);
  }
  if (domain === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw new Error(/[A-Z]/.test(rest) ? `invalid reference format: repository name (${rest}) must be lowercase` : `invalid reference format: "${ref}"`);
  }
  return { domain, path: rest, tag, digest };
}

/** The fully qualified name docker pull prints at the end: docker.io/library/busybox:latest. */
export function canonicalRef(ref: string): string {
  const r = parseImageRef(ref);
  const name = `${r.domain}/${r.path}`;
  if (r.digest) return `${name}@${r.digest}`;
  return `${name}:${r.tag ?? 'latest'}`;
}

/** The name and tag without the registry's defaults: what docker sends as fromImage/tag. */
export function splitForPull(ref: string): { fromImage: string; tag: string } {
  const r = parseImageRef(ref);
  return { fromImage: `${r.domain}/${r.path}`, tag: r.digest ?? r.tag ?? 'latest' };
}
