#!/usr/bin/env node
// npm run bench:engine — `docker run` latency through strata-engine vs Debian's dockerd 20.10, in
// one run, same machine, same busybox image, private daemons, the real docker CLI as the client:
//   - strata-engine on strata-manager, strata shim + strata-runtime (the all-Strata stack);
//   - strata-engine on strata-manager, runc shim + runc;
//   - dockerd on its own private containerd, runc shim + runc (the reference).
// For each: `docker run --rm busybox true` with --network none and on the default bridge network,
// and `docker run -d busybox sleep 60` (the time until the CLI printed the id: the start latency).
// Prints medians of BENCH_RUNS and ratios to dockerd. A benchmark: it never fails on numbers.
// Target (issue 7): strata-engine's `run --rm` median <= dockerd's. Needs root.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const IMAGE_TAR = '/var/lib/strata/images/busybox.oci.tar';
const bin = {
  engine: path.join(repo, 'layers/engine/dist/strata-engine.mjs'),
  manager: path.join(repo, 'layers/manager/dist/strata-manager.mjs'),
  runtime: path.join(repo, 'layers/runtime/dist/strata-runtime.mjs'),
  shim: path.join(repo, 'layers/shim/dist/containerd-shim-strata-v2.mjs'),
};
if (process.getuid?.() !== 0) {
  console.error('bench:engine needs root (it starts private daemons)');
  process.exit(2);
}
for (const f of [...Object.values(bin), IMAGE_TAR]) if (!fs.existsSync(f)) throw new Error(`${f} missing: run npm run setup first`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-engine-'));
const env = { ...process.env, HOME: dir, DOCKER_CONFIG: path.join(dir, 'docker-config') };
delete env.NODE_EXTRA_CA_CERTS;
delete env.DOCKER_HOST;
// this checkout's shim and runtime first on PATH (the manager looks the shim up there)
fs.mkdirSync(path.join(dir, 'bin'));
fs.symlinkSync(bin.shim, path.join(dir, 'bin/containerd-shim-strata-v2'));
fs.symlinkSync(bin.runtime, path.join(dir, 'bin/strata-runtime'));
env.PATH = `${path.join(dir, 'bin')}:${env.PATH}`;

const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (cmd, argv, o = {}) => spawnSync(cmd, argv, { encoding: 'utf8', env, timeout: 120_000, killSignal: 'SIGKILL', ...o });
const children = [];
function daemon(name, cmd, argv, ready) {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(cmd, argv, { env, stdio: ['ignore', log, log] });
  children.push(child);
  const end = Date.now() + 60_000;
  while (Date.now() < end && !ready()) sleepMs(100);
  if (!ready()) throw new Error(`${name} did not start (log: ${path.join(dir, `${name}.log`)})`);
  return child;
}
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(child.pid, 0);
    } catch {
      return;
    }
    if (sh('sh', ['-c', `grep -q '^State:.*Z' /proc/${child.pid}/status`]).status === 0) return;
    sleepMs(100);
  }
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

// --- managers: a private strata-manager and a private containerd (CRI off) ----------------------
function manager(kind) {
  const d = path.join(dir, kind);
  fs.mkdirSync(d);
  const sock = path.join(d, 'api.sock');
  const lines = ['version = 2', `root = "${d}/root"`, `state = "${d}/state"`, '[grpc]', `  address = "${sock}"`];
  if (kind === 'containerd') lines.splice(3, 0, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]'), lines.push('[ttrpc]', `  address = "${sock}.ttrpc"`);
  fs.writeFileSync(path.join(d, 'config.toml'), `${lines.join('\n')}\n`);
  const ready = () => sh('ctr', ['-a', sock, 'version']).status === 0;
  if (kind === 'containerd') daemon(kind, 'containerd', ['--config', path.join(d, 'config.toml')], ready);
  else daemon(kind, process.execPath, [bin.manager, '--config', path.join(d, 'config.toml')], ready);
  return sock;
}

// Bridges: unique names; dockerd takes an existing device with --bridge, strata-engine creates its own.
const tag = String(process.pid % 100000);
const dockerBridge = `sbd${tag}`;
const engineBridges = [];

function startEngine(name, kind, managerSock, shim) {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  const host = `unix://${d}/engine.sock`;
  const ready = () => sh('docker', ['-H', host, 'version', '--format', '{{.Server.Version}}']).status === 0;
  const common = ['-H', host, '--data-root', `${d}/data`, '--exec-root', `${d}/exec`, '--pidfile', `${d}/pid`, '--containerd', managerSock, '--iptables=false'];
  if (kind === 'dockerd') {
    sh('ip', ['link', 'add', dockerBridge, 'type', 'bridge']);
    sh('ip', ['addr', 'add', '10.213.77.1/24', 'dev', dockerBridge]);
    sh('ip', ['link', 'set', dockerBridge, 'up']);
    daemon(name, 'dockerd', [...common, '--bridge', dockerBridge], ready);
    // dockerd 20.10 keeps its own image store: load busybox as a docker-save tar exported by containerd
    const tar = path.join(dir, 'busybox.docker.tar');
    const ctr = (a) => sh('ctr', ['-a', managerSock, '-n', `bench-export-${tag}`, ...a]);
    ctr(['images', 'import', IMAGE_TAR]);
    ctr(['images', 'export', tar, 'strata.local/busybox:latest']);
    ctr(['images', 'rm', 'strata.local/busybox:latest']);
    if (sh('docker', ['-H', host, 'load', '-i', tar]).status !== 0) throw new Error('docker load failed');
    sh('docker', ['-H', host, 'tag', 'strata.local/busybox:latest', 'busybox:latest']);
  } else {
    const br = `sbe${tag}${engineBridges.length}`;
    engineBridges.push(br);
    daemon(name, process.execPath, [bin.engine, ...common, '--bridge', br, '--default-runtime', shim], ready);
  }
  return host;
}

function timed(host, argv) {
  const t0 = now();
  const r = sh('docker', ['-H', host, ...argv]);
  const ms = now() - t0;
  if (r.status !== 0) throw new Error(`docker ${argv.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  return { ms, out: r.stdout.trim() };
}

function measure(host) {
  const out = {};
  for (const [label, net] of [['none', ['--network', 'none']], ['bridge', []]]) {
    timed(host, ['run', '--rm', ...net, 'busybox', 'true']); // warm-up (page cache, first network setup)
    out[`run --rm, network ${label}`] = median(Array.from({ length: RUNS }, () => timed(host, ['run', '--rm', ...net, 'busybox', 'true']).ms));
  }
  const ids = [];
  out['run -d (start latency), network none'] = median(
    Array.from({ length: RUNS }, () => {
      const r = timed(host, ['run', '-d', '--network', 'none', 'busybox', 'sleep', '60']);
      ids.push(r.out);
      return r.ms;
    }),
  );
  sh('docker', ['-H', host, 'rm', '-f', ...ids]);
  return out;
}

const stacks = [
  { name: 'strata-engine / strata-manager / strata shim + strata-runtime', kind: 'engine', manager: 'strata-manager', shim: 'io.containerd.strata.v2' },
  { name: 'strata-engine / strata-manager / runc shim + runc', kind: 'engine', manager: 'strata-manager', shim: 'io.containerd.runc.v2' },
  { name: 'dockerd 20.10 / containerd 1.6 / runc shim + runc', kind: 'dockerd', manager: 'containerd', shim: 'io.containerd.runc.v2' },
];
const results = {};
const socks = {};
try {
  console.log(`strata-engine benchmark: docker CLI ${sh('docker', ['version', '--format', '{{.Client.Version}}']).stdout.trim()}, ${RUNS} runs each, medians\n`);
  for (const s of stacks) {
    if (s.kind === 'dockerd' && !has('dockerd')) {
      console.log(`${s.name}: n/a (Debian docker.io not installed)`);
      continue;
    }
    socks[s.manager] ??= manager(s.manager);
    const name = `${s.kind}-${s.shim.split('.')[2]}`;
    const host = startEngine(name, s.kind === 'dockerd' ? 'dockerd' : 'engine', socks[s.manager], s.shim);
    try {
      results[s.name] = measure(host);
    } catch (e) {
      console.log(`${s.name}: failed: ${e.message}`);
    }
    stop(children.at(-1));
  }
  const ref = results[stacks[2].name];
  for (const [stack, r] of Object.entries(results)) {
    console.log(stack);
    for (const [what, ms] of Object.entries(r)) console.log(`  ${what.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms${ref && ref[what] ? `   ${(ms / ref[what]).toFixed(2)}x dockerd` : ''}`);
  }
} finally {
  for (const c of children.reverse()) stop(c);
  sh('ip', ['link', 'del', dockerBridge]);
  for (const b of engineBridges) sh('ip', ['link', 'del', b]);
  // containers' shims outlive their daemons only if something failed; the dirs hold their mounts
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p?.startsWith(dir)).reverse()) sh('umount', ['-l', m]);
  if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
