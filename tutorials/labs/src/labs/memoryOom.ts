// Lab 2: a memory limit and the OOM killer. The bundle's process allocates memory without end;
// the student caps the container at 32 MiB (linux.resources.memory.limit, config-linux.md) and
// records the exit status the kernel's OOM kill produces (137 = 128 + SIGKILL).
import fs from 'node:fs';
import path from 'node:path';
import { check, readJson, type Lab } from '../lab';
import { cleanupRuntime, makeBundle, runWithArgs } from '../bundle';

const MiB32 = 32 * 1024 * 1024;

export const memoryOom: Lab = {
  id: 2,
  slug: 'memory-oom',
  title: 'Cap a container at 32 MiB of memory and observe the OOM kill',
  layer: 'strata-runtime and the kernel (cgroups)',
  lesson: 'tutorials/05-cgroup-limits-oom-freezer.md',
  minutes: 15,
  task: `The bundle in ./bundle runs a process that eats memory until something stops it
(\`tail /dev/zero\` keeps one ever-growing "line" in memory). Do not run it yet!

1. In bundle/config.json, limit the container's memory to exactly 32 MiB.
2. Run it: strata-runtime run -b bundle lab2
3. Write the exit status you got (a number) into ./answer.txt.
Then run \`strata lab check 2\`.`,
  needs: ['strata-runtime'],
  start(ctx) {
    makeBundle(ctx.dir, ctx.tag, (c) => {
      c.process.args = ['tail', '/dev/zero'];
      delete c.linux.resources?.memory;
    });
  },
  check(ctx) {
    const { value: config, error } = readJson(path.join(ctx.dir, 'bundle/config.json'));
    if (!config) return [check('bundle/config.json is readable JSON', false, `${error}: fix it (or \`strata lab reset 2\`)`)];
    const limit = config.linux?.resources?.memory?.limit;
    const results = [
      check('config.json sets a memory limit', typeof limit === 'number', 'Limits live under linux.resources; memory has its own object there.'),
    ];
    if (typeof limit === 'number') {
      results.push(check('the limit is 32 MiB', limit === MiB32, `The limit is in bytes: ${limit} is ${(limit / 1024 / 1024).toFixed(2)} MiB. 32 MiB = 32 * 1024 * 1024.`));
    }
    let answer = '';
    try {
      answer = fs.readFileSync(path.join(ctx.dir, 'answer.txt'), 'utf8').trim();
    } catch {
      /* missing */
    }
    results.push(check('answer.txt holds the exit status you saw', answer === '137', answer ? `${answer} is not what the kernel's OOM kill gives. Run the container again and print $? right after it.` : 'Write the exit status (echo $? right after the run) into answer.txt.'));
    if (results[0].ok && results[1]?.ok) {
      const r = runWithArgs(ctx.dir, ctx.tag, ['tail', '/dev/zero'], 60_000);
      results.push(check('the container is killed by the OOM killer (status 137)', r.status === 137, `The check's own run ended with status ${r.status}: ${(r.error ?? r.stderr).trim().split('\n').pop() ?? ''}`));
    }
    return results;
  },
  hints: [
    'Memory limits are cgroup limits, and the OCI config has a place for cgroup limits: linux.resources.',
    'linux.resources.memory.limit, in bytes.',
    'Set "memory": {"limit": 33554432} under linux.resources; a process killed by SIGKILL shows as 128 + 9.',
  ],
  solution: `jq '.linux.resources.memory = {"limit": 33554432}' bundle/config.json > bundle/config.new && mv bundle/config.new bundle/config.json
strata-runtime run -b bundle lab2; echo $? > answer.txt`,
  reset(ctx) {
    cleanupRuntime(ctx.tag, ['lab2']);
  },
};
