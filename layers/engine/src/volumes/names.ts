// Volume names: the local driver's rule (moby volume/local: validName) — a name becomes a
// directory under the volumes root, so it may not hold '/' or start with '.', and cannot be '..'.
import crypto from 'node:crypto';
import { invalidParam } from '../errors';

const VALID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label docker (23+) puts on volumes made for `-v /path` or an image's VOLUME. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export function validateVolumeName(name: string): void {
  if (!VALID.test(name) || name.length > 255) {
    throw invalidParam(
      `create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

/** A new anonymous volume's name: 64 hex digits, like docker's stringid.GenerateRandomID. */
export const anonymousVolumeName = (): string => crypto.randomBytes(32).toString('hex');
