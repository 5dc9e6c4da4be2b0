#!/usr/bin/env node
// npm run bench:cri — pod start latency through strata-cri vs Debian containerd 1.6's CRI plugin,
// in one run, same machine, same CNI config (bridge + host-local + portmap, a bridge of this
// process), same images, private daemons, one in-process CRI client (strata's, bundled here):
//   - strata-cri on strata-manager, strata shim + strata-runtime;
//   - strata-cri on strata-manager, runc shim + runc;
//   - containerd's CRI plugin, runc shim + runc (the reference).
// Measures: one pod start = RunPodSandbox + CreateContainer + StartContainer (median of
// BENCH_RUNS, pods started one after the other), and BENCH_CONCURRENT pods started at once (time
// until all run). Images: the default busybox archive as the container image, and a "pause"
// image made from it (Cmd = sleep) as the sandbox image, imported into namespace k8s.io of each
// manager, so nothing is pulled. Prints medians and ratios; never fails on numbers. Needs root.
// Environment: BENCH_RUNS (7), BENCH_CONCURRENT (20), BENCH_CRI_BIN, BENCH_KEEP (keep the temp dir).
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 20);
const IMAGE_TAR = '/var/lib/strata/images/busybox.oci.tar';
const IMAGE = 'strata.local/busybox:latest';
const PAUSE = 'strata.local/pause:bench';
const bin = {
  // BENCH_CRI_BIN: another build of strata-cri (e.g. before a change), same flags
  cri: process.env.BENCH_CRI_BIN || path.join(repo, 'layers/cri/dist/strata-cri.mjs'),
  manager: path.join(repo, 'layers/manager/dist/strata-manager.mjs'),
  runtime: path.join(repo, 'layers/runtime/dist/strata-runtime.mjs'),
  shim: path.join(repo, 'layers/shim/dist/containerd-shim-strata-v2.mjs'),
};
if (process.getuid?.() !== 0) {
  console.error('bench:cri needs root (it starts private daemons)');
  process.exit(2);
}
for (const f of [...Object.values(bin), IMAGE_TAR]) if (!fs.existsSync(f)) throw new Error(`${f} missing: run npm run setup first`);

// The CRI client of strata-crictl, bundled from its source for this run (below node_modules, so
// that its native externals resolve from the repository's packages).
const clientFile = path.join(repo, 'node_modules/.cache/strata-bench', `cri-client-${process.pid}.mjs`);
await esbuild.build({ entryPoints: [path.join(repo, 'layers/cri/src/cli/crictl/client.ts')], outfile: clientFile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error', external: ['koffi', 'better-sqlite3'], banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" } });
const { CriClient } = await import(pathToFileURL(clientFile).href);
fs.rmSync(clientFile, { force: true });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-cri-'));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
fs.mkdirSync(path.join(dir, 'bin'));
fs.symlinkSync(bin.shim, path.join(dir, 'bin/containerd-shim-strata-v2'));
fs.symlinkSync(bin.runtime, path.join(dir, 'bin/strata-runtime'));
env.PATH = `${path.join(dir, 'bin')}:${env.PATH}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (cmd, argv, o = {}) => spawnSync(cmd, argv, { encoding: 'utf8', env, timeout: 120_000, killSignal: 'SIGKILL', ...o });
const must = (r, what) => {
  if (r.status !== 0) throw new Error(`${what}: ${r.stderr || r.error}`);
  return r;
};


/** An OCI layout tar like the default image's, with Cmd = sleep: the sandbox ("pause") image. */
function makePauseTar() {
  const src = path.join(dir, 'pause-src');
  fs.mkdirSync(src);
  must(sh('tar', ['-xf', IMAGE_TAR, '-C', src]), 'untar the default image');
  const blob = (d) => path.join(src, 'blobs/sha256', d.split(':')[1]);
  const put = (buf) => {
    const hex = crypto.createHash('sha256').update(buf).digest('hex');
    fs.writeFileSync(path.join(src, 'blobs/sha256', hex), buf);
    return { digest: `sha256:${hex}`, size: buf.length };
  };
  const index = JSON.parse(fs.readFileSync(path.join(src, 'index.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const config = JSON.parse(fs.readFileSync(blob(manifest.config.digest), 'utf8'));
  config.config = { ...config.config, Cmd: ['sleep', '2147483647'], Entrypoint: null };
  const m2 = { ...manifest, config: { ...manifest.config, ...put(Buffer.from(JSON.stringify(config))) } };
  const md = put(Buffer.from(JSON.stringify(m2)));
  index.manifests = [{ ...index.manifests[0], ...md, annotations: { 'org.opencontainers.image.ref.name': PAUSE, 'io.containerd.image.name': PAUSE } }];
  fs.writeFileSync(path.join(src, 'index.json'), JSON.stringify(index));
  const out = path.join(dir, 'pause.oci.tar');
  must(sh('tar', ['-C', src, '-cf', out, '.']), 'tar the pause image');
  return out;
}
let pauseTar = ''; // made inside the try below (its temp files go with the rest)

const children = [];
async function daemon(name, cmd, argv, ready) {
  const log = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(cmd, argv, { env, stdio: ['ignore', log, log] });
  children.push(child);
  const end = Date.now() + 60_000;
  while (Date.now() < end && !(await ready())) await sleep(200);
  if (!(await ready())) throw new Error(`${name} did not start (log: ${path.join(dir, `${name}.log`)})`);
  return child;
}
async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 100 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

const tag = process.pid % 100000;
const bridge = `scb${tag}`;
const subnet = `10.${200 + (process.pid % 50)}.${(process.pid + 7) % 250}.0/24`;
const cniDir = path.join(dir, 'net.d');
fs.mkdirSync(cniDir);
fs.writeFileSync(
  path.join(cniDir, '10-bench.conflist'),
  JSON.stringify({
    cniVersion: '1.0.0',
    name: `strata-bench-${bridge}`,
    plugins: [
      { type: 'bridge', bridge, isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: path.join(dir, 'ipam') } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }),
);

const clientReady = (sock) => async () => {
  if (!fs.existsSync(sock)) return false;
  const c = new CriClient(`unix://${sock}`, `unix://${sock}`, 5_000);
  try {
    await c.runtime('Version', { version: 'v1' });
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
};

async function startStrataCri(runtime) {
  const d = path.join(dir, `strata-cri-${runtime.split('.')[2]}`);
  fs.mkdirSync(d);
  const msock = path.join(d, 'manager.sock');
  fs.writeFileSync(path.join(d, 'manager.toml'), `version = 2\nroot = "${d}/manager-root"\nstate = "${d}/manager-state"\n[grpc]\n  address = "${msock}"\n`);
  await daemon(`manager-${runtime}`, process.execPath, [bin.manager, '--config', path.join(d, 'manager.toml')], () => sh('ctr', ['-a', msock, 'version']).status === 0);
  for (const t of [IMAGE_TAR, pauseTar]) must(sh('ctr', ['-a', msock, '-n', 'k8s.io', 'images', 'import', t]), `import ${t}`);
  const sock = path.join(d, 'cri.sock');
  await daemon(`strata-cri-${runtime}`, process.execPath, [bin.cri, '--listen', sock, '--root', `${d}/root`, '--runroot', `${d}/run`, '--manager-address', msock, '--cni-conf-dir', cniDir, '--cni-bin-dir', '/usr/lib/cni', '--pause-image', PAUSE, '--runtime', runtime, '--registry-offline', '--log-level', 'warn'], clientReady(sock));
  return { sock, daemons: children.slice(-2) };
}

async function startContainerdCri() {
  const d = path.join(dir, 'containerd');
  fs.mkdirSync(d);
  const sock = path.join(d, 'containerd.sock');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  fs.writeFileSync(
    path.join(d, 'config.toml'),
    [
      'version = 2',
      `root = "${d}/root"`,
      `state = "${d}/state"`,
      'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      `[${cri}]`,
      `  sandbox_image = "${PAUSE}"`,
      '  restrict_oom_score_adj = true',
      '  disable_apparmor = true',
      '  stream_server_address = "127.0.0.1"',
      '  stream_server_port = "0"',
      `[${cri}.cni]`,
      '  bin_dir = "/usr/lib/cni"',
      `  conf_dir = "${cniDir}"`,
      `[${cri}.containerd]`,
      '  default_runtime_name = "runc"',
      `[${cri}.containerd.runtimes.runc]`,
      '  runtime_type = "io.containerd.runc.v2"',
      `[${cri}.containerd.runtimes.runc.options]`,
      `  Root = "${d}/runc"`,
    ].join('\n'),
  );
  await daemon('containerd', 'containerd', ['--config', path.join(d, 'config.toml')], clientReady(sock));
  for (const t of [IMAGE_TAR, pauseTar]) must(sh('ctr', ['-a', sock, '-n', 'k8s.io', 'images', 'import', t]), `import ${t}`);
  return { sock, daemons: children.slice(-1) };
}

let seq = 0;
async function startPod(c) {
  const n = seq++;
  const config = { metadata: { name: `bench-${n}`, namespace: 'bench', uid: `bench-${process.pid}-${n}`, attempt: 0 }, hostname: `bench-${n}`, logDirectory: path.join(dir, 'logs', String(n)), linux: {} };
  fs.mkdirSync(config.logDirectory, { recursive: true });
  const t0 = now();
  const { podSandboxId } = await c.runtime('RunPodSandbox', { config });
  const { containerId } = await c.runtime('CreateContainer', { podSandboxId, config: { metadata: { name: 'sleeper' }, image: { image: IMAGE }, command: ['sleep', '3600'], logPath: 'sleeper.log', linux: {} }, sandboxConfig: config });
  await c.runtime('StartContainer', { containerId });
  return { ms: now() - t0, podSandboxId };
}
async function removePods(c, ids) {
  for (const id of ids) {
    await c.runtime('StopPodSandbox', { podSandboxId: id }).catch((e) => console.error(`StopPodSandbox: ${e.message}`));
    await c.runtime('RemovePodSandbox', { podSandboxId: id }).catch((e) => console.error(`RemovePodSandbox: ${e.message}`));
  }
}

async function measure(sock, name) {
  const c = new CriClient(`unix://${sock}`, `unix://${sock}`, 120_000);
  const out = {};
  try {
    const warm = await startPod(c); // first pod: page cache, bridge creation
    await removePods(c, [warm.podSandboxId]);
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const p = await startPod(c);
      times.push(p.ms);
      await removePods(c, [p.podSandboxId]);
    }
    out['pod start (RunPodSandbox+Create+Start)'] = median(times);
    const t0 = now();
    const pods = await Promise.allSettled(Array.from({ length: CONCURRENT }, () => startPod(c)));
    out[`${CONCURRENT} pods at once (until all run)`] = now() - t0;
    const failed = pods.filter((p) => p.status === 'rejected');
    if (failed.length) console.log(`${name}: ${failed.length} of ${CONCURRENT} concurrent pods failed (the time is for the rest): ${failed[0].reason?.message}`);
    const ids = pods.filter((p) => p.status === 'fulfilled').map((p) => p.value.podSandboxId);
    // pods of failed starts exist too: remove everything the runtime lists
    const listed = (await c.runtime('ListPodSandbox', {})).items?.map((p) => p.id) ?? [];
    await removePods(c, [...new Set([...ids, ...listed])]);
  } finally {
    c.close();
  }
  return out;
}

const stacks = [
  { name: 'strata-cri / strata-manager / strata shim + strata-runtime', start: () => startStrataCri('io.containerd.strata.v2') },
  { name: 'strata-cri / strata-manager / runc shim + runc', start: () => startStrataCri('io.containerd.runc.v2') },
  { name: 'containerd 1.6 CRI plugin / runc shim + runc', start: startContainerdCri },
];
const results = {};
try {
  pauseTar = makePauseTar();
  console.log(`CRI benchmark: ${RUNS} pod starts one by one (median), ${CONCURRENT} at once; CNI bridge ${bridge} ${subnet}\n`);
  for (const s of stacks) {
    let started;
    try {
      started = await s.start();
      results[s.name] = await measure(started.sock, s.name);
    } catch (e) {
      console.log(`${s.name}: failed: ${e.message}`);
    } finally {
      for (const d of (started?.daemons ?? []).reverse()) await stop(d);
    }
  }
  const ref = results[stacks[2].name];
  for (const [stack, r] of Object.entries(results)) {
    console.log(stack);
    for (const [what, ms] of Object.entries(r)) console.log(`  ${what.padEnd(42)} ${ms.toFixed(1).padStart(9)} ms${ref && ref[what] && r !== ref ? `   ${(ms / ref[what]).toFixed(2)}x containerd` : ''}`);
  }
} finally {
  for (const c of children.reverse()) await stop(c);
  sh('ip', ['link', 'del', bridge]);
  for (const m of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p?.startsWith(dir)).reverse()) sh('umount', ['-l', m]);
  if (!process.env.BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
