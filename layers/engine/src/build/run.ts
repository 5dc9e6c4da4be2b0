// RUN: the command runs in a real container on the step's snapshot, through the whole stack
// (manager -> shim -> runtime), as the classic builder runs it through containerd. The
// container gets the image config so far (Env, WorkingDir, User) plus the build args in scope
// as extra environment; its rootfs is the active snapshot the step will commit. Output is
// streamed into the build's events as it comes.
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { containerSpec, specAny, startTask, type ManagerClient, type SpecImageConfig } from '@strata/manager';

export interface RunStep {
  client: ManagerClient;
  snapshotter: string;
  /** The active snapshot that is the container's rootfs. */
  snapshotKey: string;
  runtime: string;
  args: string[];
  image: SpecImageConfig;
  /** Build args in scope, as KEY=value (not stored in the image). */
  env: string[];
  /** uid/gid of USER, looked up in the image by the caller (null: root). */
  user?: { uid: number; gid: number };
  hostNetwork: boolean;
  output: (text: string) => void;
  /** Aborting kills the command (SIGKILL to every process of the container). */
  signal?: AbortSignal;
  /** Called with the container ID once it exists. */
  onCreated: (id: string) => void;
}

/** A writable that turns bytes into text events (UTF-8 sequences split across chunks are kept whole). */
function textSink(output: (t: string) => void): Writable {
  const dec = new StringDecoder('utf8');
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      const t = dec.write(chunk);
      if (t) output(t);
      cb();
    },
    final(cb) {
      const t = dec.end();
      if (t) output(t);
      cb();
    },
  });
  // output that arrives after the step ended is dropped, never an unhandled 'error' event
  w.on('error', () => {});
  return w;
}

/** Run the command; returns the exit status. The container record is deleted before returning; the snapshot is not. */
export async function runStep(s: RunStep): Promise<number> {
  const c = s.client;
  const id = crypto.randomBytes(32).toString('hex');
  const spec = containerSpec({
    namespace: c.namespace,
    id,
    image: { ...s.image, User: '' },
    env: s.env,
    // the step's command replaces the image's Entrypoint and Cmd
    entrypoint: [],
    args: s.args,
    hostNetwork: s.hostNetwork,
  });
  if (s.user) spec.process!.user = { uid: s.user.uid, gid: s.user.gid };
  spec.hostname = id.slice(0, 12);
  await c.containers.create({
    id,
    labels: { 'org.strata.build': 'intermediate' },
    image: '',
    runtime: { name: s.runtime },
    spec: specAny(spec),
    snapshotter: s.snapshotter,
    snapshotKey: s.snapshotKey,
    extensions: {},
  });
  s.onCreated(id);
  const out = textSink(s.output);
  const kill = () => void c.tasks.kill(id, 9, { all: true }).catch(() => {});
  try {
    return await startTask(c, id, {
      streams: { stdout: out, stderr: out },
      onStarted: () => {
        if (s.signal?.aborted) kill();
        else s.signal?.addEventListener('abort', kill, { once: true });
      },
    });
  } finally {
    s.signal?.removeEventListener('abort', kill);
    out.end();
    // normally the task is gone already (startTask deletes it after the exit); after an error
    // it may still run: kill it, wait (bounded) and delete it
    const killed = await c.tasks.kill(id, 9, { all: true }).then(() => true, () => false);
    if (killed) await Promise.race([c.tasks.wait(id).catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
    await c.tasks.delete(id).catch(() => {});
    await c.containers.delete(id).catch(() => {});
  }
}
