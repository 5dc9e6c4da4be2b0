#!/usr/bin/env node
// npm run bench:manager — strata-manager vs Debian's containerd 1.6, in one run, same machine,
// same local registry (docker-registry on 127.0.0.1), same shim (containerd-shim-runc-v2 + runc)
// so that the difference is the manager:
//   1. pull + unpack of a ~BENCH_MB MB image of 4 layers (random data, built here, pushed to the
//      registry with skopeo): `ctr pull` on containerd vs `strata-ctr pull` on strata-manager
//      (and the real `ctr pull` on strata-manager); throughput in MB/s, median of BENCH_PULLS;
//   2. `ctr run --rm <image> /bin/true` end to end, median of BENCH_RUNS: containerd vs
//      strata-manager (runc shim), and the all-strata stack (strata shim + strata-runtime);
//   3. BENCH_CONCURRENT containers started at once (`ctr run -d`), time until all run.
// Prints the numbers and ratios. A benchmark, not a test: it never fails on numbers.
// Targets (issue 5): pull throughput >= containerd's; run latency <= 1.5x containerd's.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MB = Number(process.env.BENCH_MB ?? 100);
const PULLS = Number(process.env.BENCH_PULLS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 11);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 50);
const IMAGE = 'strata.local/busybox:latest';
const imageTar = '/var/lib/strata/images/busybox.oci.tar';
const managerBin = path.join(repo, 'layers/manager/dist/strata-manager.mjs');
const ctrBin = path.join(repo, 'layers/manager/dist/strata-ctr.mjs');
for (const f of [managerBin, ctrBin, imageTar]) if (!fs.existsSync(f)) throw new Error(`${f} missing: run npm run setup first`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-manager-'));
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
const children = [];
const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (cmd, args, o = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 300_000, killSignal: 'SIGKILL', ...o });
  if (r.status !== 0 && !o.allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`);
  return r;
};
const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

// --- the registry and the image -------------------------------------------------------------
const port = await freePort();
const registryHost = `127.0.0.1:${port}`;
fs.writeFileSync(path.join(dir, 'registry.yml'), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/registry\n  delete:\n    enabled: true\nhttp:\n  addr: ${registryHost}\nlog:\n  level: error\n`);
children.push(spawn('docker-registry', ['serve', path.join(dir, 'registry.yml')], { stdio: 'ignore' }));
for (let i = 0; i < 100 && sh('sh', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { allowFail: true }).status !== 0; i++) sleepMs(100);

/** An OCI layout with the busybox layer plus 4 layers of random data (incompressible), MB in all. */
function buildImage() {
  const layout = path.join(dir, 'layout');
  fs.mkdirSync(path.join(layout, 'blobs/sha256'), { recursive: true });
  const put = (buf) => {
    const d = crypto.createHash('sha256').update(buf).digest('hex');
    fs.writeFileSync(path.join(layout, 'blobs/sha256', d), buf);
    return { digest: `sha256:${d}`, size: buf.length };
  };
  // the busybox base: take its layer and config from the default image
  const base = path.join(dir, 'base');
  fs.mkdirSync(base);
  sh('tar', ['-xf', imageTar, '-C', base]);
  const idx = JSON.parse(fs.readFileSync(path.join(base, 'index.json'), 'utf8'));
  const blob = (d) => fs.readFileSync(path.join(base, 'blobs/sha256', d.split(':')[1]));
  const manifest = JSON.parse(blob(idx.manifests[0].digest));
  const config = JSON.parse(blob(manifest.config.digest));
  const layers = [{ ...manifest.layers[0], ...put(blob(manifest.layers[0].digest)) }];
  const diffIds = [...config.rootfs.diff_ids];
  const per = Math.ceil((MB << 20) / 4);
  for (let i = 0; i < 4; i++) {
    const src = path.join(dir, `layer${i}`);
    fs.mkdirSync(path.join(src, 'data'), { recursive: true });
    fs.writeFileSync(path.join(src, 'data', `blob${i}.bin`), crypto.randomBytes(per));
    const tar = sh('tar', ['-C', src, '--owner=0', '--group=0', '--numeric-owner', '-cf', '-', 'data'], { encoding: 'buffer', maxBuffer: 1 << 30 }).stdout;
    diffIds.push(`sha256:${crypto.createHash('sha256').update(tar).digest('hex')}`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(zlib.gzipSync(tar, { level: 1 })) });
  }
  const cfg = put(Buffer.from(JSON.stringify({ ...config, rootfs: { type: 'layers', diff_ids: diffIds }, history: undefined })));
  const man = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers })));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...man, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }));
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  sh('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${registryHost}/bench/big:1`]);
  return layers.reduce((n, l) => n + l.size, 0);
}
const imageBytes = buildImage();
const ref = `${registryHost}/bench/big:1`;

// --- the two managers -------------------------------------------------------------------------
const csock = path.join(dir, 'containerd.sock');
fs.writeFileSync(path.join(dir, 'containerd.toml'), `version = 2\nroot = "${dir}/containerd-root"\nstate = "${dir}/containerd-state"\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "${csock}"\n[ttrpc]\n  address = "${csock}.ttrpc"\n`);
children.push(spawn('containerd', ['--config', path.join(dir, 'containerd.toml')], { env, stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'containerd.log'), 'a')] }));
const msock = path.join(dir, 'manager.sock');
children.push(spawn(process.execPath, [managerBin, '--root', `${dir}/manager-root`, '--state', `${dir}/manager-state`, '--address', msock], { env, stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'manager.log'), 'a')] }));
const ns = `bench-${process.pid}`;
const ctr = (sock, args, o) => sh('ctr', ['-a', sock, '-n', ns, ...args], o);
const sctr = (sock, args, o) => sh(process.execPath, [ctrBin, '-a', sock, '-n', ns, ...args], o);
for (const s of [csock, msock]) {
  for (let i = 0; i < 100 && ctr(s, ['version'], { allowFail: true }).status !== 0; i++) sleepMs(100);
  ctr(s, ['images', 'import', imageTar]);
}

const results = [];
const report = (what, ms, base) => {
  results.push({ what, ms, ratio: base ? ms / base : undefined });
  console.log(`${what.padEnd(62)} ${ms.toFixed(1).padStart(9)} ms${base ? `   ${(ms / base).toFixed(2)}x` : ''}`);
};

try {
  console.log(`strata-manager benchmark: ${(imageBytes / 1048576).toFixed(0)} MiB image (5 layers), ${PULLS} pulls, ${RUNS} runs, ${CONCURRENT} concurrent\n`);
  // 1. pull + unpack
  const pulls = [
    ['containerd: ctr pull', () => ctr(csock, ['images', 'pull', '--plain-http', ref]), () => ctr(csock, ['images', 'rm', '--sync', ref])],
    ['strata-manager: strata-ctr pull', () => sctr(msock, ['pull', ref]), () => sctr(msock, ['rmi', '--sync', ref])],
    ['strata-manager: ctr pull (real client)', () => ctr(msock, ['images', 'pull', '--plain-http', ref]), () => ctr(msock, ['images', 'rm', '--sync', ref])],
  ];
  let base;
  for (const [name, pull, rm] of pulls) {
    const times = [];
    for (let i = 0; i < PULLS; i++) {
      const t0 = now();
      pull();
      times.push(now() - t0);
      rm();
      sleepMs(300);
    }
    const ms = median(times);
    base ??= ms;
    report(`${name} (${((imageBytes / 1048576) / (ms / 1000)).toFixed(0)} MiB/s)`, ms, base);
  }
  // 2. run --rm latency
  console.log('');
  const runs = [
    ['containerd + runc shim: ctr run --rm true', csock, ['--runtime', 'io.containerd.runc.v2']],
    ['strata-manager + runc shim: ctr run --rm true', msock, ['--runtime', 'io.containerd.runc.v2']],
    ['strata-manager + strata shim + strata-runtime', msock, ['--runtime', 'io.containerd.strata.v2']],
  ];
  base = undefined;
  for (const [name, sock, rt] of runs) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = now();
      ctr(sock, ['run', '--rm', ...rt, IMAGE, `r${i}`, '/bin/true']);
      times.push(now() - t0);
    }
    const ms = median(times);
    base ??= ms;
    report(name, ms, base);
  }
  // 3. concurrent starts
  console.log('');
  base = undefined;
  for (const [name, sock] of [['containerd: ' + CONCURRENT + ' x ctr run -d (runc shim)', csock], ['strata-manager: ' + CONCURRENT + ' x ctr run -d (runc shim)', msock]]) {
    const t0 = now();
    await Promise.all(
      Array.from({ length: CONCURRENT }, (_, i) =>
        new Promise((resolve, reject) => {
          const p = spawn('ctr', ['-a', sock, '-n', ns, 'run', '-d', '--runtime', 'io.containerd.runc.v2', IMAGE, `c${i}`, 'sleep', '60'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          p.stderr.on('data', (d) => (err += d));
          p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`c${i}: ${err}`))));
        }),
      ),
    );
    const ms = now() - t0;
    base ??= ms;
    report(name, ms, base);
    for (let i = 0; i < CONCURRENT; i++) ctr(sock, ['t', 'kill', '-s', '9', `c${i}`], { allowFail: true });
    sleepMs(1000);
    for (let i = 0; i < CONCURRENT; i++) {
      ctr(sock, ['t', 'rm', '-f', `c${i}`], { allowFail: true });
      ctr(sock, ['c', 'rm', `c${i}`], { allowFail: true });
    }
  }
} finally {
  for (const c of children.reverse()) c.kill('SIGTERM');
  sleepMs(1500);
  for (const c of children) c.kill('SIGKILL');
  sh('sh', ['-c', `grep -o " ${dir}[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`], { allowFail: true });
  fs.rmSync(dir, { recursive: true, force: true });
  sh('sh', ['-c', `for d in /sys/fs/cgroup/*/${ns}; do rmdir "$d" 2>/dev/null; done; true`], { allowFail: true });
}
