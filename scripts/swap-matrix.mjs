#!/usr/bin/env node
// npm run swap-matrix — the project's proof that each layer is swappable: one workload
// (`run --rm busybox sh -c 'echo hello from $HOSTNAME'`) through every combination of Strata's and
// the real component at each interface this machine allows:
//
//   client   strata CLI        | docker CLI 28          (Docker Engine API)
//   engine   strata-engine     | dockerd 20.10          (containerd API, gRPC)
//   manager  strata-manager    | containerd 1.6         (shim v2 Task API, ttrpc)
//   shim     strata's shim     | containerd-shim-runc-v2 (OCI runtime CLI)
//   runtime  strata-runtime    | runc | crun            (the kernel)
//
// Prints one row per combination: ok/FAIL/n-a (with the reason), and the median latency of
// --runs timed runs (after one untimed run that must print the expected line). Exit status 1 if
// any combination that should work failed. Every daemon is private (own dirs and sockets under
// one temporary directory), removed at the end.
// Options: --runs N (default 3), --only REGEX (rows whose "client/engine/manager/shim/runtime"
// label matches), --markdown FILE (also write the table as markdown).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', 3));
const ONLY = opt('--only') ? new RegExp(opt('--only')) : null;
const MARKDOWN = opt('--markdown');
const IMAGE_TAR = '/var/lib/strata/images/busybox.oci.tar';
const bin = {
  strata: path.join(repo, 'layers/engine/dist/strata.mjs'),
  engine: path.join(repo, 'layers/engine/dist/strata-engine.mjs'),
  manager: path.join(repo, 'layers/manager/dist/strata-manager.mjs'),
  ctr: path.join(repo, 'layers/manager/dist/strata-ctr.mjs'),
  runtime: path.join(repo, 'layers/runtime/dist/strata-runtime.mjs'),
  shim: path.join(repo, 'layers/shim/dist/containerd-shim-strata-v2.mjs'),
};
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
if (process.getuid?.() !== 0) {
  console.error('swap-matrix: needs root');
  process.exit(2);
}
for (const f of [bin.manager, bin.runtime, bin.shim, IMAGE_TAR]) if (!fs.existsSync(f)) {
  console.error(`swap-matrix: ${f} missing: run npm run setup first`);
  process.exit(2);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-swap-'));
const env = { ...process.env, HOME: dir, DOCKER_CONFIG: path.join(dir, 'docker-config') };
delete env.NODE_EXTRA_CA_CERTS;
delete env.DOCKER_HOST;
// Binaries of this checkout first on PATH (containerd looks the shim up there).
fs.mkdirSync(path.join(dir, 'bin'));
fs.symlinkSync(bin.shim, path.join(dir, 'bin/containerd-shim-strata-v2'));
fs.symlinkSync(bin.runtime, path.join(dir, 'bin/strata-runtime'));
env.PATH = `${path.join(dir, 'bin')}:${env.PATH}`;
const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (cmd, argv, o = {}) => spawnSync(cmd, argv, { encoding: 'utf8', env, timeout: 60_000, killSignal: 'SIGKILL', ...o });

// crun 1.8 refuses a cgroup v1 *hybrid* host; in a private mount namespace without the cgroup2
// mount it works (../shared facts; spec-tests uses the same wrapper).
const hybrid = fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' /sys/fs/cgroup/unified ');
const crunPath = path.join(dir, 'bin/crun-wrapper');
fs.writeFileSync(crunPath, hybrid ? `#!/bin/sh\nexec unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun "$@"\n` : '#!/bin/sh\nexec crun "$@"\n', { mode: 0o755 });
const RUNTIME_BINARY = { 'strata-runtime': bin.runtime, runc: '/usr/sbin/runc', crun: crunPath };
const SHIM_NAME = { strata: 'io.containerd.strata.v2', runc: 'io.containerd.runc.v2' };

const children = [];
function daemon(name, cmd, argv, ready) {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(cmd, argv, { env, stdio: ['ignore', log, log], detached: true });
  children.push(child);
  const end = Date.now() + 30_000;
  while (Date.now() < end && !ready()) sleepMs(100);
  if (!ready()) throw new Error(`${name} did not start (log: ${path.join(dir, `${name}.log`)})`);
  return child;
}
function stop(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
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

// --- managers ----------------------------------------------------------------------------------
function startManager(kind) {
  const d = path.join(dir, kind);
  fs.mkdirSync(d, { recursive: true });
  const sock = path.join(d, 'api.sock');
  const conf = path.join(d, 'config.toml');
  const lines = ['version = 2', `root = "${d}/root"`, `state = "${d}/state"`, '[grpc]', `  address = "${sock}"`];
  if (kind === 'containerd') {
    lines.splice(3, 0, 'disabled_plugins = ["io.containerd.grpc.v1.cri"]');
    lines.push('[ttrpc]', `  address = "${sock}.ttrpc"`);
  }
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  const child = kind === 'containerd' ? daemon(kind, 'containerd', ['--config', conf], () => sh('ctr', ['-a', sock, 'version']).status === 0) : daemon(kind, process.execPath, [bin.manager, '--config', conf], () => sh('ctr', ['-a', sock, 'version']).status === 0);
  return { kind, sock, child, dir: d };
}

// --- engines -------------------------------------------------------------------------------------
function startEngine(kind, manager, shim) {
  const d = path.join(dir, `${kind}-${manager.kind}-${shim}`);
  fs.mkdirSync(d, { recursive: true });
  const sock = path.join(d, 'engine.sock');
  const host = `unix://${sock}`;
  const ping = () => sh('docker', ['-H', host, 'version', '--format', '{{.Server.Version}}']).status === 0;
  let child;
  if (kind === 'dockerd') {
    fs.writeFileSync(path.join(d, 'daemon.json'), JSON.stringify({ runtimes: { 'strata-runtime': { path: RUNTIME_BINARY['strata-runtime'] }, crun: { path: crunPath } } }));
    child = daemon(`dockerd-${manager.kind}`, 'dockerd', ['--config-file', path.join(d, 'daemon.json'), '--data-root', path.join(d, 'data'), '--exec-root', path.join(d, 'exec'), '-H', host, '--pidfile', path.join(d, 'pid'), '--iptables=false', '--bridge=none', '--containerd', manager.sock], ping);
    // dockerd 20.10 keeps its own image store (graphdriver): load the default image as a docker-save tar.
    const tar = path.join(dir, 'busybox.docker.tar');
    if (!fs.existsSync(tar)) exportDockerTar(manager, tar);
    const r = sh('docker', ['-H', host, 'load', '-i', tar]);
    if (r.status !== 0) throw new Error(`docker load: ${r.stderr}`);
    sh('docker', ['-H', host, 'tag', 'strata.local/busybox:latest', 'busybox:latest']);
  } else {
    const runtimes = Object.entries(RUNTIME_BINARY).flatMap(([name, p]) => ['--add-runtime', `${name}=${p}`]);
    child = daemon(`engine-${manager.kind}-${shim}`, process.execPath, [bin.engine, '-H', host, '--data-root', path.join(d, 'data'), '--exec-root', path.join(d, 'exec'), '--pidfile', path.join(d, 'pid'), '--containerd', manager.sock, '--bridge', 'none', '--iptables=false', '--default-runtime', SHIM_NAME[shim], ...runtimes], ping);
  }
  return { kind, host, child };
}

function exportDockerTar(manager, tar) {
  const ctr = (a) => sh('ctr', ['-a', manager.sock, '-n', 'swap-matrix-export', ...a]);
  ctr(['images', 'import', IMAGE_TAR]);
  const r = ctr(['images', 'export', tar, 'strata.local/busybox:latest']);
  if (r.status !== 0) throw new Error(`ctr images export: ${r.stderr}`);
  ctr(['images', 'rm', 'strata.local/busybox:latest']);
}

// --- the workload ------------------------------------------------------------------------------
function runWorkload(client, engine, runtime, n) {
  const name = `swap-${process.pid}-${n}`;
  const argv = ['-H', engine.host, 'run', '--rm', '--name', name, '--network', 'none', '--runtime', runtime, 'busybox', 'sh', '-c', 'echo hello from $HOSTNAME'];
  const t0 = now();
  const r = client === 'docker' ? sh('docker', argv) : sh(process.execPath, [bin.strata, ...argv]);
  const ms = now() - t0;
  const ok = r.status === 0 && /^hello from \w+$/m.test(r.stdout);
  return { ok, ms, why: ok ? '' : `exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]?.slice(0, 140)}` };
}

// --- the matrix --------------------------------------------------------------------------------
const rows = [];
const combos = [];
for (const engine of ['strata-engine', 'dockerd'])
  for (const manager of ['strata-manager', 'containerd'])
    for (const shim of ['strata', 'runc'])
      for (const runtime of ['strata-runtime', 'runc', 'crun'])
        for (const client of ['strata', 'docker']) combos.push({ client, engine, manager, shim, runtime });
const label = (c) => `${c.client}/${c.engine}/${c.manager}/${c.shim}/${c.runtime}`;
const selected = combos.filter((c) => !ONLY || ONLY.test(label(c)));

function unavailable(c) {
  if (c.engine === 'dockerd' && !has('dockerd')) return 'dockerd not installed (Debian docker.io)';
  if (c.engine === 'strata-engine' && !fs.existsSync(bin.engine)) return 'strata-engine not built';
  if (c.client === 'strata' && !fs.existsSync(bin.strata)) return 'strata CLI not built';
  if (c.client === 'docker' && !has('docker')) return 'docker CLI not installed';
  if (c.manager === 'containerd' && !has('containerd')) return 'containerd not installed';
  if (c.runtime !== 'strata-runtime' && !has(c.runtime)) return `${c.runtime} not installed`;
  // dockerd 20.10 names the shim itself: always io.containerd.runc.v2 (runtimes in daemon.json
  // only choose the OCI binary; runtimeType arrived in dockerd 23).
  if (c.engine === 'dockerd' && c.shim === 'strata') return 'dockerd 20.10 always starts containerd-shim-runc-v2';
  return '';
}

let status = 0;
const managers = {};
try {
  for (const managerKind of ['strata-manager', 'containerd']) {
    const mine = selected.filter((c) => c.manager === managerKind);
    if (!mine.length) continue;
    const runnable = mine.filter((c) => !unavailable(c));
    for (const c of mine.filter((c) => unavailable(c))) rows.push({ ...c, result: 'n/a', note: unavailable(c) });
    if (!runnable.length) continue;
    const manager = (managers[managerKind] = startManager(managerKind));
    for (const engineKind of ['strata-engine', 'dockerd'])
      for (const shim of ['strata', 'runc']) {
        const group = runnable.filter((c) => c.engine === engineKind && c.shim === shim);
        if (!group.length) continue;
        let engine;
        try {
          engine = startEngine(engineKind, manager, shim);
        } catch (e) {
          for (const c of group) rows.push({ ...c, result: 'FAIL', note: e.message.slice(0, 160) });
          status = 1;
          continue;
        }
        for (const c of group) {
          const first = runWorkload(c.client, engine, c.runtime, rows.length);
          if (!first.ok) {
            rows.push({ ...c, result: 'FAIL', note: first.why });
            status = 1;
            continue;
          }
          const times = [];
          for (let i = 0; i < RUNS; i++) {
            const r = runWorkload(c.client, engine, c.runtime, `${rows.length}-${i}`);
            if (r.ok) times.push(r.ms);
          }
          rows.push({ ...c, result: times.length === RUNS ? 'ok' : 'FAIL', ms: times.length ? median(times) : undefined, note: times.length === RUNS ? '' : 'a timed run failed' });
          if (times.length !== RUNS) status = 1;
        }
        stop(engine.child);
      }
    stop(manager.child);
  }
} finally {
  for (const c of children) stop(c, 3_000);
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p?.startsWith(dir)).reverse()) sh('umount', ['-l', m]);
  if (!process.env.STRATA_KEEP) fs.rmSync(dir, { recursive: true, force: true });
}

// --- the table ---------------------------------------------------------------------------------
rows.sort((a, b) => combos.findIndex((c) => label(c) === label(a)) - combos.findIndex((c) => label(c) === label(b)));
const header = ['client', 'engine', 'manager', 'shim', 'runtime', 'result', 'median ms', 'note'];
const cells = rows.map((r) => [r.client, r.engine, r.manager, r.shim, r.runtime, r.result, r.ms ? r.ms.toFixed(0) : '', r.note ?? '']);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
console.log(line(header));
for (const c of cells) console.log(line(c));
const count = (k) => rows.filter((r) => r.result === k).length;
console.log(`\nswap-matrix: ${count('ok')} ok, ${count('FAIL')} failed, ${count('n/a')} not applicable (${RUNS} timed runs each, median)`);
if (MARKDOWN) {
  const md = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.join(' | ')} |`)].join('\n');
  fs.writeFileSync(MARKDOWN, `${md}\n`);
}
process.exit(status);
