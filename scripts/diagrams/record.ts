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
}

export const RECORDINGS: Recording[] = [
  { name: 'runtime-run', title: 'strata-runtime run, started from a shell', needs: ['strata-runtime'], record: (r) => r.runtimeRun() },
  { name: 'containerd-shim-runtime', title: 'ctr run --rm: containerd, containerd-shim-strata-v2, strata-runtime', needs: ['containerd', 'ctr', 'containerd-shim-strata-v2', 'strata-runtime'], record: (r) => r.ctrRun({ runtime: 'io.containerd.strata.v2' }) },
  { name: 'containerd-shim-runc', title: 'ctr run --rm: containerd, containerd-shim-strata-v2, runc (the engine swapped)', needs: ['containerd', 'ctr', 'containerd-shim-strata-v2', 'runc'], record: (r) => r.ctrRun({ runtime: 'io.containerd.strata.v2', engine: 'runc' }) },
  { name: 'manager-shim-runtime', title: 'strata-ctr run --rm: strata-manager, containerd-shim-strata-v2, strata-runtime (the whole Strata stack below the CLI)', needs: ['strata-manager', 'strata-ctr', 'containerd-shim-strata-v2', 'strata-runtime'], record: (r) => r.managerRun({ runtime: 'io.containerd.strata.v2' }) },
  { name: 'manager-runcshim-runc', title: 'ctr run --rm against strata-manager with containerd-shim-runc-v2 and runc (only the manager is Strata)', needs: ['strata-manager', 'ctr', 'containerd-shim-runc-v2', 'runc'], record: (r) => r.managerRun({ runtime: 'io.containerd.runc.v2', client: 'ctr' }) },
  { name: 'containerd-runcshim-runtime', title: 'ctr run --rm --runc-binary strata-runtime: the real containerd-shim-runc-v2 drives strata-runtime', needs: ['containerd', 'ctr', 'containerd-shim-runc-v2', 'strata-runtime'], record: (r) => r.ctrRun({ runcBinary: 'strata-runtime' }) },
];

export const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

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

  /** The environment of every recorded program: ours plus STRATA_TRACE. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra, STRATA_TRACE: this.traceFile };
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
export function traceShape(records: readonly TraceRecord[]): string {
  const lanes = new Map<string, string[]>();
  for (const r of orderRecords(records)) {
    const ordered = isStrata(r.from);
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
