// Starting, reaching and cleaning up after one shim, exactly as containerd 1.6 does
// (runtime/v2/shim.go and binary.go), so that containerd's own containerd-shim-runc-v2 and
// Strata's containerd-shim-strata-v2 both work:
//   start:  <shim> -namespace NS -address <api socket> -publish-binary <daemon> -id ID start
//           cwd = bundle, stdin = the runtime options (a serialized Any), env TTRPC_ADDRESS;
//           stdout+stderr = the shim's ttrpc address, nothing else.
//   delete: <shim> -namespace NS -address ... -id ID -bundle B delete  -> a DeleteResponse.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { decode, schema, TASK_SERVICE, type Timestamp } from '@strata/shim/proto';
import { TtrpcClient } from '@strata/shim/ttrpc';
import { ManagerError } from '../errors';
import { MANAGER, managerCall, traced } from '../trace';

export interface ShimCommand {
  binary: string;
  namespace: string;
  id: string;
  bundle: string;
  /** The manager's API socket (the shim derives its own socket name from it). */
  address: string;
  /** Where shims forward events (ttrpc Events service): <address>.ttrpc */
  ttrpcAddress: string;
  publishBinary: string;
  debug?: boolean;
}

const START_TIMEOUT_MS = 20_000;

function baseArgs(c: ShimCommand): string[] {
  return ['-namespace', c.namespace, '-address', c.address, '-publish-binary', c.publishBinary, '-id', c.id, ...(c.debug ? ['-debug'] : [])];
}

export const shimName = (c: ShimCommand) => path.basename(c.binary).replace(/\.(mjs|js)$/, '');

/** Run `<shim> start`; returns the ttrpc address it printed. */
export function startShim(c: ShimCommand, options: Uint8Array): Promise<string> {
  return traced(managerCall({ from: MANAGER, to: shimName(c), protocol: 'shim-cli', op: 'start', ids: { container: c.id } }), () => runStart(c, options));
}

function runStart(c: ShimCommand, options: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(c.binary, [...baseArgs(c), 'start'], {
      cwd: c.bundle,
      env: { ...process.env, TTRPC_ADDRESS: c.ttrpcAddress },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ManagerError('UNAVAILABLE', `start shim ${c.binary}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const address = out.trim();
      if (code !== 0 || !address) {
        reject(new ManagerError('UNAVAILABLE', `start shim ${path.basename(c.binary)} for ${c.id}: ${signal ? `killed by ${signal}` : `exit status ${code}`}${address ? `: ${address}` : ''}`));
        return;
      }
      resolve(address);
    });
    child.stdin.on('error', () => {}); // a shim that ignores its options may close stdin early
    child.stdin.end(Buffer.from(options));
  });
}

export interface DeleteResult {
  pid: number;
  exitStatus: number;
  exitedAt?: Timestamp;
}

const DeleteResponseType = schema.message<DeleteResult>('containerd.task.v2.DeleteResponse');

/** Run `<shim> delete`: the shim binary cleans up after a task whose shim is gone (or done). */
export function deleteShim(c: ShimCommand): Promise<DeleteResult> {
  return traced(managerCall({ from: MANAGER, to: shimName(c), protocol: 'shim-cli', op: 'delete', ids: { container: c.id } }), () => runDelete(c));
}

function runDelete(c: ShimCommand): Promise<DeleteResult> {
  return new Promise((resolve, reject) => {
    const cwd = fs.existsSync(c.bundle) ? c.bundle : '/';
    const child = spawn(c.binary, [...baseArgs(c), '-bundle', c.bundle, 'delete'], { cwd, env: { ...process.env, TTRPC_ADDRESS: c.ttrpcAddress }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new ManagerError('INTERNAL', `shim delete ${c.id}: exit status ${code}: ${err.trim()}`));
      try {
        resolve(decode(DeleteResponseType, Buffer.concat(out)));
      } catch (e) {
        reject(new ManagerError('INTERNAL', `shim delete ${c.id}: unreadable answer: ${(e as Error).message}`));
      }
    });
  });
}

/** A connected shim: the Task API client plus what is needed to clean up after it. */
export class ShimConnection {
  private closedByUs = false;

  private constructor(
    readonly address: string,
    readonly client: TtrpcClient,
    /** The shim's binary name, for traces. */
    readonly name: string,
  ) {}

  static async connect(address: string, timeoutMs = 5_000, name = 'shim'): Promise<ShimConnection> {
    const sock = address.replace(/^unix:\/\//, '');
    const client = await TtrpcClient.connect(sock, timeoutMs);
    return new ShimConnection(address, client, name);
  }

  call<T = any>(method: string, req: object, timeoutMs?: number): Promise<T> {
    const r = req as { id?: string; execId?: string };
    return traced(managerCall({ from: MANAGER, to: this.name, protocol: 'ttrpc', op: `Task.${method}`, ids: { container: r.id, exec: r.execId } }), () =>
      this.client.call<T>(TASK_SERVICE, method, req, timeoutMs ? { timeoutMs } : {}),
    );
  }

  /** Called once when the connection drops without our asking (the shim died). */
  onLost(fn: () => void): void {
    this.client.onClose(() => {
      if (!this.closedByUs) fn();
    });
  }

  close(): void {
    this.closedByUs = true;
    this.client.close();
  }
}
