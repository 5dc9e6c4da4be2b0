// The command-line parser keeps the semantics runc's callers rely on (urfave/cli over Go's flag
// package): flags before arguments, `--`, flags after the id for most commands, and exec/ps
// passing everything after the id through untouched.
import { describe, expect, it } from 'vitest';
import { parseCommand, parseFlags, UsageError, commandHelp } from '../src/cli/args';
import { COMMANDS, GLOBAL_FLAGS } from '../src/cli/commands';

const cmd = (name: string) => COMMANDS.find((c) => c.name === name)!;

describe('runc-style argument parsing', () => {
  it('global flags stop at the command name and keep their defaults', () => {
    const g = parseFlags(['--root', '/tmp/r', '--log-format=json', 'state', 'x'], 0, GLOBAL_FLAGS);
    expect(g.values).toMatchObject({ root: '/tmp/r', logFormat: 'json', rootless: 'auto' });
    expect(g.next).toBe(3);
  });

  it('exec passes the process arguments through, flags and all', () => {
    const r = parseCommand(['-e', 'A=1', '--env=B=2', '-t', 'c1', 'sh', '-c', 'echo --tty'], 0, cmd('exec'));
    expect(r.values).toMatchObject({ env: ['A=1', 'B=2'], tty: true });
    expect(r.args).toEqual(['c1', 'sh', '-c', 'echo --tty']);
  });

  it('delete and kill accept flags after the container id, like urfave/cli reordering', () => {
    expect(parseCommand(['c1', '--force'], 0, cmd('delete'))).toMatchObject({ args: ['c1'], values: { force: true } });
    expect(parseCommand(['c1', 'KILL', '-a'], 0, cmd('kill'))).toMatchObject({ args: ['c1', 'KILL'], values: { all: true } });
    expect(parseCommand(['-b', '/x', 'c1', '--pid-file', 'p'], 0, cmd('create')).values).toMatchObject({ bundle: '/x', pidFile: 'p', preserveFds: '0' });
  });

  it('-- ends flag parsing; booleans take =false', () => {
    expect(parseCommand(['--', '-weird-id'], 0, cmd('state')).args).toEqual(['-weird-id']);
    expect(parseCommand(['--force=false', 'c1'], 0, cmd('delete')).values.force).toBe(false);
  });

  it('unknown flags, missing values and bad booleans are usage errors naming the flag', () => {
    expect(() => parseCommand(['--no-such', 'c1'], 0, cmd('create'))).toThrow(new UsageError('flag provided but not defined: -no-such'));
    expect(() => parseCommand(['c1', '--bundle'], 0, cmd('create'))).toThrow(/flag needs an argument: -bundle/);
    expect(() => parseCommand(['--force=maybe', 'c1'], 0, cmd('delete'))).toThrow(/invalid boolean value "maybe" for -force/);
  });

  it('help of a command lists its flags with defaults', () => {
    const h = commandHelp('strata-runtime', cmd('create'));
    expect(h).toMatch(/--bundle value, -b value\s+path to the root of the bundle directory \(default: "\."\)/);
    expect(parseCommand(['--help'], 0, cmd('create')).help).toBe(true);
  });
});
