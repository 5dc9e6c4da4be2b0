// Image references as Docker and containerd read them (distribution's reference package:
// ParseNormalizedNamed, FamiliarName, TagNameOnly):
//
//   busybox                          -> docker.io/library/busybox:latest
//   alice/app:1.0                    -> docker.io/alice/app:1.0
//   localhost:5000/a/b:tag@sha256:.. -> domain localhost:5000, path a/b, tag and digest
//
// The first path component is a registry host only if it has a "." or a ":" or is "localhost"
// (or has an uppercase letter); otherwise the reference is on Docker Hub. Errors name the part
// that is wrong.
import { invalid } from '../errors';
import { parseDigest } from '../content/digest';

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const NAME_MAX = 255;

export interface Reference {
  /** Registry host[:port], e.g. "docker.io", "localhost:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
}

/** Parse and normalize a reference; `defaultTag` ("latest") is added when it has neither tag nor digest. */
export function parseReference(input: string, opts: { defaultTag?: string | false } = {}): Reference {
  const field = 'reference';
  if (!input) throw invalid(field, 'must not be empty');
  if (input !== input.trim()) throw invalid(field, `${JSON.stringify(input)} has surrounding spaces`);
  if (/^[a-f0-9]{64}$/.test(input)) throw invalid(field, `${input}: cannot be a 64-character hexadecimal string (that looks like an image id)`);

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch (e) {
      throw invalid(field, `${input}: digest part ${JSON.stringify(digest)}: ${(e as Error).message.replace(/^digest: /, '')}`);
    }
  }
  // A tag follows the last ":" that comes after the last "/" (a ":" before it is a port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(field, `${input}: invalid tag ${JSON.stringify(tag)} (want [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})`);
  }

  let domain: string;
  let path: string;
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  if (slash < 0 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first)) {
    domain = DEFAULT_DOMAIN;
    path = rest;
  } else {
    domain = first;
    path = rest.slice(slash + 1);
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (!DOMAIN_RE.test(domain)) throw invalid(field, `${input}: invalid registry host ${JSON.stringify(domain)}`);
  if (!path) throw invalid(field, `${input}: the repository name is empty`);
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_PREFIX + path;
  for (const component of path.split('/')) {
    if (component.toLowerCase() !== component) throw invalid(field, `${input}: repository name ${JSON.stringify(path)} must be lowercase`);
    if (!PATH_COMPONENT_RE.test(component)) {
      throw invalid(field, `${input}: invalid repository path component ${JSON.stringify(component)} (lowercase letters, digits and single separators . _ __ -)`);
    }
  }
  if (domain.length + 1 + path.length > NAME_MAX) throw invalid(field, `${input}: the repository name is longer than ${NAME_MAX} characters`);

  const ref: Reference = { domain, path };
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  if (!tag && !digest && opts.defaultTag !== false) ref.tag = opts.defaultTag ?? 'latest';
  return ref;
}

/** "docker.io/library/busybox" */
export const repositoryName = (r: Pick<Reference, 'domain' | 'path'>): string => `${r.domain}/${r.path}`;

/** The full normalized string: "docker.io/library/busybox:latest", "h:5000/a@sha256:..". */
export function formatReference(r: Reference): string {
  return repositoryName(r) + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** Normalize a string reference: "busybox" -> "docker.io/library/busybox:latest". */
export const normalizeReference = (input: string): string => formatReference(parseReference(input));

/** The short form Docker prints: "busybox:latest", "alice/app:1", "localhost:5000/x:1". */
export function familiarName(r: Reference): string {
  let name = repositoryName(r);
  if (r.domain === DEFAULT_DOMAIN) name = r.path.startsWith(OFFICIAL_PREFIX) ? r.path.slice(OFFICIAL_PREFIX.length) : r.path;
  return name + (r.tag ? `:${r.tag}` : '') + (r.digest ? `@${r.digest}` : '');
}

/** What to ask the registry for: the digest if pinned, else the tag. */
export const referenceObject = (r: Reference): string => r.digest ?? r.tag ?? 'latest';
