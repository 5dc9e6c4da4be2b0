#!/usr/bin/env node
// npm run bench:runtime — strata-runtime vs runc vs crun on the same bundle, in one run:
//   run of /bin/true, create+start+delete, exec latency, peak RSS of `run`.
// Prints medians and ratios against runc. A benchmark, not a test: it never fails on numbers.
// crun runs through the hybrid-cgroup wrapper of facts-machine.md when the host is hybrid.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_RUNS ?? 20);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-'));
const has = (b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0;
const hybrid = fs.existsSync('/sys/fs/cgroup/unified') && fs.existsSync('/sys/fs/cgroup/memory');

function wrapper() {
  const w = path.join(dir, 'crun-hybrid');
  fs.writeFileSync(w, `#!/bin/sh\nexec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"\n`, { mode: 0o755 });
  return w;
}

const runtimes = [{ name: 'strata-runtime', bin: path.join(repo, 'layers/runtime/dist/strata-runtime.mjs') }];
if (has('runc')) runtimes.push({ name: 'runc', bin: 'runc' });
if (has('crun')) runtimes.push({ name: 'crun', bin: hybrid ? wrapper() : 'crun' });

// One bundle: busybox rootfs, /bin/true, no terminal.
const bundle = path.join(dir, 'bundle');
spawnSync('bash', [path.join(repo, 'scripts/busybox-rootfs.sh'), path.join(bundle, 'rootfs')], { stdio: 'inherit' });
spawnSync('runc', ['spec', '--bundle', bundle]);
const cfg = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
cfg.process.terminal = false;
cfg.process.args = ['/bin/true'];
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(cfg));
const sleepBundle = path.join(dir, 'sleep');
fs.mkdirSync(sleepBundle);
fs.writeFileSync(path.join(sleepBundle, 'config.json'), JSON.stringify({ ...cfg, root: { path: path.join(bundle, 'rootfs'), readonly: true }, process: { ...cfg.process, args: ['sleep', '600'] } }));

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// stderr goes to a file, not a pipe: a created container inherits the runtime's stdio (runc
// semantics) and would keep a pipe open until it exits.
const errFile = path.join(dir, 'stderr');
function time(rt, args) {
  const fd = fs.openSync(errFile, 'w');
  const t = now();
  const r = spawnSync(rt.bin, ['--root', path.join(dir, `root-${rt.name}`), ...args], { env, stdio: ['ignore', 'ignore', fd] });
  const ms = now() - t;
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${rt.name} ${args.join(' ')}: ${fs.readFileSync(errFile, 'utf8')}`);
  return ms;
}

const results = {};
for (const rt of runtimes) {
  const res = (results[rt.name] = { run: [], lifecycle: [], exec: [], rssKb: 0 });
  for (let i = 0; i < N; i++) res.run.push(time(rt, ['run', '--bundle', bundle, `b-run-${i}`]));
  for (let i = 0; i < N; i++) {
    const id = `b-cycle-${i}`;
    const t = now();
    time(rt, ['create', '--bundle', bundle, id]);
    time(rt, ['start', id]);
    time(rt, ['delete', '--force', id]);
    res.lifecycle.push(now() - t);
  }
  time(rt, ['run', '--detach', '--bundle', sleepBundle, 'b-exec']);
  for (let i = 0; i < N; i++) res.exec.push(time(rt, ['exec', 'b-exec', '/bin/true']));
  time(rt, ['delete', '--force', 'b-exec']);
  const r = spawnSync('/usr/bin/time', ['-f', '%M', rt.bin, '--root', path.join(dir, `root-${rt.name}`), 'run', '--bundle', bundle, 'b-rss'], { env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  res.rssKb = Number((r.stderr.trim().split('\n').pop() ?? '0').trim()) || 0;
}

const base = results.runc;
const rows = [['runtime', 'run /bin/true', 'create+start+delete', 'exec', 'peak RSS (run)']];
for (const [name, r] of Object.entries(results)) {
  const cell = (k) => `${median(r[k]).toFixed(1)} ms${base ? ` (${(median(r[k]) / median(base[k])).toFixed(2)}x)` : ''}`;
  rows.push([name, cell('run'), cell('lifecycle'), cell('exec'), `${(r.rssKb / 1024).toFixed(1)} MiB`]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
console.log(`bench:runtime — medians of ${N} runs, ratios vs runc, ${os.cpus().length} cores, kernel ${os.release()}`);
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '));
fs.rmSync(dir, { recursive: true, force: true });
