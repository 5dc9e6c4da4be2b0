// A small command-line parser with the semantics runc's CLI library (urfave/cli on Go's flag
// package) has, because callers rely on them:
//   - global flags come before the command, command flags before the first argument;
//   - parsing stops at the first non-flag argument (so `exec ID sh -c ...` passes `-c` through)
//     or at `--`;
//   - `--flag value`, `--flag=value`, `-f value`, and booleans as `--flag` or `--flag=false`.
// The commands are data (src/cli/commands.ts), which also renders the help text. It replaced
// commander: that library alone cost ~17 ms of start-up on every runtime call.

export interface FlagSpec {
  /** Long name without dashes, e.g. "pid-file". */
  name: string;
  short?: string;
  /** A value follows (string flag); otherwise boolean. */
  value?: string;
  repeatable?: boolean;
  default?: string;
  help: string;
  hidden?: boolean;
}

export interface CommandSpec {
  name: string;
  aliases?: string[];
  usage: string;
  /** Positional arguments as shown in help, e.g. "<container-id> [signal]". */
  args: string;
  flags: FlagSpec[];
  hidden?: boolean;
  /**
   * Flags only before the first argument (runc's SkipArgReorder: exec and ps, whose trailing
   * arguments belong to the process or to ps(1)). Other commands accept flags after the
   * container id too (`runc delete ID --force`), as urfave/cli reorders them.
   */
  noReorder?: boolean;
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** camelCase key of a flag name: "pid-file" -> "pidFile". */
export const flagKey = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Parse flags from argv[start...] until the first argument that is not a flag. Returns the
 * values (defaults filled in) and the index of the first positional argument.
 */
export function parseFlags(argv: string[], start: number, flags: FlagSpec[], withDefaults = true): { values: FlagValues; next: number; help: boolean; sawDoubleDash: boolean } {
  const values: FlagValues = {};
  if (withDefaults) for (const f of flags) if (f.default !== undefined) values[flagKey(f.name)] = f.default;
  let i = start;
  let help = false;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') return { values, next: i + 1, help, sawDoubleDash: true };
    if (!a.startsWith('-') || a === '-') break;
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    if (name === 'help' || name === 'h') {
      help = true;
      i++;
      continue;
    }
    const f = flags.find((x) => x.name === name || x.short === name);
    if (!f) throw new UsageError(`flag provided but not defined: -${name}`);
    const key = flagKey(f.name);
    let v: string | boolean;
    if (f.value) {
      if (eq >= 0) v = body.slice(eq + 1);
      else if (i + 1 < argv.length) v = argv[++i];
      else throw new UsageError(`flag needs an argument: -${name}`);
    } else {
      const raw = eq < 0 ? 'true' : body.slice(eq + 1);
      if (!['true', 'false', '1', '0'].includes(raw)) throw new UsageError(`invalid boolean value ${JSON.stringify(raw)} for -${name}`);
      v = raw === 'true' || raw === '1';
    }
    if (f.repeatable) values[key] = [...((values[key] as string[] | undefined) ?? []), String(v)];
    else values[key] = v;
    i++;
  }
  return { values, next: i, help, sawDoubleDash: false };
}

/**
 * A command's flags and positional arguments. With `noReorder`, everything after the first
 * positional argument is positional; otherwise flags may follow positionals until `--`.
 */
export function parseCommand(argv: string[], start: number, c: CommandSpec): { values: FlagValues; args: string[]; help: boolean } {
  const first = parseFlags(argv, start, c.flags);
  const { values } = first;
  let { next, help } = first;
  if (c.noReorder || first.sawDoubleDash) return { values, args: argv.slice(next), help };
  const args: string[] = [];
  while (next < argv.length) {
    const a = argv[next];
    if (a.startsWith('-') && a !== '-') {
      const more = parseFlags(argv, next, c.flags, false);
      Object.assign(values, mergeRepeated(values, more.values, c.flags));
      help ||= more.help;
      next = more.next;
      if (more.sawDoubleDash) {
        args.push(...argv.slice(next));
        break;
      }
      continue;
    }
    args.push(a);
    next++;
  }
  return { values, args, help };
}

/** Values of a later flag run override earlier ones, except repeatable flags, which accumulate. */
function mergeRepeated(before: FlagValues, after: FlagValues, flags: FlagSpec[]): FlagValues {
  const out: FlagValues = {};
  for (const f of flags) {
    const k = flagKey(f.name);
    if (!(k in after)) continue;
    if (f.repeatable && Array.isArray(before[k]) && Array.isArray(after[k])) out[k] = [...(before[k] as string[]), ...(after[k] as string[])];
    else out[k] = after[k];
  }
  return out;
}

function flagLine(f: FlagSpec): string {
  const names = [`--${f.name}${f.value ? ` ${f.value}` : ''}`, ...(f.short ? [`-${f.short}${f.value ? ` ${f.value}` : ''}`] : [])].join(', ');
  const def = f.default !== undefined && f.value ? ` (default: ${JSON.stringify(f.default)})` : '';
  return `   ${names.padEnd(34)} ${f.help}${def}`;
}

/** Help of the whole program, in the layout of runc's (urfave/cli) help. */
export function programHelp(name: string, description: string, version: string, commands: CommandSpec[], globals: FlagSpec[]): string {
  const cmds = commands.filter((c) => !c.hidden).map((c) => `   ${[c.name, ...(c.aliases ?? [])].join(', ').padEnd(12)} ${c.usage}`);
  return [
    'NAME:',
    `   ${name} - ${description}`,
    '',
    'USAGE:',
    `   ${name} [global options] command [command options] [arguments...]`,
    '',
    'VERSION:',
    `   ${version}`,
    '',
    'COMMANDS:',
    ...cmds,
    `   ${'help, h'.padEnd(12)} Shows a list of commands or help for one command`,
    '',
    'GLOBAL OPTIONS:',
    ...globals.filter((f) => !f.hidden).map(flagLine),
    `   ${'--help, -h'.padEnd(34)} show help`,
    `   ${'--version, -v'.padEnd(34)} print the version`,
    '',
  ].join('\n');
}

export function commandHelp(program: string, c: CommandSpec): string {
  return [
    'NAME:',
    `   ${program} ${c.name} - ${c.usage}`,
    '',
    'USAGE:',
    `   ${program} ${c.name} [command options] ${c.args}`,
    '',
    ...(c.flags.length ? ['OPTIONS:', ...c.flags.filter((f) => !f.hidden).map(flagLine), ''] : []),
  ].join('\n');
}
