// A command line parser with docker's (spf13/pflag's) rules: long flags `--name value` or
// `--name=value`, short flags `-n value`, `-nvalue`, bundled booleans `-it`, `--` ends flags, and
// for commands that run another program (run, exec, create) flags stop at the first positional
// argument, so `strata run busybox ls -l` passes `-l` to ls.
import { UsageError } from './errors';

export type FlagKind = 'bool' | 'string' | 'list' | 'int';

export interface FlagDef {
  name: string;
  short?: string;
  kind: FlagKind;
  desc: string;
  /** Shown as (default ...) in --help; the parsed value is undefined when the flag is absent. */
  def?: string;
  /** The value's name in --help, e.g. "string", "list", "int". */
  valueName?: string;
}

export type FlagValues = Record<string, string | boolean | string[] | number | undefined>;

export interface Parsed {
  flags: FlagValues;
  args: string[];
  help: boolean;
}

export function parseFlags(argv: string[], defs: FlagDef[], o: { command: string; interspersed?: boolean }): Parsed {
  const byLong = new Map(defs.map((d) => [d.name, d]));
  const byShort = new Map(defs.filter((d) => d.short).map((d) => [d.short!, d]));
  const flags: FlagValues = {};
  const args: string[] = [];
  let help = false;
  const bad = (msg: string) => new UsageError(msg, o.command);

  const set = (d: FlagDef, raw: string | undefined, shown: string) => {
    if (d.kind === 'bool') {
      if (raw === undefined || raw === 'true') flags[d.name] = true;
      else if (raw === 'false') flags[d.name] = false;
      else throw bad(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
    } else if (raw === undefined) {
      throw bad(`flag needs an argument: ${shown}`);
    } else if (d.kind === 'int') {
      if (!/^-?\d+$/.test(raw)) throw bad(`invalid argument "${raw}" for "${shown}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
      flags[d.name] = Number(raw);
    } else if (d.kind === 'list') {
      ((flags[d.name] as string[] | undefined) ?? (flags[d.name] = [])).push(raw);
    } else flags[d.name] = raw;
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (name === 'help') {
        help = true;
        continue;
      }
      const d = byLong.get(name);
      if (!d) throw bad(`unknown flag: --${name}`);
      let value = eq > 0 ? a.slice(eq + 1) : undefined;
      if (value === undefined && d.kind !== 'bool') {
        if (i + 1 >= argv.length) throw bad(`flag needs an argument: --${name}`);
        value = argv[++i];
      }
      set(d, value, `--${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // Bundled short flags: every letter is a boolean until one takes a value (the rest, or the next word).
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (c === 'h' && !byShort.has('h')) {
          help = true;
          continue;
        }
        const d = byShort.get(c);
        if (!d) throw bad(`unknown shorthand flag: '${c}' in ${a}`);
        const shown = `-${c}, --${d.name}`;
        if (d.kind === 'bool') {
          if (a[j + 1] === '=') {
            set(d, a.slice(j + 2), shown);
            break;
          }
          set(d, undefined, shown);
          continue;
        }
        let value = a.slice(j + 1);
        if (value.startsWith('=')) value = value.slice(1);
        else if (value === '') {
          if (i + 1 >= argv.length) throw bad(`flag needs an argument: '${c}' in ${a}`);
          value = argv[++i];
        }
        set(d, value, shown);
        break;
      }
      continue;
    }
    args.push(a);
    if (o.interspersed === false) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, args, help };
}

// Typed accessors so command code reads `str(f, 'name')` rather than casts.
export const str = (f: FlagValues, k: string): string | undefined => f[k] as string | undefined;
export const bool = (f: FlagValues, k: string): boolean => f[k] === true;
export const list = (f: FlagValues, k: string): string[] => (f[k] as string[] | undefined) ?? [];
export const int = (f: FlagValues, k: string): number | undefined => f[k] as number | undefined;
