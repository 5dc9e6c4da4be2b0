// Starting strata-init and talking to it: the runtime's side of the control-socket protocol.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Socket } from 'node:net';
import { encodePlan, type InitOp } from './ops';
import { MSG, MessageReader, frame, type Message } from './protocol';

export interface StartInitOptions {
  /** Path of the compiled strata-init binary. */
  helper: string;
  plan: readonly InitOp[];
  /**
   * The container's first file descriptors: 0, 1, 2 and any preserved fds (runc --preserve-fds),
   * as numbers of *our* fds or 'inherit'/'ignore'. The control socket goes right after them.
   */
  fds: (number | 'inherit' | 'ignore')[];
  /** Extra environment for the helper (it never reaches the container: exec takes an explicit env). */
  env?: Record<string, string>;
}

export class InitFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitFailed';
  }
}

/**
 * A running strata-init. Messages arrive in protocol order: PID, then (for a container with a
 * hooks point) HOOKS, then READY — or ERROR at any time.
 */
export class InitSession {
  readonly child: ChildProcess;
  private readonly sock: Socket;
  private readonly queue: Message[] = [];
  private waiter?: (m: Message | undefined) => void;
  private closed = false;
  /** Resolves with the helper's (P's) wait status once it exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(opts: StartInitOptions) {
    const ctlFd = opts.fds.length;
    const stdio: StdioOptions = [...opts.fds.map((f) => (f === 'inherit' ? 'inherit' : f)), 'pipe'];
    this.child = spawn(opts.helper, [], {
      stdio,
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...opts.env, STRATA_INIT_FD: String(ctlFd) },
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.once('error', () => resolve({ code: 255, signal: null }));
    });
    this.sock = this.child.stdio[ctlFd] as Socket;
    const reader = new MessageReader();
    this.sock.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk)) this.deliver(m);
    });
    this.sock.on('error', () => this.deliver(undefined));
    this.sock.on('close', () => this.deliver(undefined));
    this.sock.write(frame(MSG.PLAN, encodePlan(opts.plan)));
  }

  private deliver(m: Message | undefined): void {
    if (m === undefined) this.closed = true;
    else this.queue.push(m);
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(this.queue.shift());
    }
  }

  /** The next message, or undefined when the helper closed the socket. */
  next(): Promise<Message | undefined> {
    const m = this.queue.shift();
    if (m || this.closed) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /**
   * Wait for a message of the given type. An ERROR becomes an InitFailed with the helper's text;
   * a closed socket becomes InitFailed too (the helper died: e.g. killed by a seccomp filter).
   */
  async expect(type: number): Promise<Buffer> {
    const m = await this.next();
    if (!m) {
      const st = await Promise.race([this.exited, new Promise((r) => setTimeout(r, 200, undefined))]);
      const how = st && typeof st === 'object' ? ` (exit ${JSON.stringify(st)})` : '';
      throw new InitFailed(`container init exited before it was ready${how}`);
    }
    if (m.type === MSG.ERROR) throw new InitFailed(m.payload.toString('utf8'));
    if (m.type !== type) throw new InitFailed(`protocol error: expected message ${type}, got ${m.type}`);
    return m.payload;
  }

  /** Let the init go on after the hooks point; `state` is the JSON written to hooks' stdin. */
  continueWith(state: string): void {
    this.sock.write(frame(MSG.CONTINUE, Buffer.from(state, 'utf8')));
  }

  /** Stop listening (the init keeps running). */
  detach(): void {
    this.sock.destroy();
    this.child.unref();
  }
}

export function startInit(opts: StartInitOptions): InitSession {
  return new InitSession(opts);
}
