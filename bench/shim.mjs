#!/usr/bin/env node
// npm run bench:shim — containerd-shim-strata-v2 vs containerd-shim-runc-v2 under one private
// containerd, in one run, same image, same engine (runc):
//   1. `ctr run --rm <image> /bin/true` latency (median of BENCH_RUNS), and with strata-runtime
//      as our shim's engine for reference;
//   2. shim RSS per idle container (`sleep`), BENCH_CONTAINERS containers: one shim per
//      container, and all of them grouped in one shim (io.containerd.runc.v2.group).
// Prints medians and ratios against the runc shim. A benchmark, not a test: it never fails on
// numbers. Targets from the shim issue: latency <= 1.5x, grouped RSS per container <= runc shim.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_RUNS ?? 15);
const K = Number(process.env.BENCH_CONTAINERS ?? 10);
const IMAGE = 'strata.local/busybox:latest';
const imageTar = '/var/lib/strata/images/busybox.oci.tar';
const shimBin = path.join(repo, 'layers/shim/dist/containerd-shim-strata-v2.mjs');
for (const f of [shimBin, imageTar]) if (!fs.existsSync(f)) throw new Error(`${f} missing: run npm run setup first`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-shim-'));
const sock = path.join(dir, 'containerd.sock');
const ns = `bench-${process.pid}`;
fs.mkdirSync(path.join(dir, 'bin'));
fs.symlinkSync(shimBin, path.join(dir, 'bin', 'containerd-shim-strata-v2'));
fs.writeFileSync(path.join(dir, 'runc.toml'), 'BinaryName = "runc"\n');
fs.writeFileSync(
  path.join(dir, 'config.toml'),
  `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${sock}"\n[ttrpc]\n  address = "${sock}.ttrpc"\n`,
);
const env = { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` };
delete env.NODE_EXTRA_CA_CERTS;
const containerd = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { env, stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'containerd.log'), 'a')] });

const ctr = (args, ok = true) => {
  const r = spawnSync('ctr', ['-a', sock, '-n', ns, ...args], { encoding: 'utf8', env, timeout: 60_000, killSignal: 'SIGKILL' });
  if (ok && r.status !== 0) throw new Error(`ctr ${args.join(' ')}: ${r.stderr}`);
  return r;
};
const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const shims = [
  { name: 'containerd-shim-runc-v2 (runc)', runtime: ['--runtime', 'io.containerd.runc.v2', '--runc-binary', 'runc'], match: 'containerd-shim-runc-v2' },
  { name: 'containerd-shim-strata-v2 (runc)', runtime: ['--runtime', 'io.containerd.strata.v2', '--runtime-config-path', path.join(dir, 'runc.toml')], match: 'containerd-shim-strata-v2' },
  { name: 'containerd-shim-strata-v2 (strata-runtime)', runtime: ['--runtime', 'io.containerd.strata.v2'], match: 'containerd-shim-strata-v2', latencyOnly: true },
];

/** Resident set of every shim process of this benchmark's namespace whose command matches. */
function shimRssKb(match) {
  let total = 0;
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.includes(match) || !cmd.includes(`-namespace\0${ns}\0`)) continue;
      total += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return total;
}

function removeAll() {
  for (const id of ctr(['t', 'ls', '-q'], false).stdout.split('\n').filter(Boolean)) ctr(['t', 'kill', '-s', 'SIGKILL', id], false);
  sleepMs(500);
  for (const id of ctr(['t', 'ls', '-q'], false).stdout.split('\n').filter(Boolean)) ctr(['t', 'rm', '-f', id], false);
  for (const id of ctr(['c', 'ls', '-q'], false).stdout.split('\n').filter(Boolean)) ctr(['c', 'rm', id], false);
}

const results = {};
try {
  const end = Date.now() + 20_000;
  while (Date.now() < end && ctr(['version'], false).status !== 0) sleepMs(100);
  ctr(['images', 'import', imageTar]);

  for (const s of shims) {
    const r = (results[s.name] = { run: [], rssOne: 0, rssGrouped: 0 });
    ctr(['run', '--rm', ...s.runtime, IMAGE, `warm-${process.pid}`, '/bin/true']);
    for (let i = 0; i < N; i++) {
      const t = now();
      ctr(['run', '--rm', ...s.runtime, IMAGE, `run-${i}`, '/bin/true']);
      r.run.push(now() - t);
    }
    if (s.latencyOnly) continue;
    for (const grouped of [false, true]) {
      const label = grouped ? ['--annotation', `io.containerd.runc.v2.group=g-${process.pid}`] : [];
      for (let i = 0; i < K; i++) ctr(['run', '-d', ...s.runtime, ...label, IMAGE, `idle-${grouped ? 'g' : 'o'}-${i}`, 'sleep', '600']);
      sleepMs(1_500); // let the shims settle (Node's heap after start-up, Go's GC)
      const kb = shimRssKb(s.match) / K;
      if (grouped) r.rssGrouped = kb;
      else r.rssOne = kb;
      removeAll();
    }
  }
} finally {
  removeAll();
  containerd.kill('SIGTERM');
  sleepMs(500);
  fs.rmSync(dir, { recursive: true, force: true });
  // containerd's namespace level of the containers' cgroups (/<namespace>/<id>): empty by now.
  for (const h of ['', ...fs.readdirSync('/sys/fs/cgroup')]) {
    try {
      fs.rmdirSync(path.join('/sys/fs/cgroup', h, ns));
    } catch {
      // not there (or, if a container leaked, not empty: left for the user to see)
    }
  }
}

const base = results[shims[0].name];
const mb = (kb) => (kb / 1024).toFixed(1);
console.log(`\nctr run --rm ${IMAGE} /bin/true, median of ${N} (ms), and shim RSS per idle container (MiB, ${K} containers)\n`);
console.log(`${'shim (engine)'.padEnd(44)} ${'run'.padStart(8)} ${'ratio'.padStart(6)}   ${'RSS/ctr'.padStart(8)} ${'ratio'.padStart(6)}   ${'grouped'.padStart(8)} ${'ratio'.padStart(6)}`);
for (const s of shims) {
  const r = results[s.name];
  const run = median(r.run);
  const cols = [s.name.padEnd(44), run.toFixed(0).padStart(8), (run / median(base.run)).toFixed(2).padStart(6)];
  if (!s.latencyOnly) cols.push('  ', mb(r.rssOne).padStart(8), (r.rssOne / base.rssOne).toFixed(2).padStart(6), '  ', mb(r.rssGrouped).padStart(8), (r.rssGrouped / base.rssOne).toFixed(2).padStart(6));
  console.log(cols.join(' '));
}
console.log('\nratios: against containerd-shim-runc-v2 one shim per container. Targets: run <= 1.5, grouped RSS/ctr <= 1.0.');
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ runs: N, containers: K, results }, null, 2));
