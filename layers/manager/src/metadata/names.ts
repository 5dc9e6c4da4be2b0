// Identifier rules shared by the stores (containerd's identifiers.Validate): namespaces,
// container ids, lease ids and snapshot keys end up in paths and on command lines.
import { invalid } from '../errors';

const IDENTIFIER = /^[A-Za-z0-9]+(?:[._-](?:[A-Za-z0-9]+))*$/;

/** containerd identifiers: alphanumerics separated by single . _ or -, at most 76 characters. */
export function validateIdentifier(field: string, s: string): string {
  if (!s) throw invalid(field, 'must not be empty');
  if (s.length > 76) throw invalid(field, `${JSON.stringify(s.slice(0, 20))}...: longer than 76 characters`);
  if (!IDENTIFIER.test(s)) throw invalid(field, `${JSON.stringify(s)}: must be alphanumerics separated by single ".", "_" or "-"`);
  return s;
}

/** A namespace is required on every namespaced call (ctr sends "default"). */
export function requireNamespace(ns: string): string {
  if (!ns) throw invalid('namespace', 'required (set the containerd-namespace header, e.g. ctr -n default)');
  return validateIdentifier('namespace', ns);
}
