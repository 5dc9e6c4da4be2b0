// Lab 1: a container that sees every process of the host, because its config has no PID
// namespace. The fix is one entry in linux.namespaces (runtime-spec config-linux.md, namespaces);
// the check counts the processes visible in /proc from inside.
import path from 'node:path';
import { check, readJson, type Lab } from '../lab';
import { cleanupRuntime, makeBundle, runWithArgs } from '../bundle';

export const hideHostProcesses: Lab = {
  id: 1,
  slug: 'hide-host-processes',
  title: 'Make a container unable to see host processes',
  layer: 'strata-runtime (OCI runtime-spec)',
  lesson: 'tutorials/01-namespaces-and-cgroups.md, tutorials/02-an-oci-bundle.md',
  minutes: 15,
  task: `The bundle in ./bundle runs \`ps\`. Try it:

    strata-runtime run -b bundle lab1

It lists the processes of the whole machine. Change bundle/config.json (only the config) so
that a container made from it sees only its own processes. Then run \`strata lab check 1\`.`,
  needs: ['strata-runtime'],
  start(ctx) {
    makeBundle(ctx.dir, ctx.tag, (c) => {
      c.process.args = ['ps'];
      c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
    });
  },
  check(ctx) {
    const { value: config, error } = readJson(path.join(ctx.dir, 'bundle/config.json'));
    if (!config) return [check('bundle/config.json is readable JSON', false, `${error}: fix the file (or \`strata lab reset 1\` to start over)`)];
    const ns: { type: string; path?: string }[] = config.linux?.namespaces ?? [];
    const pid = ns.find((n) => n.type === 'pid');
    const results = [
      check('config.json asks for a PID namespace', !!pid, 'Which kind of namespace decides which processes a process can see? Look at linux.namespaces.'),
    ];
    if (pid) results.push(check('the PID namespace is a new one (no "path")', !pid.path, 'A "path" joins an existing namespace (here: someone else\'s). Remove it to get a new one.'));
    const procMount = (config.mounts ?? []).find((m: { destination: string }) => m.destination === '/proc');
    results.push(check('/proc is mounted in the container', !!procMount && procMount.type === 'proc', 'ps reads /proc. Keep a mount of type "proc" at /proc: a new PID namespace needs its own /proc.'));
    if (results.every((r) => r.ok)) {
      const r = runWithArgs(ctx.dir, ctx.tag, ['sh', '-c', 'ls -d /proc/[0-9]* | wc -l']);
      const visible = Number(r.stdout.trim());
      results.push(check('the container runs', r.status === 0, `strata-runtime refused the config: ${(r.error ?? r.stderr).trim().split('\n').pop()}`));
      if (r.status === 0) results.push(check(`inside, /proc shows only the container's processes (saw ${visible})`, visible > 0 && visible <= 3, 'Still many processes visible: is the namespace really new, and /proc mounted fresh?'));
    }
    return results;
  },
  hints: [
    'Namespaces decide what a process can see. `man 7 namespaces` lists them; one of them is about process IDs.',
    'Compare the "namespaces" list of bundle/config.json with the one `strata-runtime spec` writes in an empty directory.',
    'Add {"type": "pid"} to linux.namespaces in bundle/config.json.',
  ],
  solution: `jq '.linux.namespaces += [{"type": "pid"}]' bundle/config.json > bundle/config.new && mv bundle/config.new bundle/config.json`,
  reset(ctx) {
    cleanupRuntime(ctx.tag, ['lab1']);
  },
};
