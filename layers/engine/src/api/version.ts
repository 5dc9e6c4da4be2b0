// API version negotiation (moby's api/server/middleware/version.go). Every path may carry a
// /v1.NN prefix; the client picks min(its own, the server's Api-Version from /_ping). Versions
// below the minimum or above the maximum are refused with docker's own wording, so the docker CLI
// prints the same error it would print against dockerd.
import { EngineError } from '../errors';

export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.41';

const parse = (v: string) => v.split('.').map(Number) as [number, number];
export function compareVersions(a: string, b: string): number {
  const [a1, a2] = parse(a);
  const [b1, b2] = parse(b);
  return a1 !== b1 ? a1 - b1 : a2 - b2;
}

/** Split "/v1.45/containers/json" into the version and the rest; no prefix -> the server's version. */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)?$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1];
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new EngineError('invalid', `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  if (compareVersions(version, API_VERSION) > 0) {
    throw new EngineError('invalid', `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  }
  return { version, path: m[2] ?? '/' };
}
