// strata-crictl's pure parts: flag parsing as urfave/cli does it, crictl's output formats, the
// CRI log format reader.
import { describe, expect, it } from 'vitest';
import { parseDuration, parseFlags } from '../src/cli/crictl/args';
import { humanDuration, humanSize, table, truncId } from '../src/cli/crictl/format';
import { parseCriLog } from '../src/cli/crictl/logs';
import { authOf } from '../src/cli/crictl/images';

describe('flags', () => {
  const specs = [
    { name: 'interactive', aliases: ['i'], kind: 'bool' as const },
    { name: 'tty', aliases: ['t'], kind: 'bool' as const },
    { name: 'tail', kind: 'int' as const },
    { name: 'label', kind: 'list' as const },
    { name: 'output', aliases: ['o'], kind: 'string' as const },
  ];
  it('takes combined short booleans, = values, repeated lists', () => {
    expect(parseFlags(['-it', 'abc', '--tail=5', '--label', 'a=b', '--label', 'c=d', '-o', 'json'], specs)).toEqual({ flags: { interactive: true, tty: true, tail: 5, label: ['a=b', 'c=d'], output: 'json' }, args: ['abc'] });
  });
  it('stops at the command of exec', () => {
    expect(parseFlags(['-i', 'ctr', 'ls', '-l', '--tail', 'x'], specs, { stopAfterArgs: 1 }).args).toEqual(['ctr', 'ls', '-l', '--tail', 'x']);
    expect(parseFlags(['ctr', '--', 'sh', '-c', 'x'], specs, { stopAfterArgs: 1 }).args).toEqual(['ctr', 'sh', '-c', 'x']);
  });
  it('names bad flags', () => {
    expect(() => parseFlags(['--nope'], specs)).toThrow('flag provided but not defined: -nope');
    expect(() => parseFlags(['--tail', 'x'], specs)).toThrow('invalid value "x" for flag --tail');
    expect(() => parseFlags(['-o'], specs)).toThrow('flag needs an argument: -o');
  });
  it('reads durations', () => {
    expect(parseDuration('2s', '--timeout')).toBe(2000);
    expect(parseDuration('1m30s', '--timeout')).toBe(90_000);
    expect(parseDuration('500ms', '--timeout')).toBe(500);
    expect(parseDuration('3', '--timeout')).toBe(3000);
    expect(() => parseDuration('soon', '--timeout')).toThrow('--timeout');
  });
  it('reads --creds and --auth', () => {
    expect(authOf({ creds: 'me:s3:cret' })).toEqual({ username: 'me', password: 's3:cret' });
    expect(authOf({ auth: 'bWU6eA==' })).toEqual({ auth: 'bWU6eA==' });
    expect(() => authOf({ creds: ':x' })).toThrow('--creds: the username is empty');
  });
});

describe('output formats', () => {
  it('pads like tabwriter(minwidth 20, padding 3)', () => {
    expect(table(['IMAGE', 'TAG'], [['a-very-long-image-name-here', 'latest']])).toBe('IMAGE                         TAG\na-very-long-image-name-here   latest\n');
  });
  it('truncates ids to 13 characters', () => {
    expect(truncId('sha256:0123456789abcdef')).toBe('0123456789abc');
  });
  it('writes sizes and ages like go-units', () => {
    expect(humanSize(1032561)).toBe('1.03MB');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(4_270_000)).toBe('4.27MB');
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(5_000)).toBe('5 seconds');
    expect(humanDuration(60_000)).toBe('About a minute');
    expect(humanDuration(7 * 60_000)).toBe('7 minutes');
    expect(humanDuration(3 * 3_600_000)).toBe('3 hours');
  });
});

describe('CRI log format', () => {
  it('joins partial lines, keeps streams apart, skips junk', () => {
    const text = ['2024-01-01T00:00:00.000000001Z stdout P hel', '2024-01-01T00:00:00.000000002Z stderr F oops', '2024-01-01T00:00:00.000000003Z stdout F lo', 'garbage', '2024-01-01T00:00:00.000000004Z stdout F ', ''].join('\n');
    expect(parseCriLog(text)).toEqual([
      { time: '2024-01-01T00:00:00.000000002Z', stream: 'stderr', text: 'oops' },
      { time: '2024-01-01T00:00:00.000000001Z', stream: 'stdout', text: 'hello' },
      { time: '2024-01-01T00:00:00.000000004Z', stream: 'stdout', text: '' },
    ]);
  });
});
