// A shim driven the way containerd drives one, without containerd: `<shim> start` in a bundle,
// then the Task API over ttrpc with our client, and an Events service of our own on
// TTRPC_ADDRESS that records what the shim publishes. Works for any v2 shim binary, ours or
// containerd-shim-runc-v2, which is what makes the interop tests symmetric.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { anyTypeName, EVENTS_SERVICE, packAny, RuncOptionsType, TASK_SERVICE, type Envelope, type RuncOptions } from '../src/proto';
import { TtrpcClient, TtrpcServer } from '../src/ttrpc';
import { busyboxRootfs, cgroupRoots, isZombie, processesMatching, removeEmptyCgroups, sleep } from './helpers';

export interface RecordedEvent {
  topic: string;
  type: string;
}

/** A FIFO the test reads, collecting what the shim writes into it (read-write: never EOF; see `eof`). */
class FifoReader {
  text = '';
  /** End-of-file seen: every writer (the shim) closed its end. Only with `eof` (read-only open). */
  ended = false;
  private readonly socket: net.Socket;
  /**
   * `eof`: open read-only, as ctr and the CRI do, so the shim closing its end reads as EOF (Linux
   * reports no hang-up before a first writer has come). Otherwise read-write: never EOF.
   */
  constructor(readonly path: string, eof = false) {
    spawnSync('mkfifo', ['-m', '0600', path]);
    const mode = eof ? fs.constants.O_RDONLY : fs.constants.O_RDWR;
    this.socket = new net.Socket({ fd: fs.openSync(path, mode | fs.constants.O_NONBLOCK), readable: true, writable: false });
    this.socket.on('data', (d: Buffer) => (this.text += d.toString()));
    this.socket.on('end', () => (this.ended = true));
    this.socket.on('error', () => undefined);
  }
  close(): void {
    this.socket.destroy();
  }
}

export interface TaskIo {
  stdin: string;
  stdout: FifoReader;
  stderr: FifoReader;
  /** Write into the process's stdin FIFO (opened read-write by us, so it never blocks on open). */
  write(text: string): void;
  close(): void;
}

export class ShimHarness {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-shim-h-'));
  readonly ns = `strata-h-${process.pid}`;
  /** Never listened on: a shim only hashes it into its socket name. */
  readonly containerdAddress = path.join(this.dir, 'containerd.sock');
  readonly runtimeRoot = path.join(this.dir, 'runtime-root');
  readonly events: RecordedEvent[] = [];
  private readonly eventsServer = new TtrpcServer();
  private readonly eventsSock = path.join(this.dir, 'events.sock');
  private readonly logs: FifoReader[] = [];
  private readonly ios: TaskIo[] = [];
  client!: TtrpcClient;
  address = '';
  shimPid = 0;

  constructor(
    readonly binary: string,
    readonly runtimeBinary?: string,
  ) {}

  async startEvents(): Promise<void> {
    this.eventsServer.register(EVENTS_SERVICE, {
      Forward: async (req: { envelope?: Envelope }) => {
        if (req.envelope?.event) this.events.push({ topic: req.envelope.topic, type: anyTypeName(req.envelope.event) });
        return {};
      },
    });
    await this.eventsServer.listen(this.eventsSock);
  }

  /** A bundle for container `id` running `args` on the busybox rootfs, in cgroup /strata-shim-test/<id>. */
  bundle(id: string, args: string[], tweak?: (config: any) => void): string {
    const b = path.join(this.dir, 'bundles', id);
    fs.mkdirSync(b, { recursive: true });
    const config = JSON.parse(fs.readFileSync(path.join(path.dirname(busyboxRootfs), 'config.json'), 'utf8'));
    config.root = { path: busyboxRootfs, readonly: true };
    config.process.args = args;
    config.process.terminal = false;
    config.linux.cgroupsPath = `/strata-shim-test/${id}`;
    tweak?.(config);
    fs.writeFileSync(path.join(b, 'config.json'), JSON.stringify(config, null, 2));
    // containerd makes the `log` FIFO and reads it; the runc shim refuses to start without it.
    this.logs.push(new FifoReader(path.join(b, 'log')));
    return b;
  }

  /** `<shim> start` in the first bundle: returns the address it printed and connects to it. */
  async start(bundle: string, id: string): Promise<void> {
    await this.startEvents();
    const r = spawnSync(this.binary, ['-namespace', this.ns, '-address', this.containerdAddress, '-publish-binary', '/bin/false', '-id', id, 'start'], {
      cwd: bundle,
      env: { ...process.env, TTRPC_ADDRESS: this.eventsSock },
      input: '',
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
    });
    if (r.status !== 0) throw new Error(`${this.binary} start: exit ${r.status}: ${r.stderr}`);
    this.address = r.stdout.trim();
    this.client = await TtrpcClient.connect(this.address);
    const c = await this.call('Connect', { id });
    this.shimPid = c.shimPid;
  }

  call<T = any>(method: string, req: object, timeoutMs = 30_000): Promise<T> {
    return this.client.call<T>(TASK_SERVICE, method, req, { timeoutMs });
  }

  /** FIFOs for one process, named as containerd names them. */
  io(name: string, o: { eof?: boolean } = {}): TaskIo {
    const d = path.join(this.dir, 'fifo');
    fs.mkdirSync(d, { recursive: true });
    const stdin = path.join(d, `${name}-stdin`);
    spawnSync('mkfifo', ['-m', '0600', stdin]);
    const inFd = fs.openSync(stdin, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const io: TaskIo = {
      stdin,
      stdout: new FifoReader(path.join(d, `${name}-stdout`), o.eof),
      stderr: new FifoReader(path.join(d, `${name}-stderr`), o.eof),
      write: (text) => void fs.writeSync(inFd, text),
      close: () => {
        io.stdout.close();
        io.stderr.close();
        try {
          fs.closeSync(inFd);
        } catch {
          // closed
        }
      },
    };
    this.ios.push(io);
    return io;
  }

  /** The runc Options containerd would pass: our runtime root (and binary, if not the default). */
  options(extra: Partial<RuncOptions> = {}) {
    return packAny(RuncOptionsType, { root: this.runtimeRoot, ...(this.runtimeBinary ? { binaryName: this.runtimeBinary } : {}), ...extra });
  }

  /** Wait (bounded) until `n` events have arrived. */
  async eventsAtLeast(n: number, timeoutMs = 5_000): Promise<RecordedEvent[]> {
    const end = Date.now() + timeoutMs;
    while (this.events.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.events;
  }

  /** Shutdown, then wait (bounded) for the shim process to end. */
  async shutdown(): Promise<boolean> {
    try {
      await this.call('Shutdown', { id: '', now: false }, 5_000);
    } catch {
      // the shim may close the connection before answering
    }
    this.client?.close();
    const end = Date.now() + 5_000;
    while (Date.now() < end && this.shimPid && fs.existsSync(`/proc/${this.shimPid}`) && !isZombie(this.shimPid)) sleep(20);
    return !this.shimPid || !fs.existsSync(`/proc/${this.shimPid}`) || isZombie(this.shimPid);
  }

  /** Kill whatever is left (after a failed test), and remove the temp dir. */
  async dispose(): Promise<void> {
    this.client?.close();
    if (this.shimPid && fs.existsSync(`/proc/${this.shimPid}`)) {
      try {
        process.kill(this.shimPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const pid of processesMatching(this.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const io of this.ios) io.close();
    for (const l of this.logs) l.close();
    await this.eventsServer.close();
    if (this.address) fs.rmSync(this.address.replace('unix://', ''), { force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
    // The parent of the containers' cgroups (/strata-shim-test): gone once empty.
    removeEmptyCgroups('strata-shim-test');
  }

  logText(): string {
    return this.logs.map((l) => l.text).join('');
  }
}

/** Cgroup directories left under /strata-shim-test (v1 hierarchies and the unified one). */
export function leftoverCgroups(id: string): string[] {
  return cgroupRoots().map((root) => path.join(root, 'strata-shim-test', id)).filter((d) => fs.existsSync(d));
}
