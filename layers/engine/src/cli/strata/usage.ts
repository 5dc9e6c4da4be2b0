// Help text in the docker CLI's shape ("Usage:  docker ps [OPTIONS]", a description, aliases and an
// aligned option list with pflag's "-a, --all" / "    --format string" left column).
import type { Command } from './command';
import { COMMANDS, COMMON, MANAGEMENT } from './commands/index';
import type { FlagDef } from './flags';

function flagLines(flags: FlagDef[]): string {
  const all: FlagDef[] = [...flags].sort((a, b) => a.name.localeCompare(b.name));
  const left = all.map((f) => `${f.short ? `  -${f.short}, ` : '      '}--${f.name}${f.kind === 'bool' ? '' : ` ${f.valueName ?? (f.kind === 'list' ? 'list' : f.kind === 'int' ? 'int' : 'string')}`}`);
  const width = Math.max(...left.map((l) => l.length));
  return all
    .map((f, i) => {
      const def = f.def !== undefined && f.kind !== 'bool' ? ` (default ${f.kind === 'string' ? `"${f.def}"` : f.def})` : f.def !== undefined ? ` (default ${f.def})` : '';
      const desc = `${f.desc}${def}`.split('\n').join(`\n${' '.repeat(width + 3)}`);
      return `${left[i].padEnd(width)}   ${desc}`;
    })
    .join('\n');
}

export function commandUsageLine(c: Command): string {
  return `Usage:  strata ${c.name}${c.usage ? ` ${c.usage}` : ''}`;
}

export function commandHelp(c: Command): string {
  let s = `\n${commandUsageLine(c)}\n\n${c.desc}\n`;
  if (c.aliases?.length) s += `\nAliases:\n  ${[...c.aliases.map((a) => `strata ${a}`), `strata ${c.name}`].join(', ')}\n`;
  const flags = [...c.flags, { name: 'help', kind: 'bool' as const, desc: 'Print usage' }];
  s += `\nOptions:\n${flagLines(flags)}\n`;
  return s;
}

/** `strata volume` alone: the management command's subcommands. */
export function managementHelp(group: string): string {
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `) || c.aliases?.some((a) => a.startsWith(`${group} `)));
  const rows = subs.map((c) => {
    const word = c.name.startsWith(`${group} `) ? c.name.slice(group.length + 1) : c.aliases!.find((a) => a.startsWith(`${group} `))!.slice(group.length + 1);
    return [word, c.desc.split('\n')[0]];
  });
  const w = Math.max(...rows.map(([n]) => n.length)) + 3;
  return `\nUsage:  strata ${group} COMMAND\n\nManage ${group}s\n\nCommands:\n${rows.map(([n, d]) => `  ${n.padEnd(w)}${d}`).join('\n')}\n\nRun 'strata ${group} COMMAND --help' for more information on a command.\n`;
}

export function mainHelp(): string {
  const line = (c: Command) => `  ${c.name.padEnd(11)}${c.desc.split('\n')[0]}`;
  const single = COMMANDS.filter((c) => !c.name.includes(' ') && !COMMON.includes(c));
  return `
Usage:  strata [OPTIONS] COMMAND

A Docker Engine API client with the docker CLI's commands (Strata: a container stack in TypeScript)

Common Commands:
${COMMON.map(line).join('\n')}

Management Commands:
${MANAGEMENT.filter((m) => m !== 'builder').map((m) => `  ${m.padEnd(11)}Manage ${m === 'system' ? 'Docker' : `${m}s`}`).join('\n')}
  daemon     Show or stop the daemons strata started (status, stop)

Commands:
${single.filter((c) => c.name !== 'daemon').map(line).join('\n')}

Global Options:
      --config string      Location of client config files (default "~/.docker")
  -D, --debug              Enable debug mode
  -H, --host string        Daemon socket to connect to (default: DOCKER_HOST, else unix:///run/strata-engine/strata-engine.sock)
  -l, --log-level string   Set the logging level ("debug", "info", "warn", "error", "fatal") (default "info")
  -v, --version            Print version information and quit

Environment:
  DOCKER_HOST              daemon socket (unix:///path or tcp://host:port)
  DOCKER_CONFIG            client config directory (registry credentials in config.json)
  STRATA_NO_AUTOSTART=1    never start strata-manager/strata-engine automatically

Run 'strata COMMAND --help' for more information on a command.
`;
}
