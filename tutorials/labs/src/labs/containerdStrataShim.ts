// Lab 3: make the real containerd run a container through Strata's shim. The lab starts a private
// containerd (its own root, state and socket in the lab directory) with the busybox image in the
// namespace "lab"; the student must find how containerd picks a shim (the runtime name) and run a
// container "web" with it. The check looks at the process tree: the task's parent must be
// containerd-shim-strata-v2.
import fs from 'node:fs';
import path from 'node:path';
import { check, run, sh, type Lab, type LabContext } from '../lab';

const ctr = (ctx: LabContext, args: string[]) => run('ctr', ['-a', path.join(ctx.dir, 'containerd.sock'), '-n', 'lab', ...args]);

function startContainerd(ctx: LabContext): void {
  const conf = path.join(ctx.dir, 'containerd.toml');
  fs.writeFileSync(
    conf,
    [
      'version = 2',
      `root = "${ctx.dir}/containerd/root"`,
      `state = "${ctx.dir}/containerd/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${ctx.dir}/containerd.sock"`,
    ].join('\n') + '\n',
  );
  // setsid + nohup: the daemon must outlive `strata lab start` (the student's shell keeps going).
  sh(`setsid nohup containerd --config "${conf}" > "${ctx.dir}/containerd.log" 2>&1 < /dev/null & echo $! > "${ctx.dir}/containerd.pid"`);
  for (let i = 0; i < 100 && ctr(ctx, ['version']).status !== 0; i++) sh('sleep 0.1');
  if (ctr(ctx, ['version']).status !== 0) throw new Error(`containerd did not start: see ${ctx.dir}/containerd.log`);
  const imp = ctr(ctx, ['images', 'import', '/var/lib/strata/images/busybox.oci.tar']);
  if (imp.status !== 0) throw new Error(`cannot import the default image (npm run setup first): ${imp.stderr}`);
}

export const containerdStrataShim: Lab = {
  id: 3,
  slug: 'containerd-strata-shim',
  title: "Make containerd use Strata's shim",
  layer: 'containerd-shim-strata-v2 under the real containerd',
  lesson: 'tutorials/06-the-shim.md',
  minutes: 20,
  task: `A private containerd is running for this lab (socket ./containerd.sock, namespace "lab",
image strata.local/busybox:latest already imported). Talk to it with:

    ctr -a ./containerd.sock -n lab ...

Make it run a long-running container named "web" (e.g. sleep 100000) whose task is run by
Strata's shim, containerd-shim-strata-v2 — not by runc's shim. Leave it running and run
\`strata lab check 3\`.`,
  needs: ['containerd', 'ctr', 'containerd-shim-strata-v2'],
  start(ctx) {
    startContainerd(ctx);
  },
  check(ctx) {
    if (ctr(ctx, ['version']).status !== 0) return [check("the lab's containerd answers", false, 'It is not running: `strata lab reset 3` then `strata lab start 3`.')];
    const tasks = ctr(ctx, ['tasks', 'ls']).stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/));
    const web = tasks.find((t) => t[0] === 'web');
    const results = [
      check('a container "web" exists', ctr(ctx, ['containers', 'ls', '-q']).stdout.split('\n').includes('web'), 'Create it with `ctr ... run -d IMAGE web COMMAND` (see `ctr run --help`).'),
      check('its task is RUNNING', web?.[2] === 'RUNNING', web ? `Its task is ${web[2]}: give it a command that keeps running, e.g. sleep 100000.` : 'The container has no task: `ctr run -d` starts one (or `ctr task start -d web`).'),
    ];
    if (web?.[2] === 'RUNNING') {
      const pid = Number(web[1]);
      let shim = '';
      try {
        const ppid = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1];
        shim = fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        /* gone */
      }
      const name = /containerd-shim-[\w-]+/.exec(shim)?.[0] ?? 'an unknown process';
      results.push(check("the task's parent is containerd-shim-strata-v2", name === 'containerd-shim-strata-v2', `The task runs under ${name}. containerd chooses the shim from the container's runtime name: see --runtime in \`ctr run --help\`, and remove web first (ctr task kill, ctr task rm, ctr container rm).`));
    }
    return results;
  },
  hints: [
    'containerd does not know shims by path: each container has a *runtime name*, and containerd turns it into a binary name.',
    'The rule: io.containerd.NAME.vN  ->  containerd-shim-NAME-vN, looked up on PATH. Which name gives containerd-shim-strata-v2?',
    'ctr -a ./containerd.sock -n lab run -d --runtime io.containerd.strata.v2 strata.local/busybox:latest web sleep 100000',
  ],
  solution: `ctr -a ./containerd.sock -n lab run -d --runtime io.containerd.strata.v2 strata.local/busybox:latest web sleep 100000`,
  reset(ctx) {
    if (fs.existsSync(path.join(ctx.dir, 'containerd.sock'))) {
      for (const id of ctr(ctx, ['tasks', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(ctx, ['tasks', 'kill', '-s', 'SIGKILL', id]);
      sh('sleep 0.5');
      for (const id of ctr(ctx, ['tasks', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(ctx, ['tasks', 'rm', '-f', id]);
      for (const id of ctr(ctx, ['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) ctr(ctx, ['containers', 'rm', id]);
    }
    const pidFile = path.join(ctx.dir, 'containerd.pid');
    if (fs.existsSync(pidFile)) {
      sh(`kill "$(cat '${pidFile}')" 2>/dev/null; for i in $(seq 50); do kill -0 "$(cat '${pidFile}')" 2>/dev/null || break; sleep 0.1; done`);
    }
    sh(`grep -o ' ${ctx.dir}/[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null; for d in /sys/fs/cgroup/*/lab /sys/fs/cgroup/lab; do rmdir "$d"/* "$d" 2>/dev/null; done; true`);
  },
};
