// Recording traces of real runs (as root): each recording runs one scenario with STRATA_TRACE set,
// reads back the lines every layer appended, and normalises what changes from run to run (times,
// temporary directories, the caller's cgroup) so that the committed trace and the diagram drawn
// from it only change when what happened changed.
//
// A new layer adds its recording with one entry in RECORDINGS (and, if it needs a new kind of
// run, one method on Recorder).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isStrata, orderRecords, parseTrace, type TraceRecord } from './traceToMermaid';
import { detectCgroupLayout, ownCgroup } from '../../layers/linux/src/cgroups/layout';

export const BUSYBOX_BUNDLE = '/var/lib/strata/bundles/busybox';
export const BUSYBOX_IMAGE = '/var/lib/strata/images/busybox.oci.tar';
const IMAGE_REF = 'strata.local/busybox:latest';
const NAMESPACE = 'strata-diagrams';
/** The container every recording runs: it prints and exits with 3, so exits show in the diagram. */
const COMMAND = ['sh', '-c', 'echo hi; exit 3'];

export interface Recording {
  /** diagrams/<name>.mmd, diagrams/traces/<name>.jsonl */
  name: string;
  title: string;
  /** Programs the run needs on PATH (the recording is skipped without them). */
  needs: string[];
  record: (r: Recorder) => Promise<void>;
  /**
   * Strata programs whose calls are compared as a multiset rather than in order: servers that
   * handle several requests at once (the engine serves the CLI's create, attach, wait and start
   * on parallel connections; the manager serves a client's Wait and Start at once), so their calls
   * below interleave differently from run to run, more so on a loaded machine.
   */
  unordered?: string[];
  /**
   * Why this recording cannot be made on this machine, or undefined when it can (beyond `needs`):
   * checkpoint/restore needs a CRIU whose `criu check` passes. Where it cannot, the diagram is
   * drawn from the committed trace, which is then checked as it is.
   */
  unavailable?: () => string | undefined;
  /**
   * The trace is made on another kind of machine than the others (the CRIU guest VM of
   * scripts/vm) and carries its own signature file, diagrams/traces/<name>.recorded-on.txt, instead
   * of the shared recorded-on.txt: a machine of the other kind checks it against the committed
   * trace only, and keeps recording the others live.
   */
  ownSignature?: boolean;
}

export const RECORDINGS: Recording[] = [
  { name: 'runtime-run', title: 'strata-runtime run, started from a shell', needs: ['strata-runtime'], record: (r) => r.runtimeRun() },
  { name: 'containerd-shim-runtime', title: 'ctr run --rm: containerd, containerd-shim-strata-v2, strata-runtime', needs: ['containerd', 'ctr', 'containerd-shim-strata-v2', 'strata-runtime'], record: (r) => r.ctrRun({ runtime: 'io.containerd.strata.v2' }) },
  { name: 'containerd-shim-runc', title: 'ctr run --rm: containerd, containerd-shim-strata-v2, runc (the engine swapped)', needs: ['containerd', 'ctr', 'containerd-shim-strata-v2', 'runc'], record: (r) => r.ctrRun({ runtime: 'io.containerd.strata.v2', engine: 'runc' }) },
  { name: 'manager-shim-runtime', title: 'strata-ctr run --rm: strata-manager, containerd-shim-strata-v2, strata-runtime (the whole Strata stack below the CLI)', needs: ['strata-manager', 'strata-ctr', 'containerd-shim-strata-v2', 'strata-runtime'], unordered: ['strata-manager'], record: (r) => r.managerRun({ runtime: 'io.containerd.strata.v2' }) },
  { name: 'manager-runcshim-runc', title: 'ctr run --rm against strata-manager with containerd-shim-runc-v2 and runc (only the manager is Strata)', needs: ['strata-manager', 'ctr', 'containerd-shim-runc-v2', 'runc'], unordered: ['strata-manager'], record: (r) => r.managerRun({ runtime: 'io.containerd.runc.v2', client: 'ctr' }) },
  { name: 'containerd-runcshim-runtime', title: 'ctr run --rm --runc-binary strata-runtime: the real containerd-shim-runc-v2 drives strata-runtime', needs: ['containerd', 'ctr', 'containerd-shim-runc-v2', 'strata-runtime'], record: (r) => r.ctrRun({ runcBinary: 'strata-runtime' }) },
  {
    name: 'engine-manager-shim-runtime',
    title: 'strata run --rm: strata CLI, strata-engine, strata-manager, containerd-shim-strata-v2, strata-runtime (the whole Strata stack)',
    needs: ['strata', 'strata-engine', 'strata-manager', 'containerd-shim-strata-v2', 'strata-runtime'],
    unordered: ['strata-engine', 'strata-manager'],
    record: (r) => r.engineRun({ client: 'strata', manager: 'strata-manager', runtime: 'io.containerd.strata.v2' }),
  },
  {
    name: 'docker-engine-containerd-runcshim',
    title: 'docker run --rm: the real docker CLI, strata-engine, the real containerd and containerd-shim-runc-v2 with runc (only the engine is Strata)',
    needs: ['docker', 'strata-engine', 'containerd', 'containerd-shim-runc-v2', 'runc'],
    unordered: ['strata-engine'],
    record: (r) => r.engineRun({ client: 'docker', manager: 'containerd', runtime: 'io.containerd.runc.v2' }),
  },
  {
    name: 'checkpoint-containerd-shim-runtime',
    title: 'ctr c checkpoint --task, then ctr c restore --live: containerd, containerd-shim-strata-v2, strata-runtime, criu',
    needs: ['containerd', 'ctr', 'containerd-shim-strata-v2', 'strata-runtime', 'criu'],
    unavailable: criuUnavailable,
    ownSignature: true,
    record: (r) => r.ctrCheckpointRestore(),
  },
  {
    name: 'cri-pod-start',
    title: 'a CRI pod start (runp, create, start) by strata-crictl: strata-cri, strata-manager, containerd-shim-strata-v2, strata-runtime',
    needs: ['strata-crictl', 'strata-cri', 'strata-manager', 'containerd-shim-strata-v2', 'strata-runtime'],
    unordered: ['strata-cri', 'strata-manager'],
    record: (r) => r.criPodStart(),
  },
];

export const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Why CRIU cannot checkpoint here (`criu check` fails: CRIU's first error), or undefined. */
export function criuUnavailable(): string | undefined {
  const r = spawnSync('criu', ['check'], { encoding: 'utf8', timeout: 120_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return 'criu is not installed';
  if (r.status === 0) return undefined;
  const first = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').find((l) => /^Error/.test(l.trim()));
  return `criu check fails${first ? `: ${first.trim().replace(/^Error\s*\([^)]*\):\s*/, '')}` : ''}`;
}

/**
 * CRIU writes no trace. The recorder puts this stand-in first on the PATH of everything it runs:
 * it runs the real criu with the same arguments, descriptors and environment, and appends one
 * line for the call (the caller named as processName() names it, the container id being the last
 * argument of the runtime's command line), like the line the recorder writes for ctr. It does not
 * exec the real criu (it must see it end), so `criu restore --restore-sibling` makes the restored
 * process its child: a detached restore, as every caller here does, hands it on to the shim (the
 * subreaper) when the stand-in exits, as it would when the runtime exits.
 */
export function criuStandIn(realCriu: string): string {
  return `#!/bin/bash
# criu, timed for a trace: written by scripts/diagrams/record.ts (see criuStandIn there)
ns() { local t; t=$(date +%s%N); echo "$((t / 1000000)).$(printf %03d $(((t / 1000) % 1000)))"; }
start=$(ns)
${JSON.stringify(realCriu)} "$@"
status=$?
end=$(ns)
if [ -n "\${STRATA_TRACE:-}" ]; then
  argv=()
  while IFS= read -r -d '' a; do argv+=("$a"); done < "/proc/$PPID/cmdline"
  caller=\${argv[0]##*/}
  if [[ $caller =~ ^node ]]; then
    for a in "\${argv[@]:1}"; do [[ $a == -* ]] || { caller=\${a##*/}; caller=\${caller%.mjs}; break; }; done
  fi
  container=\${argv[\${#argv[@]}-1]}
  result=ok
  [ "$status" = 0 ] || result="error: exit status $status"
  printf '{"ts":%s,"end":%s,"layer":"runtime","from":"%s","to":"criu","protocol":"criu-cli","op":"%s","ids":{"container":"%s"},"result":"%s"}\\n' \\
    "$start" "$end" "$caller" "$1" "$container" "$result" >> "$STRATA_TRACE"
fi
exit $status
`;
}

/** Why recordings cannot run here, or undefined. */
export function cannotRecord(): string | undefined {
  if (process.getuid?.() !== 0) return 'recording real runs needs root';
  if (!fs.existsSync(BUSYBOX_BUNDLE) || !fs.existsSync(BUSYBOX_IMAGE)) return `the default bundle and image are missing (${BUSYBOX_BUNDLE}, ${BUSYBOX_IMAGE}): run npm run setup`;
  return undefined;
}

export class Recorder {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-diagrams-'));
  readonly traceFile = path.join(this.dir, 'trace.jsonl');
  private containerd?: ChildProcess;
  private readonly sock = path.join(this.dir, 'containerd.sock');

  /** Where the criu stand-in is (see criuStandIn), when this machine has a criu. */
  private readonly bin = path.join(this.dir, 'bin');

  constructor() {
    const real = spawnSync('sh', ['-c', 'command -v criu'], { encoding: 'utf8' }).stdout?.trim();
    if (real) {
      fs.mkdirSync(this.bin);
      fs.writeFileSync(path.join(this.bin, 'criu'), criuStandIn(real), { mode: 0o755 });
    }
  }

  /** The environment of every recorded program: ours plus STRATA_TRACE (and the criu stand-in first on PATH). */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra, STRATA_TRACE: this.traceFile };
    if (fs.existsSync(this.bin)) env.PATH = `${this.bin}:${env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
    delete env.NODE_EXTRA_CA_CERTS; // ~30 ms per Node start, and every layer here is Node
    return env;
  }

  /** `strata-runtime run` of the busybox bundle from a shell (the shell is the caller in the trace). */
  async runtimeRun(): Promise<void> {
    const root = path.join(this.dir, 'runtime-root');
    // "; exit $?" keeps sh from exec'ing the runtime itself: the shell stays its parent.
    const r = spawnSync('sh', ['-c', `strata-runtime --root ${root} run -b ${BUSYBOX_BUNDLE} demo; exit $?`], { env: this.env(), encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`strata-runtime run failed (${r.status}): ${r.stderr}`);
  }

  /** A private containerd (own root, state and sockets), started with STRATA_TRACE set. */
  private startContainerd(): void {
    if (this.containerd) return;
    fs.writeFileSync(
      path.join(this.dir, 'config.toml'),
      [
        'version = 2',
        `root = "${this.dir}/root"`,
        `state = "${this.dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
        '[grpc]',
        `  address = "${this.sock}"`,
        '[ttrpc]',
        `  address = "${this.sock}.ttrpc"`,
      ].join('\n'),
    );
    const log = fs.openSync(path.join(this.dir, 'containerd.log'), 'a');
    // containerd passes its environment on to the shims it starts, and they to the runtime.
    this.containerd = spawn('containerd', ['--config', path.join(this.dir, 'config.toml')], { env: this.env(), stdio: ['ignore', 'ignore', log] });
    const end = Date.now() + 20_000;
    while (this.ctr(['version'], 5_000).status !== 0) {
      if (Date.now() > end) throw new Error(`containerd did not start: ${fs.readFileSync(path.join(this.dir, 'containerd.log'), 'utf8').slice(-2000)}`);
      nap(100);
    }
    const imp = this.ctr(['images', 'import', BUSYBOX_IMAGE], 60_000);
    if (imp.status !== 0) throw new Error(`ctr images import failed: ${imp.stderr}`);
  }

  private ctr(args: string[], timeout = 30_000) {
    return spawnSync('ctr', ['-a', this.sock, '-n', NAMESPACE, ...args], { env: this.env(), encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  }

  /**
   * `ctr run --rm` of the default image through the private containerd. ctr and containerd are
   * not instrumented: the recorder writes the ctr line itself (the span of the ctr process).
   */
  async ctrRun(o: { runtime?: string; engine?: string; runcBinary?: string }): Promise<void> {
    this.startContainerd();
    const args = ['run', '--rm'];
    if (o.runtime) args.push('--runtime', o.runtime);
    const shown = [...args];
    if (o.engine) {
      const file = path.join(this.dir, `${o.engine}.toml`);
      fs.writeFileSync(file, `BinaryName = "${o.engine}"\n`);
      args.push('--runtime-config-path', file);
      shown.push('--runtime-config-path', path.basename(file));
    }
    if (o.runcBinary) args.push('--runc-binary', o.runcBinary);
    if (o.runcBinary) shown.push('--runc-binary', o.runcBinary);
    const start = Date.now();
    const r = this.ctr([...args, IMAGE_REF, 'demo', ...COMMAND], 60_000);
    const end = Date.now();
    if (r.status !== 3) throw new Error(`ctr run exited ${r.status} (expected 3): ${r.stderr}`);
    this.waitForShims();
    const line = { ts: start, end, layer: 'client', from: 'ctr', to: 'containerd', protocol: 'containerd-grpc', op: `ctr ${shown.join(' ')}`, ids: { container: 'demo' }, result: 'ok', detail: `exit status ${r.status}` };
    fs.appendFileSync(this.traceFile, `${JSON.stringify(line)}\n`);
  }

  /**
   * A counter's task checkpointed and restored through the private containerd and our shim:
   * `ctr c checkpoint --task` (containerd: Checkpoint to the shim, which runs `strata-runtime
   * checkpoint`, which runs criu; the images become content and an image), then, after the
   * original is removed (not in the trace), `ctr c restore --live` (a new container and a task
   * created with the checkpoint: the shim runs `strata-runtime restore`, which runs criu). Only
   * these two commands are kept: the first start and the removals are other diagrams.
   */
  async ctrCheckpointRestore(): Promise<void> {
    this.startContainerd();
    const ref = 'strata.local/checkpoint/demo:1';
    // `ctr run -d` gives the task the host's /dev/null, which CRIU cannot dump: the counter moves
    // its streams into the container (its /dev/shm is saved with it).
    const counter = 'exec </dev/null >/dev/shm/count 2>&1; i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done';
    const run = this.ctr(['run', '-d', '--runtime', 'io.containerd.strata.v2', IMAGE_REF, 'demo', 'sh', '-c', counter], 300_000);
    if (run.status !== 0) throw new Error(`ctr run -d failed (${run.status}): ${run.stderr}`);
    const client = (args: string[], timeout: number) => {
      const start = Date.now();
      const r = this.ctr(args, timeout);
      const end = Date.now();
      if (r.status !== 0) throw new Error(`ctr ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
      const line = { ts: start, end, layer: 'client', from: 'ctr', to: 'containerd', protocol: 'containerd-grpc', op: `ctr ${args.join(' ')}`, ids: { container: 'demo' }, result: 'ok' };
      fs.appendFileSync(this.traceFile, `${JSON.stringify(line)}\n`);
    };
    const removeDemo = () => {
      this.ctr(['t', 'kill', '-s', 'SIGKILL', 'demo']);
      const until = Date.now() + 60_000;
      while (Date.now() < until && /demo\s+\d+\s+RUNNING/.test(this.ctr(['t', 'ls']).stdout ?? '')) nap(200);
      this.ctr(['t', 'rm', '-f', 'demo']);
      this.ctr(['c', 'rm', 'demo']);
      this.waitForShims();
    };
    try {
      fs.writeFileSync(this.traceFile, '');
      client(['c', 'checkpoint', '--task', 'demo', ref], 900_000);
      const checkpointed = fs.readFileSync(this.traceFile, 'utf8');
      removeDemo();
      fs.writeFileSync(this.traceFile, checkpointed);
      client(['c', 'restore', '--live', 'demo', ref], 900_000);
      const teardown = Date.now();
      removeDemo();
      const kept = fs.readFileSync(this.traceFile, 'utf8').split('\n').filter((l) => l && (JSON.parse(l) as { ts: number }).ts < teardown);
      fs.writeFileSync(this.traceFile, `${kept.join('\n')}\n`);
    } finally {
      const text = fs.readFileSync(this.traceFile, 'utf8');
      removeDemo();
      this.ctr(['images', 'rm', ref]);
      fs.writeFileSync(this.traceFile, text);
    }
  }

  private manager?: ChildProcess;
  private readonly managerSock = path.join(this.dir, 'strata-manager.sock');

  /** A private strata-manager (own root, state and socket), started with STRATA_TRACE set. */
  private startManager(): void {
    if (this.manager) return;
    const log = fs.openSync(path.join(this.dir, 'manager.log'), 'a');
    this.manager = spawn('strata-manager', ['--root', `${this.dir}/manager-root`, '--state', `${this.dir}/manager-state`, '--address', this.managerSock], { env: this.env(), stdio: ['ignore', 'ignore', log] });
    const end = Date.now() + 20_000;
    while (this.managerCtr(['version'], 5_000).status !== 0) {
      if (Date.now() > end) throw new Error(`strata-manager did not start: ${fs.readFileSync(path.join(this.dir, 'manager.log'), 'utf8').slice(-2000)}`);
      nap(100);
    }
    // the image goes in untraced: the recording is about running it
    const imp = spawnSync('ctr', ['-a', this.managerSock, '-n', NAMESPACE, 'images', 'import', BUSYBOX_IMAGE], { env: { ...this.env(), STRATA_TRACE: '' }, encoding: 'utf8', timeout: 60_000 });
    if (imp.status !== 0) throw new Error(`ctr images import into strata-manager failed: ${imp.stderr}`);
    fs.writeFileSync(this.traceFile, '');
  }

  private managerCtr(args: string[], timeout = 30_000) {
    return spawnSync('ctr', ['-a', this.managerSock, '-n', NAMESPACE, ...args], { env: this.env(), encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  }

  /** A private strata-engine on the private manager (or containerd), traced; returns its socket. */
  private startEngine(o: { manager: 'strata-manager' | 'containerd'; runtime: string }): string {
    const sock = path.join(this.dir, 'engine.sock');
    const key = `${o.manager} ${o.runtime}`;
    if (this.engine && this.engineKey === key) return sock;
    if (this.engine) {
      // another configuration: a fresh engine (its own data root) on the other manager
      this.engine.kill('SIGTERM');
      const until = Date.now() + 10_000;
      while (Date.now() < until && this.engine.exitCode === null && this.engine.signalCode === null) nap(50);
      fs.rmSync(`${this.dir}/engine-data`, { recursive: true, force: true });
    }
    this.engineKey = key;
    const managerSock = o.manager === 'containerd' ? (this.startContainerd(), this.sock) : (this.startManager(), this.managerSock);
    const log = fs.openSync(path.join(this.dir, 'engine.log'), 'a');
    // The manager namespace of the other recordings: the image is already there under its name.
    this.engine = spawn('strata-engine', ['-H', `unix://${sock}`, '--data-root', `${this.dir}/engine-data`, '--exec-root', `${this.dir}/engine-exec`, '--pidfile', `${this.dir}/engine.pid`, '--containerd', managerSock, '--containerd-namespace', NAMESPACE, '--bridge', 'none', '--iptables=false', '--default-runtime', o.runtime], { env: this.env(), stdio: ['ignore', 'ignore', log] });
    const end = Date.now() + 30_000;
    // Ready when it answers and its start-up work (the default image's preload) is done.
    while (!/busybox/.test(spawnSync('docker', ['-H', `unix://${sock}`, 'images'], { encoding: 'utf8', env: this.env({ HOME: this.dir }), timeout: 10_000 }).stdout ?? '')) {
      if (Date.now() > end) throw new Error(`strata-engine did not start: ${fs.readFileSync(path.join(this.dir, 'engine.log'), 'utf8').slice(-2000)}`);
      nap(200);
    }
    fs.writeFileSync(this.traceFile, '');
    return sock;
  }

  private engine?: ChildProcess;
  private engineKey = '';

  /**
   * `strata run --rm` (or the real `docker run --rm`) through a private strata-engine. The client
   * line is the recorder's (the span of the client process) unless the client traces itself. The
   * engine names containers by random 64-hex ids: they become <id 1>, <id 2>... in order.
   */
  async engineRun(o: { client: 'strata' | 'docker'; manager: 'strata-manager' | 'containerd'; runtime: string }): Promise<void> {
    const sock = this.startEngine(o);
    const args = ['run', '--rm', '--network', 'none', '--name', 'demo'];
    const start = Date.now();
    const r = spawnSync(o.client, ['-H', `unix://${sock}`, ...args, IMAGE_REF, ...COMMAND], { env: this.env({ HOME: this.dir, STRATA_NO_AUTOSTART: '1' }), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    const end = Date.now();
    if (r.status !== 3) throw new Error(`${o.client} run exited ${r.status} (expected 3): ${r.stderr}`);
    if (o.manager === 'containerd') this.waitForShims();
    else this.waitForShimsBelow(this.dir);
    const text = fs.readFileSync(this.traceFile, 'utf8');
    if (!text.split('\n').some((l) => l.includes(`"from":"${o.client}"`))) {
      const line = { ts: start, end, layer: 'client', from: o.client, to: 'strata-engine', protocol: 'docker-api', op: `${o.client} ${args.join(' ')}`, ids: { container: 'demo' }, result: 'ok', detail: `exit status ${r.status}` };
      fs.appendFileSync(this.traceFile, `${JSON.stringify(line)}\n`);
    }
    numberHexIds(this.traceFile);
  }

  /**
   * A pod started the way the kubelet does it, with strata-crictl: runp (the sandbox: pause
   * container, network namespace, CNI), create and start of a container that prints and exits,
   * then stopp and rmp. A private strata-cri on the private manager, with its own CNI config (one
   * bridge network on a fixed private subnet, so the calls are the same every time).
   */
  async criPodStart(): Promise<void> {
    // A check records up to three times: each time a fresh strata-cri (own root) on a fresh network.
    this.stopCri();
    this.startManager();
    const imp = spawnSync('ctr', ['-a', this.managerSock, '-n', 'k8s.io', 'images', 'import', BUSYBOX_IMAGE], { env: { ...this.env(), STRATA_TRACE: '' }, encoding: 'utf8', timeout: 60_000 });
    if (imp.status !== 0) throw new Error(`ctr images import (k8s.io) failed: ${imp.stderr}`);
    const conf = path.join(this.dir, 'cni');
    fs.mkdirSync(conf, { recursive: true });
    fs.writeFileSync(
      path.join(conf, '10-diagrams.conflist'),
      JSON.stringify({ cniVersion: '1.0.0', name: 'strata-diagrams', plugins: [{ type: 'bridge', bridge: 'strata-dg0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.253.77.0/24' }]], dataDir: path.join(this.dir, 'cni-ipam') } }] }),
    );
    const sock = path.join(this.dir, 'cri.sock');
    const log = fs.openSync(path.join(this.dir, 'cri.log'), 'a');
    this.cri = spawn('strata-cri', ['--listen', sock, '--root', `${this.dir}/cri-root`, '--runroot', `${this.dir}/cri-run`, '--manager-address', this.managerSock, '--cni-conf-dir', conf, '--cni-bin-dir', '/usr/lib/cni', '--registry-offline', '--pause-image', IMAGE_REF], { env: this.env(), stdio: ['ignore', 'ignore', log] });
    const crictl = (args: string[]) => spawnSync('strata-crictl', ['-r', `unix://${sock}`, '--timeout', '60s', ...args], { env: this.env(), encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL' });
    const end = Date.now() + 30_000;
    while (crictl(['version']).status !== 0) {
      if (Date.now() > end) throw new Error(`strata-cri did not start: ${fs.readFileSync(path.join(this.dir, 'cri.log'), 'utf8').slice(-2000)}`);
      nap(200);
    }
    fs.writeFileSync(path.join(this.dir, 'pod.json'), JSON.stringify({ metadata: { name: 'demo-pod', namespace: 'default', uid: 'diagrams-pod-1', attempt: 0 }, hostname: 'demo-pod', log_directory: path.join(this.dir, 'pod-logs'), linux: {} }));
    fs.writeFileSync(path.join(this.dir, 'container.json'), JSON.stringify({ metadata: { name: 'demo' }, image: { image: IMAGE_REF }, command: COMMAND, log_path: 'demo.log', linux: {} }));
    fs.writeFileSync(this.traceFile, '');
    const pod = crictl(['runp', path.join(this.dir, 'pod.json')]);
    if (pod.status !== 0) throw new Error(`strata-crictl runp failed: ${pod.stderr}`);
    const podId = pod.stdout.trim();
    const ctr = crictl(['create', podId, path.join(this.dir, 'container.json'), path.join(this.dir, 'pod.json')]);
    if (ctr.status !== 0) throw new Error(`strata-crictl create failed: ${ctr.stderr}`);
    const id = ctr.stdout.trim();
    if (crictl(['start', id]).status !== 0) throw new Error('strata-crictl start failed');
    const until = Date.now() + 30_000;
    while (!/Exited/.test(crictl(['ps', '-a', '--id', id]).stdout ?? '') && Date.now() < until) nap(200);
    const teardown = Date.now(); // trace times are epoch ms
    crictl(['stopp', podId]);
    crictl(['rmp', podId]);
    this.waitForShimsBelow(this.dir);
    // Only the pod's start and the container's run: runp, create, start and what the daemons did
    // meanwhile. The polling `ps` (a varying number of calls) and the teardown stay out.
    const kept = fs
      .readFileSync(this.traceFile, 'utf8')
      .split('\n')
      .filter((l) => l && !/"op":"RuntimeService\.(ListContainers|ListPodSandbox)"/.test(l))
      .filter((l) => (JSON.parse(l) as { ts: number }).ts < teardown);
    fs.writeFileSync(this.traceFile, `${kept.join('\n')}\n`);
    numberHexIds(this.traceFile);
  }

  private cri?: ChildProcess;

  private stopCri(): void {
    if (!this.cri) return;
    this.cri.kill('SIGTERM');
    const end = Date.now() + 10_000;
    while (Date.now() < end && this.cri.exitCode === null && this.cri.signalCode === null) nap(50);
    if (this.cri.exitCode === null && this.cri.signalCode === null) this.cri.kill('SIGKILL');
    this.cri = undefined;
    for (const d of ['cri-root', 'cri-run', 'cni', 'cni-ipam', 'pod-logs']) fs.rmSync(path.join(this.dir, d), { recursive: true, force: true });
    spawnSync('ip', ['link', 'del', 'strata-dg0'], { stdio: 'ignore' });
  }

  /** Shims of our private manager (their command lines name its socket below our dir). */
  private waitForShimsBelow(dir: string): void {
    const end = Date.now() + 15_000;
    while (Date.now() < end && shimsOf(dir, '').length) nap(50);
  }

  /**
   * `strata-ctr run --rm` (or the real `ctr run --rm`) through a private strata-manager. The client
   * is not instrumented: the recorder writes its line (the span of the client process).
   */
  async managerRun(o: { runtime: string; client?: 'ctr' | 'strata-ctr' }): Promise<void> {
    this.startManager();
    const client = o.client ?? 'strata-ctr';
    const args = ['run', '--rm', '--runtime', o.runtime];
    const start = Date.now();
    const r = spawnSync(client, ['-a', this.managerSock, '-n', NAMESPACE, ...args, IMAGE_REF, 'demo', ...COMMAND], { env: this.env(), encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    const end = Date.now();
    if (r.status !== 3) throw new Error(`${client} run exited ${r.status} (expected 3): ${r.stderr}`);
    const line = { ts: start, end, layer: 'client', from: client, to: 'strata-manager', protocol: 'containerd-grpc', op: `${client} ${args.join(' ')}`, ids: { container: 'demo' }, result: 'ok', detail: `exit status ${r.status}` };
    fs.appendFileSync(this.traceFile, `${JSON.stringify(line)}\n`);
  }

  /** containerd runs `shim delete` after ctr returns: wait until no shim of ours is left. */
  private waitForShims(): void {
    const end = Date.now() + 10_000;
    while (Date.now() < end && shimsOf(this.dir, NAMESPACE).length) nap(50);
  }

  /** The lines recorded since the last take, normalised; the file starts again empty. */
  take(): TraceRecord[] {
    const text = fs.existsSync(this.traceFile) ? fs.readFileSync(this.traceFile, 'utf8') : '';
    fs.writeFileSync(this.traceFile, '');
    return normaliseTrace(parseTrace(text), [[this.dir, '<private dir>']]).map((r) => (r.detail ? { ...r, detail: normaliseCallerCgroup(r.detail) } : r));
  }

  close(): void {
    this.stopCri();
    for (const d of [this.engine]) {
      if (!d) continue;
      d.kill('SIGTERM');
      const end = Date.now() + 10_000;
      while (Date.now() < end && d.exitCode === null && d.signalCode === null) nap(50);
    }
    spawnSync('ip', ['link', 'del', 'strata-dg0'], { stdio: 'ignore' });
    if (this.manager) {
      this.manager.kill('SIGTERM');
      const end = Date.now() + 5_000;
      while (Date.now() < end && this.manager.exitCode === null && this.manager.signalCode === null) nap(50);
      for (const root of cgroupRoots()) tryRmdir(path.join(root, NAMESPACE));
    }
    if (this.containerd) {
      for (const id of (this.ctr(['t', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['t', 'rm', '-f', id]);
      for (const id of (this.ctr(['c', 'ls', '-q']).stdout ?? '').split('\n').filter(Boolean)) this.ctr(['c', 'rm', id]);
      this.containerd.kill('SIGTERM');
      const end = Date.now() + 5_000;
      while (Date.now() < end && this.containerd.exitCode === null && this.containerd.signalCode === null) nap(50);
      // ctr puts containers in cgroup /<namespace>/<id>; the runtimes remove <id>, the namespace
      // level is containerd's: remove it once empty. The runtimes' state roots likewise.
      for (const root of cgroupRoots()) tryRmdir(path.join(root, NAMESPACE));
      tryRmdir(`/run/containerd/runc/${NAMESPACE}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Random 64-hex ids (engine containers, CRI pods and containers) -> <id 1>, <id 2>... by first appearance. */
function numberHexIds(file: string): void {
  const text = fs.readFileSync(file, 'utf8');
  const seen = new Map<string, string>();
  const out = text.replace(/[0-9a-f]{64}/g, (h) => {
    if (!seen.has(h)) seen.set(h, `<id ${seen.size + 1}>`);
    return seen.get(h)!;
  });
  // short forms (12 hex: docker's and crictl's truncated ids) of the same ids
  const short = [...seen].reduce((acc, [h, n]) => acc.split(h.slice(0, 12)).join(n), out);
  // a longer random name that began with one (the CRI's netns: cni-strata-<76 hex>): the rest goes
  // and process ids in /proc paths (a container joins the pause process's namespaces by them)
  fs.writeFileSync(file, short.replace(/(<id \d+>)[0-9a-f]+/g, '$1').replace(/\/proc\/\d+\//g, '/proc/<pid>/'));
}

function tryRmdir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not there, or not empty (then something leaked: leave it visible)
  }
}

function cgroupRoots(): string[] {
  try {
    return ['/sys/fs/cgroup', ...fs.readdirSync('/sys/fs/cgroup').map((d) => path.join('/sys/fs/cgroup', d))].filter((d) => fs.statSync(d).isDirectory());
  } catch {
    return [];
  }
}

/** Shim processes (start, daemon, delete) started by our containerd: their command line names it. */
function shimsOf(dir: string, namespace: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const zombie = stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
      if (!zombie && cmd.includes('containerd-shim') && cmd.includes(namespace) && cmd.includes(dir)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

/**
 * A container without cgroupsPath gets a cgroup below its caller's (as with runc): that part of a
 * path depends on where the recorder runs, so it becomes a placeholder, also when it is "/".
 */
function normaliseCallerCgroup(s: string): string {
  let own = '/';
  try {
    own = ownCgroup(detectCgroupLayout());
  } catch {
    // no cgroups: nothing to replace
  }
  if (own !== '/') return s.split(`${own}/`).join("/<caller's cgroup>/");
  return s.replace(/(cgroup: |\/sys\/fs\/cgroup\/[^/ ]+)\/demo(?=[/ ])/g, "$1/<caller's cgroup>/demo");
}

/** What in a machine changes a recording: its cgroup hierarchies (one cgroup.procs per each). */
export function machineSignature(): string {
  try {
    const l = detectCgroupLayout();
    return `cgroup v${l.version}${l.hybrid ? ' hybrid' : ''}: ${Object.keys(l.mounts).sort().join(' ') || 'unified'}`;
  } catch {
    return 'no cgroups';
  }
}

/**
 * What is committed: records in the order they started, times relative to the first one (ms, to
 * the microsecond, as recorded: coarser times would tie and lose the order of fast syscalls), and
 * the strings that differ between machines or runs replaced by a placeholder.
 */
export function normaliseTrace(records: readonly TraceRecord[], replace: [string, string][]): TraceRecord[] {
  const ordered = orderRecords(records);
  const t0 = ordered[0]?.ts ?? 0;
  const fix = (s: string) => replace.reduce((acc, [from, to]) => (from && from !== '\0' ? acc.split(from).join(to) : acc), s);
  return ordered.map((r) => {
    const out: TraceRecord = { ...r, ts: Math.round((r.ts - t0) * 1000) / 1000, end: Math.round((r.end - t0) * 1000) / 1000, ids: Object.fromEntries(Object.entries(r.ids ?? {}).map(([k, v]) => [k, fix(v)])) };
    if (r.detail) out.detail = fix(r.detail);
    if (r.result) out.result = fix(r.result);
    return out;
  });
}

/**
 * What must not change between two recordings of the same scenario. Not the times, and not how
 * concurrent programs interleave (containerd calls Connect, Start and Wait from goroutines; the
 * container's init and `strata-runtime start` race to the exec fifo): two runs of one scenario
 * rarely interleave alike. What is deterministic is each Strata program's own sequence: the calls
 * of one process (or of one program's processes, which run one after another), per protocol, in
 * order; those "lanes" are compared in order. Calls made by real programs (containerd, ctr,
 * containerd-shim-runc-v2), whose concurrency is theirs, are compared as a multiset.
 */
export function traceShape(records: readonly TraceRecord[], unordered: readonly string[] = []): string {
  const lanes = new Map<string, string[]>();
  for (const r of orderRecords(records)) {
    const ordered = isStrata(r.from) && !unordered.includes(r.from);
    const lane = ordered ? `${r.from} (${r.by ?? 'itself'}) ${r.protocol}, in order:` : `${r.from} ${r.protocol}, in any order:`;
    if (!lanes.has(lane)) lanes.set(lane, []);
    lanes.get(lane)!.push(`  ${JSON.stringify([r.to, r.op, r.ids, r.result, r.detail ?? '', r.count ?? 1, r.by ?? ''])}`);
  }
  return [...lanes.keys()]
    .sort()
    .flatMap((lane) => [lane, ...(lane.endsWith('in any order:') ? [...lanes.get(lane)!].sort() : lanes.get(lane)!)])
    .join('\n');
}

export function traceText(records: readonly TraceRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
