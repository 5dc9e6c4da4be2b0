// The tutorial runner's pure logic (tutorials/runner/): lesson parsing, marks, output matching,
// host detection from mountinfo; and the format of every lesson in tutorials/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileLine, formatDiff, matchOutput, outputLines } from '../../tutorials/runner/expect';
import { cgroupMountPoints, criuCheckReason, detectCriu, unescapeMountPath } from '../../tutorials/runner/host';
import { NAME_PREFIX } from '../../tutorials/runner/leaks';
import { hostMatches, lessonNumber, lintLesson, parseLesson, parseMarks, tokenizeMarks } from '../../tutorials/runner/lesson';
import { hostFactsFor, parseArgs, skipReason } from '../../tutorials/runner/main';
import { LessonSession, shellQuote } from '../../tutorials/runner/session';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fence = '```';

describe('marks', () => {
  it('splits bare words, name=value and quoted values', () => {
    expect(tokenizeMarks('root only=cgroup-v1 expect-fail="mount is \\"refused\\"" timeout=5')).toEqual([
      { name: 'root' },
      { name: 'only', value: 'cgroup-v1' },
      { name: 'expect-fail', value: 'mount is "refused"' },
      { name: 'timeout', value: '5' },
    ]);
  });

  it('parses every mark', () => {
    const m = parseMarks('root solution only=cgroup-v2,!cgroup-hybrid pending="needs X" timeout=60');
    expect(m.root).toBe(true);
    expect(m.solution).toBe(true);
    expect(m.only).toEqual([{ tag: 'cgroup-v2', negated: false }, { tag: 'cgroup-hybrid', negated: true }]);
    expect(m.pending).toBe('needs X');
    expect(m.timeoutSeconds).toBe(60);
  });

  it('refuses typos and bad values with a message an author can act on', () => {
    expect(() => parseMarks('expect-failure="x"')).toThrow(/unknown mark "expect-failure"/);
    expect(() => parseMarks('only=cgroup-v3')).toThrow(/unknown host tag "cgroup-v3"/);
    expect(() => parseMarks('timeout=0')).toThrow(/timeout must be/);
    expect(() => parseMarks('expect-fail')).toThrow(/needs a value/);
    expect(() => parseMarks('root=yes')).toThrow(/takes no value/);
    expect(() => parseMarks('pending="open')).toThrow(/unterminated/);
  });

  it('merges lesson-wide marks under step marks', () => {
    const base = parseMarks('root');
    const m = parseMarks('only=cgroup-v1', base);
    expect(m.root).toBe(true);
    expect(m.only).toHaveLength(1);
    expect(base.only).toHaveLength(0);
  });

  it('matches host tags: any term, with negation', () => {
    const hybrid = ['cgroup-v1', 'cgroup-hybrid'] as const;
    expect(hostMatches([], hybrid)).toBe(true);
    expect(hostMatches(parseMarks('only=cgroup-v1').only, hybrid)).toBe(true);
    expect(hostMatches(parseMarks('only=cgroup-v2').only, hybrid)).toBe(false);
    expect(hostMatches(parseMarks('only=!cgroup-hybrid').only, hybrid)).toBe(false);
    expect(hostMatches(parseMarks('only=!cgroup-hybrid').only, ['cgroup-v2'])).toBe(true);
    expect(hostMatches(parseMarks('only=cgroup-v2,cgroup-hybrid').only, hybrid)).toBe(true);
  });

  it('knows the criu tag: a step for hosts where CRIU works, and its negation', () => {
    expect(parseMarks('only=criu').only).toEqual([{ tag: 'criu', negated: false }]);
    expect(parseMarks('only=!criu').only).toEqual([{ tag: 'criu', negated: true }]);
    const withCriu = ['cgroup-v2', 'criu'] as const;
    const without = ['cgroup-v1', 'cgroup-hybrid'] as const;
    expect(hostMatches(parseMarks('only=criu').only, withCriu)).toBe(true);
    expect(hostMatches(parseMarks('only=criu').only, without)).toBe(false);
    expect(hostMatches(parseMarks('only=!criu').only, without)).toBe(true);
    expect(hostMatches(parseMarks('only=!criu').only, withCriu)).toBe(false);
    expect(() => parseMarks('only=criu-works')).toThrow(/unknown host tag "criu-works" .*criu/);
  });
});

describe('parsing a lesson', () => {
  const text = [
    '# Lesson 9: a test',
    '<!-- lesson: root -->',
    '## Goal', 'Learn.',
    '## Steps',
    '### First', `${fence}sh`, 'echo one', fence, '', `${fence}output`, 'one', fence,
    `${fence}sh only=cgroup-v2`, 'echo v2', fence,
    'Some prose.',
    `${fence}output`, 'orphan', fence,
    '### Second', `${fence}json`, '{"not": "a step"}', fence,
    `${fence}sh expect-fail="it fails"`, 'false', fence,
    `${fence}sh no-run`, 'rm -rf /', fence,
    '  ```sh', '  echo indented', '  ```',
    '## What to notice', 'x',
    '## Exercise',
    `${fence}sh solution`, 'touch done', fence,
    '### Check', `${fence}sh`, 'ls done', fence, `${fence}output`, '', fence,
    '## Cleanup', `${fence}sh`, 'rm -f done', fence,
  ].join('\n');
  const lesson = parseLesson(text, 'tutorials/09-a-test.md');

  it('finds the title, number, sections and steps in order', () => {
    expect(lesson.title).toBe('Lesson 9: a test');
    expect(lesson.number).toBe(9);
    expect(lesson.sections).toEqual(['Goal', 'Steps', 'What to notice', 'Exercise', 'Cleanup']);
    expect(lesson.steps.map((s) => [s.id, s.kind, s.title])).toEqual([
      ['1', 'step', 'First'],
      ['2', 'step', 'First (2)'],
      ['3', 'step', 'Second'],
      ['4', 'step', 'Second (2)'],
      ['5', 'solution', 'Exercise'],
      ['6', 'check', 'Check'],
    ]);
    expect(lesson.cleanup.map((s) => [s.id, s.script])).toEqual([['cleanup 1', 'rm -f done\n']]);
  });

  it('attaches output blocks, keeps "not compared" apart from "prints nothing"', () => {
    expect(lesson.steps[0].expected).toEqual(['one']);
    expect(lesson.steps[1].expected).toBeUndefined();
    expect(lesson.steps[5].expected).toEqual(['']);
  });

  it('applies lesson marks and step marks; strips the fence indentation', () => {
    expect(lesson.steps.every((s) => s.marks.root)).toBe(true);
    expect(lesson.steps[1].marks.only).toEqual([{ tag: 'cgroup-v2', negated: false }]);
    expect(lesson.steps[2].marks.expectFail).toBe('it fails');
    expect(lesson.steps[3].script).toBe('echo indented\n');
  });

  it('reports an output block that follows prose, not a step', () => {
    expect(lesson.errors).toEqual(['tutorials/09-a-test.md:18: an output block must directly follow a sh block (only blank lines between)']);
  });

  it('lints the structure every lesson needs', () => {
    const bare = parseLesson(['# T', '## Steps', `${fence}sh`, 'true', fence].join('\n'), 'tutorials/07-x.md');
    const problems = lintLesson(bare).join('\n');
    for (const want of ['"## Goal"', '"## What to notice"', '"## Exercise"', '"## Cleanup"', 'no reference solution', 'no check']) {
      expect(problems).toContain(want);
    }
    expect(lintLesson(parseLesson(text, 'tutorials/09-a-test.md'))).toEqual(lesson.errors);
  });

  it('reads the lesson number from the file name', () => {
    expect(lessonNumber('/x/tutorials/03-the-lifecycle.md')).toBe(3);
    expect(Number.isNaN(lessonNumber('README.md'))).toBe(true);
  });
});

describe('matching output', () => {
  it('turns placeholders into patterns and keeps the rest literal', () => {
    expect(compileLine('pid: <pid> at <time>').test('pid: 4242 at 2026-11-23T10:55:03.87919262Z')).toBe(true);
    expect(compileLine('pid: <pid>').test('pid: abc')).toBe(false);
    expect(compileLine('a.b (c) [d] <none>').test('a.b (c) [d] <none>')).toBe(true);
    expect(compileLine('a.b').test('axb')).toBe(false);
    expect(compileLine('<scratch>/bundle', { scratch: '/tmp/s.1' }).test('/tmp/s.1/bundle')).toBe(true);
    expect(compileLine('<scratch>/bundle', { scratch: '/tmp/s.1' }).test('/tmp/sx1/bundle')).toBe(false);
    expect(compileLine('<n> <id> <word> <path>').test('-4.5 tut-life.1 x=y /run/x')).toBe(true);
    // Spaces around a placeholder are literal: "x <any> y" needs something between two spaces.
    expect(matchOutput(['x <any> y'], 'x   y').ok).toBe(false);
    expect(matchOutput(['x<any>y'], 'x y').ok).toBe(true);
  });

  it('ignores spacing and surrounding blank lines', () => {
    expect(outputLines('\n  PID   COMMAND \n\t1 sh\n\n')).toEqual(['PID COMMAND', '1 sh']);
    expect(matchOutput(['CapEff: <hex>'], 'CapEff:\t000001fffeffffff\n').ok).toBe(true);
    expect(matchOutput(['PID COMMAND', '1 sh'], '    PID COMMAND\n      1 sh\n').ok).toBe(true);
  });

  it('lets "..." stand for any number of lines', () => {
    expect(matchOutput(['a', '...', 'z'], 'a\nz').ok).toBe(true);
    expect(matchOutput(['a', '...', 'z'], 'a\nb\nc\nz').ok).toBe(true);
    expect(matchOutput(['...', 'memory', '...', 'pids', '...'], 'blkio\nmemory\npids\nsystemd').ok).toBe(true);
    expect(matchOutput(['...', 'pids', '...', 'memory', '...'], 'memory\npids').ok).toBe(false);
    expect(matchOutput(['...'], '').ok).toBe(true);
  });

  it('distinguishes "prints nothing" from output', () => {
    expect(matchOutput([''], '').ok).toBe(true);
    expect(matchOutput([], '\n\n').ok).toBe(true);
    expect(matchOutput([], 'surprise').ok).toBe(false);
  });

  it('shows a minimal diff: - expected, + got', () => {
    const r = matchOutput(['one', 'two <n>', 'three'], 'one\ntwo x\nthree\nfour');
    expect(r.ok).toBe(false);
    expect(formatDiff(r.diff)).toBe(['  one', '- two <n>', '+ two x', '  three', '+ four'].join('\n'));
  });

  it('keeps the diff short around long equal runs', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
    const actual = [...lines];
    actual[10] = 'changed';
    const text = formatDiff(matchOutput(lines, actual.join('\n')).diff, 1);
    expect(text).toBe(['  ...', '  line 9', '- line 10', '+ changed', '  line 11', '  ...'].join('\n'));
  });
});

describe('the command line', () => {
  it('takes options and lesson selectors', () => {
    expect(parseArgs(['--verbose', '3', 'tutorials/04-x.md', '--keep-going', '--run-pending', '--timeout-scale', '4'])).toEqual({
      list: false, verbose: true, keepGoing: true, runPending: true, timeoutScale: 4, selectors: ['3', 'tutorials/04-x.md'],
    });
  });
});

describe('a lesson session (bash per step, state carried over)', () => {
  it('keeps the working directory, variables, exports and functions from step to step', async () => {
    const s = new LessonSession(99, { PATH: process.env.PATH });
    try {
      const a = await s.runStep('greet() { echo "hi $1"; }\nplain="a b"\nexport SHOWN=1\narr=(x "y z")\nmkdir sub && cd sub\n', 10_000);
      expect(a.status).toBe(0);
      const b = await s.runStep('greet you; echo "$plain|$SHOWN|${arr[1]}|$(basename "$PWD")|$SCRATCH"; bash -c \'echo child sees $SHOWN\'\n', 10_000);
      expect(b.output).toBe(`hi you\na b|1|y z|sub|${s.scratch}\nchild sees 1\n`);
      const c = await s.runStep('late=2; echo out; echo err >&2; exit 3\n', 10_000);
      expect([c.status, c.output]).toEqual([3, 'out\nerr\n']);
      expect((await s.runStep('echo $late\n', 10_000)).output).toBe('2\n');
      const d = await s.runStep('sleep 5\n', 300);
      expect([d.timedOut, d.status]).toEqual([true, null]);
    } finally {
      fs.rmSync(s.root, { recursive: true, force: true });
    }
  });

  it('quotes for the shell', () => {
    expect(shellQuote("it's /tmp/a b")).toBe(`'it'\\''s /tmp/a b'`);
  });
});

describe('host detection', () => {
  it('finds cgroup mounts in mountinfo, unescaping paths', () => {
    const mountinfo = [
      '25 30 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755',
      '26 25 0:23 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
      '27 25 0:24 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      '28 30 0:25 / /mnt/with\\040space rw - ext4 /dev/vda rw',
    ].join('\n');
    expect(cgroupMountPoints(mountinfo)).toEqual([
      { point: '/sys/fs/cgroup/unified', type: 'cgroup2' },
      { point: '/sys/fs/cgroup/memory', type: 'cgroup' },
    ]);
    expect(unescapeMountPath('/mnt/with\\040space')).toBe('/mnt/with space');
  });

  // What CRIU 3.17 prints on a 6.18 kernel (this project's hosts).
  const vdsoFailure = [
    'Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds',
    'Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable',
    'Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.',
    'Error (criu/crtools.c:260): Could not initialize kernel features detection.',
  ].join('\n');

  it('takes CRIU\'s reason from criu check: the first error, without the source position', () => {
    expect(criuCheckReason(vdsoFailure)).toBe('vdso: Unexpected rt vDSO area bounds');
    expect(criuCheckReason('Warn  (criu/cr-check.c:1230): something\nError (criu/util.c:12): no way\n')).toBe('no way');
    expect(criuCheckReason('\nsomething else went wrong\n')).toBe('something else went wrong');
  });

  it('tags a host criu only when criu check exits 0', () => {
    expect(detectCriu(() => ({ status: 0, output: 'Looks good.\n', missing: false }))).toEqual({ works: true, why: 'criu check passes' });
    expect(detectCriu(() => ({ status: 1, output: vdsoFailure, missing: false }))).toEqual({ works: false, why: 'criu check fails: vdso: Unexpected rt vDSO area bounds' });
    expect(detectCriu(() => ({ status: null, output: '', missing: true }))).toEqual({ works: false, why: 'criu is not installed (not on PATH)' });
  });

  it('says why a criu step skips, with CRIU\'s reason', () => {
    const host = { tags: ['cgroup-v1', 'cgroup-hybrid'] as ('cgroup-v1' | 'cgroup-hybrid')[], root: true, cgroups: 'cgroup v1 hybrid, cgroup2 at /sys/fs/cgroup/unified', cgroupMounts: [], criu: 'criu check fails: vdso: Unexpected rt vDSO area bounds' };
    const step = parseLesson(`# t\n\n${fence}sh only=criu\ntrue\n${fence}\n`, 'tutorials/99-t.md').steps[0];
    expect(skipReason(step, host)).toBe('only on hosts where criu check passes (this host: criu check fails: vdso: Unexpected rt vDSO area bounds)');
    const v2 = parseLesson(`# t\n\n${fence}sh only=cgroup-v2\ntrue\n${fence}\n`, 'tutorials/99-t.md').steps[0];
    expect(skipReason(v2, host)).toBe('only on cgroup-v2 (this host: cgroup v1 hybrid, cgroup2 at /sys/fs/cgroup/unified)');
    expect(skipReason(parseLesson(`# t\n\n${fence}sh only=!criu\ntrue\n${fence}\n`, 'tutorials/99-t.md').steps[0], host)).toBeUndefined();
    expect(hostFactsFor(parseMarks('only=criu,cgroup-v2').only, host)).toBe('cgroup v1 hybrid, cgroup2 at /sys/fs/cgroup/unified; criu check fails: vdso: Unexpected rt vDSO area bounds');
  });
});

describe('the lessons in tutorials/', () => {
  const dir = path.join(repo, 'tutorials');
  const files = fs.readdirSync(dir).filter((f) => /^\d+-.*\.md$/.test(f));

  it('are all linked from the course outline in tutorials/README.md', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    for (const f of files) expect(readme).toContain(`(${f})`);
  });

  for (const f of files) {
    it(`${f} has the lesson structure and valid marks`, () => {
      const lesson = parseLesson(fs.readFileSync(path.join(dir, f), 'utf8'), path.join('tutorials', f));
      expect(lintLesson(lesson)).toEqual([]);
      // Everything a lesson creates is named tut-* so that the leak check can find it.
      for (const s of lesson.steps) {
        for (const id of createdContainerIds(s.script)) {
          expect(id.startsWith(NAME_PREFIX), `${f}:${s.line}: container ${id} must be named ${NAME_PREFIX}...`).toBe(true);
        }
      }
    });
  }
});

/** runc's create/run options that take a value (the id is the first word that is neither). */
const VALUE_FLAGS = new Set(['-b', '--bundle', '--pid-file', '--console-socket', '--preserve-fds', '--pidfd-socket']);

/** The container ids of every `strata-runtime|runc|crun [global flags] run|create ... ID` in a step. */
function createdContainerIds(script: string): string[] {
  const ids: string[] = [];
  for (const m of script.matchAll(/\b(?:strata-runtime|runc|crun)\b((?:\s+--?[a-z-]+(?:[= ][^\s-]\S*)?)*)\s+(?:run|create)((?:\s+[^\s;|&]+)+)/g)) {
    const words = m[2].trim().split(/\s+/);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w === '\\') continue; // a line continuation
      if (w.startsWith('-')) { if (VALUE_FLAGS.has(w)) i++; continue; }
      ids.push(w);
      break;
    }
  }
  return ids;
}

describe('createdContainerIds (the lessons\' naming check)', () => {
  it('skips flags, and the values of the flags that take one', () => {
    expect(createdContainerIds('strata-runtime run -d tut-a')).toEqual(['tut-a']);
    expect(createdContainerIds('runc --root /run/x create --bundle b --pid-file p tut-b &')).toEqual(['tut-b']);
    expect(createdContainerIds('crun run -b "$B" --detach x; runc state x')).toEqual(['x']);
    expect(createdContainerIds('strata-runtime --log-format json run \\\n  -b b tut-d')).toEqual(['tut-d']);
    expect(createdContainerIds('strata-runtime state tut-c')).toEqual([]);
  });
});

