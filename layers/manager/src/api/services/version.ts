// containerd.services.version.v1.Version: `ctr version` prints it.
import type { Manager } from './context';
import type { Handler } from '../grpc';

export const VERSION = '1.6.20-strata';
export const REVISION = 'strata-manager';

export function versionService(_m: Manager): Record<string, Handler> {
  return { Version: () => ({ version: VERSION, revision: REVISION }) };
}
