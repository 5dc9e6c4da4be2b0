// What every command module declares: docker's usage line, one-line description, flags and
// argument count, and the function that runs it against a DockerClient.
import type { DockerClient } from './client';
import type { FlagDef, FlagValues } from './flags';

export interface Io {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface Ctx extends Io {
  /** Connects (and negotiates the API version) on first use. */
  client: DockerClient;
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** "ps", or "volume ls" for management subcommands. */
  name: string;
  aliases?: string[];
  /** The words after the command in the usage line, e.g. "[OPTIONS] CONTAINER [CONTAINER...]". */
  usage: string;
  desc: string;
  flags: FlagDef[];
  args?: { min?: number; max?: number };
  /** false: flags end at the first positional argument (run, exec, create). */
  interspersed?: boolean;
  /** Does not talk to a daemon (help, daemon status). */
  local?: boolean;
  run(ctx: Ctx, f: FlagValues, args: string[]): Promise<number | void>;
}

// Flags many commands share.
export const FORMAT_FLAG: FlagDef = { name: 'format', kind: 'string', desc: "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template" };
export const FILTER_FLAG: FlagDef = { name: 'filter', short: 'f', kind: 'list', desc: 'Filter output based on conditions provided', valueName: 'filter' };
export const QUIET_FLAG = (what: string): FlagDef => ({ name: 'quiet', short: 'q', kind: 'bool', desc: `Only display ${what}` });

/** --filter k=v ... as the API's filters JSON: {"k": {"v": true}} (the map form every API version reads). */
export function filtersJson(values: string[]): string | undefined {
  if (!values.length) return undefined;
  const f: Record<string, Record<string, boolean>> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new Error(`bad format of filter (expected name=value)`);
    (f[v.slice(0, i).trim().toLowerCase()] ??= {})[v.slice(i + 1)] = true;
  }
  return JSON.stringify(f);
}

export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
