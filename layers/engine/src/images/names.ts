// Docker's image names over the manager's image records. A manager image is a (name -> target
// descriptor) record; docker's model is an image (id = sha256 of its config) with any number of
// names. So here:
//
//   record "docker.io/library/busybox:latest"      -> RepoTags    "busybox:latest"
//   record "docker.io/library/busybox@sha256:..."  -> RepoDigests "busybox@sha256:..."
//   record "moby-dangling@sha256:<target>"         -> an image with no name (<none>:<none>), kept
//                                                     so its content survives until pruned
//
// (the same convention as dockerd with the containerd image store). Every tagged record also
// yields a RepoDigest "<repository>@<target digest>": the digest a registry knows it by.
import { familiarName, parseReference, type Reference } from '@strata/manager';

export const DANGLING_PREFIX = 'moby-dangling@';

export const isDangling = (name: string): boolean => name.startsWith(DANGLING_PREFIX);
export const danglingName = (targetDigest: string): string => `${DANGLING_PREFIX}${targetDigest}`;

export function tryParse(name: string): Reference | undefined {
  if (isDangling(name)) return undefined;
  try {
    return parseReference(name, { defaultTag: false });
  } catch {
    return undefined;
  }
}

/** "busybox:latest" for a tag record, undefined for digest and dangling records. */
export function repoTag(name: string): string | undefined {
  const r = tryParse(name);
  return r?.tag && !r.digest ? familiarName(r) : undefined;
}

/** "busybox@sha256:..." for a record (the target digest, or the record's own pinned digest). */
export function repoDigest(name: string, targetDigest: string): string | undefined {
  const r = tryParse(name);
  if (!r) return undefined;
  return familiarName({ domain: r.domain, path: r.path, digest: r.digest ?? targetDigest });
}

/** The short id docker prints: 12 hex digits. */
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/** Name as docker prints it in messages: familiar when it parses, else as given. */
export function familiar(name: string): string {
  const r = tryParse(name);
  return r ? familiarName(r) : name;
}
