// Lab 4: a fork bomb made harmless by the pids cgroup controller (linux.resources.pids.limit).
import path from 'node:path';
import { check, readJson, type Lab } from '../lab';
import { cleanupRuntime, makeBundle, runWithArgs } from '../bundle';

export const pidsLimit: Lab = {
  id: 4,
  slug: 'pids-limit',
  title: 'Stop a fork bomb: at most 10 processes in the container',
  layer: 'strata-runtime and the kernel (cgroups)',
  lesson: 'tutorials/05-cgroup-limits-oom-freezer.md',
  minutes: 10,
  task: `The bundle in ./bundle starts 50 background processes. Change bundle/config.json so that
the container can never have more than 10 processes at once (the rest must fail to start).
Then run \`strata lab check 4\`.`,
  needs: ['strata-runtime'],
  start(ctx) {
    makeBundle(ctx.dir, ctx.tag, (c) => {
c.process.args = ['sh', '-c', 'for i in $(seq 50); do sleep 2 & done; echo "started 50 processes"'];
      delete c.linux.resources?.pids;
    });
  },
  check(ctx) {
    const { value: config, error } = readJson(path.join(ctx.dir, 'bundle/config.json'));
    if (!config) return [check('bundle/config.json is readable JSON', false, `${error}: fix it (or \`strata lab reset 4\`)`)];
    const limit = config.linux?.resources?.pids?.limit;
    const results = [
      check('config.json limits the number of processes', typeof limit === 'number' && limit > 0, 'Which cgroup controller counts processes? Its limit goes under linux.resources.'),
    ];
    if (typeof limit === 'number' && limit > 0) results.push(check('the limit is at most 10', limit <= 10, `${limit} is more than 10.`));
    if (results.every((r) => r.ok)) {
      // Inside: the limit as the container's own cgroup shows it (v1: pids/pids.max, v2:
      // pids.max), then a loop of forks that must hit it (busybox sh stops at the first failed
      // fork: "can't fork").
      const r = runWithArgs(ctx.dir, ctx.tag, ['sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max; for i in $(seq 30); do sleep 2 & done; echo "forked 30"']);
      const seen = r.stdout.trim().split('\n')[0];
      results.push(check(`inside, the container's cgroup says pids.max = ${seen || '?'}`, seen === String(limit), `The check could not read the limit inside: ${(r.error ?? r.stderr).trim().split('\n').pop() ?? ''}`));
      results.push(check('inside, a fork bomb of 30 processes fails ("can\'t fork")', !r.stdout.includes('forked 30') && /can't fork/.test(r.stderr), 'All 30 processes started: the limit is not applied.'));
    }
    return results;
  },
  hints: ['The "pids" cgroup controller limits how many tasks a cgroup may hold.', 'linux.resources.pids.limit', 'Set "pids": {"limit": 10} under linux.resources in bundle/config.json.'],
  solution: `jq '.linux.resources.pids = {"limit": 10}' bundle/config.json > bundle/config.new && mv bundle/config.new bundle/config.json`,
  reset(ctx) {
    cleanupRuntime(ctx.tag, ['lab4']);
  },
};
