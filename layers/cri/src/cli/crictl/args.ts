// Flags the way crictl (urfave/cli) takes them: --name value, --name=value, -n value, boolean
// flags alone, several short booleans in one word (-it), flags and arguments in any order until
// "--" (after which everything is an argument: the command of exec).
export class UsageError extends Error {}

export interface FlagSpec {
  /** Long name without dashes ("tail"); aliases are short or long ("n", "last"). */
  name: string;
  aliases?: string[];
  /** 'bool' takes no value; 'string' and 'int' take one; 'list' may repeat. */
  kind: 'bool' | 'string' | 'int' | 'list';
}

export interface Parsed {
  flags: Record<string, string | boolean | number | string[] | undefined>;
  args: string[];
}

/**
 * Parse argv against specs. `stopAtFirstArg`: exec and attach stop reading flags at the first
 * argument after the container id (`exec ID ls -l` passes -l to ls), as crictl does.
 */
export function parseFlags(argv: string[], specs: FlagSpec[], o: { stopAfterArgs?: number } = {}): Parsed {
  const byName = new Map<string, FlagSpec>();
  for (const s of specs) for (const n of [s.name, ...(s.aliases ?? [])]) byName.set(n, s);
  const flags: Parsed['flags'] = {};
  const args: string[] = [];
  const set = (s: FlagSpec, raw: string | undefined, shown: string) => {
    if (s.kind === 'bool') {
      flags[s.name] = raw === undefined ? true : raw !== 'false';
      return;
    }
    if (raw === undefined) throw new UsageError(`flag needs an argument: ${shown}`);
    if (s.kind === 'int') {
      if (!/^-?\d+$/.test(raw)) throw new UsageError(`invalid value "${raw}" for flag ${shown}: must be an integer`);
      flags[s.name] = Number(raw);
    } else if (s.kind === 'list') flags[s.name] = [...((flags[s.name] as string[]) ?? []), raw];
    else flags[s.name] = raw;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (o.stopAfterArgs !== undefined && args.length >= o.stopAfterArgs) {
      args.push(...argv.slice(i).filter((x, j) => !(j === 0 && x === '--')));
      break;
    }
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const s = byName.get(name);
      if (!s) throw new UsageError(`flag provided but not defined: -${name}`);
      set(s, eq > 0 ? a.slice(eq + 1) : s.kind === 'bool' ? undefined : argv[++i], `--${name}`);
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const eq = a.indexOf('=');
      const body = eq > 0 ? a.slice(1, eq) : a.slice(1);
      const whole = byName.get(body);
      if (whole) {
        set(whole, eq > 0 ? a.slice(eq + 1) : whole.kind === 'bool' ? undefined : argv[++i], `-${body}`);
        continue;
      }
      // -it: every letter a boolean flag, or the last one taking the next word as its value.
      for (let k = 0; k < body.length; k++) {
        const s = byName.get(body[k]);
        if (!s) throw new UsageError(`flag provided but not defined: -${body[k]}`);
        if (s.kind !== 'bool' && k === body.length - 1) set(s, argv[++i], `-${body[k]}`);
        else if (s.kind !== 'bool') throw new UsageError(`flag -${body[k]} needs a value and cannot be combined`);
        else set(s, undefined, `-${body[k]}`);
      }
    } else args.push(a);
  }
  return { flags, args };
}

/** crictl's durations: "2s", "500ms", "1m30s", or a bare number of seconds. */
export function parseDuration(v: string, flag: string): number {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let ms = 0;
  let seen = '';
  for (const m of v.matchAll(re)) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    seen += m[0];
  }
  if (!seen || seen !== v) throw new UsageError(`invalid value "${v}" for flag ${flag}: want a duration such as 2s, 500ms, 1m`);
  return ms;
}
