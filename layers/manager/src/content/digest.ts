// Digests as the OCI image-spec defines them (descriptor.md#digests): "<algorithm>:<encoded>".
// The manager stores and verifies sha256 only, like containerd's content store; sha512 digests
// are accepted by the parser (the spec registers them) so an error can say exactly why a blob
// is refused.
import crypto from 'node:crypto';
import { invalid } from '../errors';

const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: string;
  hex: string;
}

/** Parse and validate a digest; `field` names the request field in the error. */
export function parseDigest(digest: string, field = 'digest'): ParsedDigest {
  const m = DIGEST_RE.exec(digest ?? '');
  if (!m) throw invalid(field, `invalid digest ${JSON.stringify(digest)}: want "sha256:<64 hex characters>"`);
  const [, algorithm, hex] = m;
  const len = HEX_LENGTH[algorithm];
  if (len === undefined) throw invalid(field, `unsupported digest algorithm ${JSON.stringify(algorithm)} in ${digest} (supported: sha256)`);
  if (hex.length !== len || !/^[a-f0-9]+$/.test(hex)) {
    throw invalid(field, `invalid ${algorithm} digest ${JSON.stringify(digest)}: want ${len} lowercase hex characters`);
  }
  if (algorithm !== 'sha256') throw invalid(field, `unsupported digest algorithm ${algorithm} in ${digest} (the store keeps sha256 only)`);
  return { algorithm, hex };
}

export const isDigest = (s: string): boolean => {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
};

export const sha256 = (data: Buffer | string): string => 'sha256:' + crypto.createHash('sha256').update(data).digest('hex');

/** An incremental hasher whose running digest can be read at any time (Node's Hash is single-use). */
export class Digester {
  private hash = crypto.createHash('sha256');
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): string {
    return 'sha256:' + this.hash.copy().digest('hex');
  }
  reset(): void {
    this.hash = crypto.createHash('sha256');
  }
}
