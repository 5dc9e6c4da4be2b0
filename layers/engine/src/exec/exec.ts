// docker exec (moby's daemon/exec.go): POST /containers/{id}/exec records an exec config;
// POST /exec/{id}/start runs it as a process of the container's task (Tasks.Exec with a process
// spec derived from the container's own: its env, cwd and user unless overridden), on a hijacked
// connection unless Detach; GET /exec/{id}/json reports Running, ExitCode and Pid.
import crypto from 'node:crypto';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { PROCESS_TYPE_URL, specAny } from '@strata/manager';
import { frame } from '../api/stdcopy';
import { EngineError, invalidParam, notFound } from '../errors';
import { assertAllowed } from '../states';
import { resolveUser } from '../containers/rootfs';
import type { ContainerService } from '../containers/service';
import { fifoPaths, makeFifos, ProcessIO } from '../containers/stdio';

export interface ExecRecord {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  OpenStdin: boolean;
  OpenStdout: boolean;
  OpenStderr: boolean;
  CanRemove: boolean;
  DetachKeys: string;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
  Env: string[];
  WorkingDir: string;
  ConsoleSize?: [number, number];
  started: boolean;
}

export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly svc: ContainerService) {}

  idsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.ContainerID === containerId).map((e) => e.ID);
  }

  /** Drop the exec records of a container that stopped or is gone (as dockerd does). */
  purge(containerId: string): void {
    for (const [id, e] of this.execs) if (e.ContainerID === containerId && !e.Running) this.execs.delete(id);
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  create(ref: string, body: any): { Id: string } {
    const c = this.svc.get(ref);
    if (!body || typeof body !== 'object') throw invalidParam('exec config cannot be empty');
    if (!Array.isArray(body.Cmd) || body.Cmd.length === 0) throw invalidParam('No exec command specified');
    if (!body.Cmd.every((x: unknown) => typeof x === 'string')) throw invalidParam('invalid Cmd: must be an array of strings');
    assertAllowed('exec', c.State.Status, { id: c.Id, name: c.Name });
    const id = crypto.randomBytes(32).toString('hex');
    const e: ExecRecord = {
      ID: id,
      ContainerID: c.Id,
      Running: false,
      ExitCode: null,
      Pid: 0,
      OpenStdin: !!body.AttachStdin,
      OpenStdout: !!body.AttachStdout,
      OpenStderr: !!body.AttachStderr,
      CanRemove: false,
      DetachKeys: body.DetachKeys ?? '',
      ProcessConfig: { tty: !!body.Tty, entrypoint: body.Cmd[0], arguments: body.Cmd.slice(1), privileged: !!body.Privileged, user: body.User ?? '' },
      Env: body.Env ?? [],
      WorkingDir: body.WorkingDir ?? '',
      ConsoleSize: body.ConsoleSize ?? undefined,
      started: false,
    };
    this.execs.set(id, e);
    this.svc.event(c, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  /** Start the exec; with a socket, stream it there and resolve at its exit. */
  async start(id: string, o: { detach: boolean; tty?: boolean; sock?: () => Duplex }): Promise<void> {
    const e = this.get(id);
    if (e.started) throw new EngineError('conflict', e.Running ? `Error: Exec command ${id} is already running` : `Error: Exec command ${id} has already run`);
    const c = this.svc.get(e.ContainerID);
    assertAllowed('exec', c.State.Status, { id: c.Id, name: c.Name });
    e.started = true;
    const tty = o.tty ?? e.ProcessConfig.tty;
    const mc = await this.svc.client.containers.get(c.Id);
    const spec = JSON.parse(Buffer.from(mc.spec.value).toString('utf8'));
    const proc = { ...spec.process, terminal: tty, args: [e.ProcessConfig.entrypoint, ...e.ProcessConfig.arguments] };
    const env = new Map<string, string>();
    for (const x of [...(proc.env ?? []), ...e.Env]) env.set(x.split('=')[0], x);
    proc.env = [...env.values()];
    if (e.WorkingDir) proc.cwd = e.WorkingDir;
    if (e.ProcessConfig.user) {
      try {
        const u = resolveUser(e.ProcessConfig.user, `/proc/${c.State.Pid}/root`);
        proc.user = { uid: u.uid, gid: u.gid, ...(u.additionalGids.length ? { additionalGids: u.additionalGids } : {}) };
      } catch (err) {
        e.started = false;
        throw invalidParam((err as Error).message);
      }
    }
    if (e.ProcessConfig.privileged) {
      const { ALL_CAPS } = await import('../containers/spec');
      proc.capabilities = { bounding: ALL_CAPS, effective: ALL_CAPS, permitted: ALL_CAPS };
    }
    const fifos = fifoPaths(path.join(this.svc.o.execRoot, 'containers', c.Id), `exec-${id.slice(0, 16)}`, { stdin: e.OpenStdin && !o.detach, tty });
    makeFifos(fifos);
    const io = new ProcessIO(fifos, true);
    // output can come before Tasks.Start even answers: hold it until the connection is ours
    let out: Duplex | undefined;
    const early: [string, Buffer][] = [];
    const discard = o.detach || !o.sock; // a detached exec's output goes nowhere, as in docker
    const send = (name: string, d: Buffer) => {
      if (discard) return;
      if ((name === 'stdout' && !e.OpenStdout) || (name === 'stderr' && !e.OpenStderr)) return;
      if (!out) return void early.push([name, d]);
      if (!out.destroyed) out.write(tty ? d : frame(name as 'stdout' | 'stderr', d));
    };
    io.on('data', send);
    const cleanup = () => {
      io.close();
      io.removeFifos();
    };
    let waited: Promise<{ exitStatus: number }>;
    try {
      await this.svc.client.tasks.exec({ containerId: c.Id, execId: id, spec: specAny(proc, PROCESS_TYPE_URL), stdin: fifos.stdin, stdout: fifos.stdout, stderr: fifos.stderr, terminal: tty });
      waited = this.svc.client.tasks.wait(c.Id, id);
      waited.catch(() => {});
      e.Pid = await this.svc.client.tasks.start(c.Id, id);
      // the shim opens an exec's FIFOs at Start (a task's at Create): only now may EOF mean "done"
      io.opened();
    } catch (err) {
      cleanup();
      await this.svc.client.tasks.deleteProcess(c.Id, id).catch(() => {});
      e.ExitCode = 126;
      if (/executable file not found|no such file/i.test((err as Error).message)) e.ExitCode = 127;
      throw new EngineError('system', `OCI runtime exec failed: ${(err as Error).message}`);
    }
    e.Running = true;
    if (tty && e.ConsoleSize?.[0]) await this.svc.client.tasks.resize(c.Id, e.ConsoleSize[1], e.ConsoleSize[0], id).catch(() => {});
    this.svc.event(c, `exec_start: ${[e.ProcessConfig.entrypoint, ...e.ProcessConfig.arguments].join(' ')}`, { execID: id });
    const finished = waited.then(
      async (r) => {
        await this.svc.client.tasks.deleteProcess(c.Id, id).catch(() => {});
        await io.finish();
        io.removeFifos();
        e.Running = false;
        e.ExitCode = r.exitStatus;
        this.svc.event(c, 'exec_die', { execID: id, exitCode: String(r.exitStatus) });
      },
      () => {
        e.Running = false;
        e.ExitCode ??= 255;
        cleanup();
      },
    );
    if (o.detach || !o.sock) return;
    const sock = o.sock();
    out = sock;
    for (const [name, d] of early.splice(0)) send(name, d);
    sock.on('error', () => {});
    if (fifos.stdin) {
      sock.on('data', (d: Buffer) => io.writeStdin(d));
      sock.on('end', () => {
        io.endStdin();
        void this.svc.client.tasks.closeIO(c.Id, id).catch(() => {});
      });
    } else sock.on('data', () => {});
    await finished;
    sock.end();
  }

  async resize(id: string, h: number, w: number): Promise<void> {
    const e = this.get(id);
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw invalidParam('invalid resize: h and w must be non-negative integers');
    if (!e.Running) throw new EngineError('conflict', `Exec ${id} is not running`);
    await this.svc.client.tasks.resize(e.ContainerID, w, h, id);
  }

  inspect(id: string): object {
    const { started: _s, Env: _env, WorkingDir: _wd, ConsoleSize: _cs, ...doc } = this.get(id);
    return doc;
  }
}
