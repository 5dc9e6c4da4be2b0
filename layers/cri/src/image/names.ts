// How the CRI names images, as containerd's CRI plugin does (internal/cri/store/image):
//
//   id           sha256:<config digest hex>          one per image (the config is the image)
//   repo tag     registry.k8s.io/pause:3.9            any number
//   repo digest  registry.k8s.io/pause@sha256:<hex>   the manifest/index digest a tag resolved to
//
// All three are stored as manager image records pointing at the same target, so a lookup by any
// of them is one Images.Get, and a restart needs no state of its own. A record is marked with
// the label below so that ListImages shows only what the CRI pulled (or adopted).
import { parseReference, formatReference, type Reference } from '@strata/manager';
import { invalidField } from '../runtime/errors';

export const MANAGED_LABEL = 'io.cri-containerd.image';
export const MANAGED_VALUE = 'managed';

const ID_RE = /^sha256:[a-f0-9]{64}$/;
const HEX64 = /^[a-f0-9]{64}$/;

export type ImageName =
  | { kind: 'id'; id: string }
  /** A short id prefix ("abc123"), matched against ids when no reference has that name. */
  | { kind: 'idPrefix'; prefix: string }
  | { kind: 'ref'; ref: Reference; name: string };

/** Read the image field of an ImageSpec. `field` names the request field in errors. */
export function parseImageName(input: string, field: string): ImageName {
  if (!input) throw invalidField(field, 'must not be empty');
  if (ID_RE.test(input)) return { kind: 'id', id: input };
  if (HEX64.test(input)) return { kind: 'id', id: `sha256:${input}` };
  let ref: Reference;
  try {
    ref = parseReference(input);
  } catch (e) {
    if (/^[a-f0-9]{6,63}$/.test(input)) return { kind: 'idPrefix', prefix: input };
    throw invalidField(field, `${JSON.stringify(input)} is not an image reference or id: ${(e as Error).message.replace(/^reference: /, '')}`);
  }
  // A bare short hex like "abc123" parses as docker.io/library/abc123:latest; try it both ways.
  return { kind: 'ref', ref, name: formatReference(ref) };
}

export const isShortHex = (s: string): boolean => /^[a-f0-9]{6,63}$/.test(s);

/** The record names of one pulled image: tag (if any), repo digest, id. */
export function recordNames(ref: Reference, targetDigest: string, id: string): string[] {
  const names: string[] = [];
  if (ref.tag) names.push(formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag }));
  names.push(formatReference({ domain: ref.domain, path: ref.path, digest: targetDigest }));
  names.push(id);
  return names;
}

/** Sort a record name into the image's id, repo tags or repo digests. */
export function classify(name: string): 'id' | 'tag' | 'digest' | 'other' {
  if (ID_RE.test(name)) return 'id';
  try {
    const r = parseReference(name, { defaultTag: false });
    if (r.digest) return 'digest';
    if (r.tag) return 'tag';
  } catch {
    /* not a reference */
  }
  return 'other';
}
