// strata-lab (also `strata lab`): classroom labs that check themselves.
//   list | start N | check N | hint N | reset N | solution N (instructors)
// Exit status: 0 ok (check: the lab passed), 1 the check found something to fix, 2 usage or
// set-up error.
import fs from 'node:fs';
import path from 'node:path';
import { run } from './lab';
import { LABS } from './labs';
import { contextOf, labHome, loadState, updateState } from './state';

const USAGE = `Usage: strata lab COMMAND [N]

Classroom labs: a task on the container stack, checked automatically, with hints.

Commands:
  list          the labs, their time and your progress
  start N       prepare lab N in ${labHome()}/NN-name and show its task
  check N       check your work (exit 0 when the lab is passed)
  hint N        the next hint (each call shows one more)
  reset N       remove everything lab N (and you) created; start again with start N
  solution N    the reference solution (for instructors)

Environment: STRATA_LAB_HOME (default ~/strata-labs). Labs need root and no internet.`;

const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const red = (s: string) => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);

function fail(msg: string, code = 2): never {
  process.stderr.write(`strata lab: ${msg}\n`);
  process.exit(code);
}

function labArg(arg: string | undefined) {
  if (!arg) fail(`which lab? (a number: see \`strata lab list\`)`);
  const lab = LABS.find((l) => String(l.id) === arg || l.slug === arg);
  if (!lab) fail(`no lab ${JSON.stringify(arg)} (labs: ${LABS.map((l) => l.id).join(', ')})`);
  return lab;
}

function missingTools(needs: string[]): string[] {
  return needs.filter((t) => run('sh', ['-c', `command -v ${t}`]).status !== 0);
}

export function main(argv: string[]): number {
  const [cmd, arg] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return cmd ? 0 : 2;
  }
  if (cmd === 'list') {
    const state = loadState();
    process.stdout.write(`${'LAB'.padEnd(4)}${'MIN'.padEnd(5)}${'STATUS'.padEnd(13)}TITLE\n`);
    for (const l of LABS) {
      const s = state[l.id];
      const status = s?.passed ? 'passed' : s?.started ? 'started' : '-';
      process.stdout.write(`${String(l.id).padEnd(4)}${String(l.minutes).padEnd(5)}${status.padEnd(13)}${l.title}\n`);
    }
    return 0;
  }
  if (!['start', 'check', 'hint', 'reset', 'solution'].includes(cmd)) fail(`unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
  const lab = labArg(arg);
  const ctx = contextOf(lab);
  if (cmd === 'solution') {
    process.stdout.write(`# lab ${lab.id}: ${lab.title} — run in ${ctx.dir}\n${lab.solution}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) fail('labs need root (they create namespaces, cgroups and mounts)');
  if (cmd === 'reset') {
    lab.reset(ctx);
    fs.rmSync(ctx.dir, { recursive: true, force: true });
    updateState(lab.id, () => undefined);
    process.stdout.write(`lab ${lab.id} reset: ${ctx.dir} removed. Start again with: strata lab start ${lab.id}\n`);
    return 0;
  }
  if (cmd === 'start') {
    const missing = missingTools(lab.needs);
    if (missing.length) fail(`lab ${lab.id} needs ${missing.join(', ')} on PATH (run npm run setup in the Strata repository)`);
    if (fs.existsSync(ctx.dir)) fail(`lab ${lab.id} is already started in ${ctx.dir} (\`strata lab reset ${lab.id}\` to start over)`);
    fs.mkdirSync(ctx.dir, { recursive: true });
    try {
      lab.start(ctx);
    } catch (e) {
      lab.reset(ctx);
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      fail(`cannot start lab ${lab.id}: ${(e as Error).message}`);
    }
    const text = `Lab ${lab.id}: ${lab.title}\n\n${lab.task}\n\nRead first: ${lab.lesson}\nStuck? strata lab hint ${lab.id}\n`;
    fs.writeFileSync(path.join(ctx.dir, 'TASK.txt'), text);
    updateState(lab.id, () => ({ started: new Date().toISOString() }));
    process.stdout.write(`${text}\nYour lab directory: ${ctx.dir}\n  cd ${ctx.dir}\n`);
    return 0;
  }
  if (!fs.existsSync(ctx.dir)) fail(`lab ${lab.id} is not started: strata lab start ${lab.id}`);
  if (cmd === 'hint') {
    let shown = 0;
    updateState(lab.id, (s) => {
      shown = Math.min((s.hintsShown ?? 0) + 1, lab.hints.length);
      return { ...s, hintsShown: shown };
    });
    process.stdout.write(`hint ${shown}/${lab.hints.length}: ${lab.hints[shown - 1]}\n`);
    if (shown === lab.hints.length) process.stdout.write('(that was the last hint)\n');
    return 0;
  }
  // check
  const results = lab.check(ctx);
  for (const r of results) {
    process.stdout.write(`${r.ok ? green('✓') : red('✗')} ${r.what}\n`);
    if (!r.ok && r.hint) process.stdout.write(`    → ${r.hint}\n`);
  }
  const passed = results.length > 0 && results.every((r) => r.ok);
  if (passed) {
    updateState(lab.id, (s) => ({ ...s, passed: new Date().toISOString() }));
    process.stdout.write(`\nLab ${lab.id} passed. \`strata lab reset ${lab.id}\` cleans up.\n`);
    return 0;
  }
  process.stdout.write(`\nNot yet. Fix the first ✗ and check again (more help: strata lab hint ${lab.id}).\n`);
  return 1;
}
