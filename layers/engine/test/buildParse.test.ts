// The Dockerfile parser and variable substitution (pure logic): continuations, comments,
// directives, exec and shell forms, flags, errors naming the line, docker's substitution rules.
import { describe, expect, it } from 'vitest';
import { DockerfileError, parseDockerfile, targetStage } from '../src/build/dockerfile/parse';
import { expandWord, expandWords, rawWords } from '../src/build/dockerfile/words';
import { isExcluded, parseDockerignore } from '../src/build/dockerignore';

const vars: Record<string, string> = { A: 'alpha', EMPTY: '', SP: 'x y' };
const lookup = (n: string) => vars[n];

describe('parseDockerfile', () => {
  it('joins continuations, drops comments, keeps the starting line number', () => {
    const df = parseDockerfile(['# a comment', 'FROM busybox', '', 'RUN echo a \\', '  # comment inside', '    && echo b', 'run echo c'].join('\n'));
    expect(df.stages).toHaveLength(1);
    const [run1, run2] = df.stages[0].instructions;
    expect(run1).toMatchObject({ line: 4, cmd: 'RUN', args: 'echo a     && echo b' });
    expect(run2).toMatchObject({ line: 7, cmd: 'RUN', args: 'echo c' });
    expect(df.stages[0].from).toMatchObject({ line: 2, cmd: 'FROM', args: 'busybox' });
  });

  it('reads the escape directive only at the top', () => {
    const df = parseDockerfile(['# escape=`', 'FROM busybox', 'RUN echo a `', ' b'].join('\n'));
    expect(df.escape).toBe('`');
    expect(df.stages[0].instructions[0].args).toBe('echo a  b');
    // after an instruction it is a comment
    const late = parseDockerfile(['FROM busybox', '# escape=`', 'RUN echo \\', 'b'].join('\n'));
    expect(late.escape).toBe('\\');
    expect(late.stages[0].instructions[0].args).toBe('echo b');
    expect(() => parseDockerfile('# escape=x\nFROM a')).toThrow(/invalid escape token/);
  });

  it('tells the exec form from the shell form', () => {
    const df = parseDockerfile(['FROM busybox', 'CMD ["sh", "-c", "echo hi"]', 'RUN [ -f /etc/passwd ] && echo yes', 'ENTRYPOINT echo x'].join('\n'));
    const [cmd, run, ep] = df.stages[0].instructions;
    expect(cmd.json).toEqual(['sh', '-c', 'echo hi']);
    expect(run.json).toBeUndefined(); // not JSON: shell form, as docker decides
    expect(ep.json).toBeUndefined();
  });

  it('parses flags and refuses unknown ones', () => {
    const df = parseDockerfile('FROM busybox\nCOPY --chown=1:2 --chmod=0640 a b /dst/\n');
    expect(df.stages[0].instructions[0]).toMatchObject({ flags: { chown: '1:2', chmod: '0640' }, args: 'a b /dst/' });
    expect(() => parseDockerfile('FROM busybox\nRUN --mount=type=cache,target=/x true')).toThrow('Dockerfile:2: RUN: unknown flag: --mount');
  });

  it('names the line and instruction in errors', () => {
    const err = (text: string) => {
      try {
        parseDockerfile(text);
      } catch (e) {
        expect(e).toBeInstanceOf(DockerfileError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err('FROM busybox\n\nRUNN true')).toBe('Dockerfile:3: unknown instruction: RUNN');
    expect(err('RUN true')).toMatch(/^Dockerfile:1: RUN before FROM/);
    expect(err('FROM a\nCOPY onlyone')).toMatch(/^Dockerfile:2: COPY requires at least two arguments/);
    expect(err('FROM a\nHEALTHCHECK CMD true')).toMatch(/^Dockerfile:2: HEALTHCHECK is not supported/);
    expect(err('FROM a\nSHELL /bin/bash -c')).toMatch(/^Dockerfile:2: SHELL requires the arguments to be in JSON form/);
    expect(err('FROM a b')).toMatch(/FROM requires either one or three arguments/);
    expect(err('# just a comment\n')).toMatch(/no FROM instruction/);
    expect(err('FROM a AS x\nFROM b AS X')).toMatch(/duplicate name x/);
  });

  it('keeps global ARGs apart and finds stages', () => {
    const df = parseDockerfile('ARG V=1\nFROM busybox:${V} AS base\nRUN true\nFROM base\nCMD x\n');
    expect(df.globalArgs.map((a) => a.args)).toEqual(['V=1']);
    expect(df.stages.map((s) => s.name)).toEqual(['base', undefined]);
    expect(targetStage(df)).toBe(1);
    expect(targetStage(df, 'BASE')).toBe(0);
    expect(() => targetStage(df, 'nope')).toThrow(/failed to reach build target nope/);
  });
});

describe('substitution', () => {
  it('expands $VAR and ${VAR} with the modifiers', () => {
    expect(expandWord('$A-${A}x', lookup)).toBe('alpha-alphax');
    expect(expandWord('${NOPE:-def} ${EMPTY:-def} ${EMPTY-def}', lookup)).toBe('def def ');
    expect(expandWord('${A:+set} ${EMPTY:+set} ${EMPTY+set} ${NOPE+set}', lookup)).toBe('set  set ');
    expect(expandWord('${NOPE:-${A}}', lookup)).toBe('alpha');
    expect(() => expandWord('${NOPE:?must be given}', lookup)).toThrow('NOPE: must be given');
    expect(expandWord('cost $5 and $', lookup)).toBe('cost  and $');
  });

  it('honours quotes and the escape character', () => {
    expect(expandWord(`'$A' "$A" \\$A "\\$A" "a\\"b"`, lookup)).toBe(`$A alpha $A $A a"b`);
    expect(expandWord('`$A', lookup, '`')).toBe('$A');
    expect(() => expandWord('"open', lookup)).toThrow(/double-quote/);
  });

  it('splits words, also inside unquoted expansions only', () => {
    expect(expandWords('a  "b c" $SP "$SP"', lookup)).toEqual(['a', 'b c', 'x', 'y', 'x y']);
    expect(rawWords('a="x y" b=c')).toEqual(['a="x y"', 'b=c']);
  });
});

describe('.dockerignore', () => {
  it('matches like the docker CLI, with exceptions and **', () => {
    const p = parseDockerignore('# comment\n*.log\n!keep.log\nbuild/\n**/tmp\n');
    expect(isExcluded('a.log', p)).toBe(true);
    expect(isExcluded('keep.log', p)).toBe(false);
    expect(isExcluded('sub/a.log', p)).toBe(false); // * does not cross /
    expect(isExcluded('build/x/y', p)).toBe(true);
    expect(isExcluded('deep/er/tmp/f', p)).toBe(true);
    expect(isExcluded('src/main.c', p)).toBe(false);
  });
});
