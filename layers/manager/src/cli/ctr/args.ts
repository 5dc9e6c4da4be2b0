// A small flag parser for strata-ctr, table-driven like strata-runtime's: each command declares
// its flags (name, alias, takes a value, repeatable), and the parser rejects anything else with
// a message naming the flag.
export interface FlagSpec {
  name: string;
  alias?: string;
  value?: boolean;
  repeat?: boolean;
  help: string;
}

export interface Parsed {
  flags: Record<string, string | boolean | string[]>;
  args: string[];
}

export class UsageError extends Error {}

/** Parse `argv` for one command. Flags stop at the first positional when `stopAtPositional` (run, exec). */
export function parseFlags(argv: string[], specs: FlagSpec[], o: { stopAtPositional?: number } = {}): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) {
    byName.set(`--${s.name}`, s);
    if (s.alias) byName.set(`-${s.alias}`, s);
  }
  const flags: Parsed['flags'] = {};
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (o.stopAtPositional !== undefined && args.length >= o.stopAtPositional) {
      args.push(...argv.slice(i));
      break;
    }
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const spec = byName.get(key);
    if (!spec) throw new UsageError(`flag provided but not defined: ${key}`);
    let value: string | boolean = true;
    if (spec.value) {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: ${key}`);
      value = v;
    } else if (eq > 0) value = a.slice(eq + 1) !== 'false';
    if (spec.repeat) ((flags[spec.name] ??= []) as string[]).push(value as string);
    else flags[spec.name] = value;
  }
  return { flags, args };
}

export function flagHelp(specs: FlagSpec[]): string {
  return specs
    .map((s) => {
      const names = `--${s.name}${s.alias ? `, -${s.alias}` : ''}${s.value ? ' value' : ''}`;
      return `   ${names.padEnd(30)} ${s.help}`;
    })
    .join('\n');
}
