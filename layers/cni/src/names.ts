// Validation of the identifiers a runtime passes to plugins. The patterns are libcni's
// (pkg/utils: ValidateContainerID, ValidateNetworkName, ValidateInterfaceName): they end up in
// file names (the result cache, host-local's dataDir), iptables comments and chain hashes, so
// anything with '/' or whitespace would be a path escape or a broken rule.
import { CniError } from './errors';

const ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateContainerId(id: string): void {
  if (typeof id !== 'string' || id === '') throw new CniError(4, '', 'containerId: must not be empty');
  if (!ID_PATTERN.test(id)) throw new CniError(4, '', `containerId ${JSON.stringify(id)}: must match ${ID_PATTERN.source}`);
  if (id.length > 253) throw new CniError(4, '', `containerId: longer than 253 characters`);
}

export function validateNetworkName(name: string): void {
  if (typeof name !== 'string' || name === '') throw new CniError(7, '', 'network config /name: must not be empty');
  if (!ID_PATTERN.test(name)) throw new CniError(7, '', `network config /name ${JSON.stringify(name)}: must match ${ID_PATTERN.source}`);
  if (name.length > 253) throw new CniError(7, '', 'network config /name: longer than 253 characters');
}

/** Linux interface names: IFNAMSIZ is 16 including the NUL, and '/', ':' and whitespace are refused by the kernel (dev_valid_name). */
export function validateInterfaceName(ifName: string): void {
  if (typeof ifName !== 'string' || ifName === '') throw new CniError(4, '', 'ifName: must not be empty');
  if (ifName.length > 15) throw new CniError(4, '', `ifName ${JSON.stringify(ifName)}: longer than 15 characters (IFNAMSIZ)`);
  if (ifName === '.' || ifName === '..' || /[/:\s]/.test(ifName)) throw new CniError(4, '', `ifName ${JSON.stringify(ifName)}: must not be . or .. or contain '/', ':' or whitespace`);
}

/** A plugin `type` names an executable in binDirs: it must be a plain file name. */
export function validatePluginType(type: unknown, index: number): asserts type is string {
  if (typeof type !== 'string' || type === '') throw new CniError(7, '', `network config /plugins/${index}/type: must be a non-empty string`);
  if (type === '.' || type === '..' || type.includes('/') || /\s/.test(type)) throw new CniError(7, type, `network config /plugins/${index}/type ${JSON.stringify(type)}: must be a plain file name`);
}
