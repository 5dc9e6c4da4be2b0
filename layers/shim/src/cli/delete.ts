// `containerd-shim-strata-v2 delete`: containerd runs it (in the bundle directory) whenever a
// shim's connection closes, after a normal Shutdown as after a crash, and reads a
// containerd.task.v2.DeleteResponse from stdout.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_RUNTIME, DEFAULT_RUNTIME_ROOT } from '../version';
import { OciRuntime } from '../ociRuntime';
import { encode, schema, toTimestamp } from '../proto';
import { unmountRootfs } from '../rootfs';
import { canConnect, socketPath } from './address';
import type { ShimFlags } from './flags';

/**
 * `delete`: containerd runs it when the shim is gone (or after every removal in 1.6). Force-delete
 * the container with the runtime recorded in the bundle, unmount the rootfs, and answer with a
 * DeleteResponse on stdout.
 */
export async function deleteAction(f: ShimFlags): Promise<number> {
  const bundle = f.bundle || process.cwd();
  const read = (name: string) => {
    try {
      return fs.readFileSync(path.join(bundle, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const binary = read('runtime')?.trim() || DEFAULT_RUNTIME;
  const opts = JSON.parse(read('options.json') || '{}') as { root?: string };
  const root = path.join(opts.root || DEFAULT_RUNTIME_ROOT, f.namespace);
  // containerd runs `delete` every time a shim's connection closes, also after a clean Delete and
  // Shutdown. Then the runtime has no state for the container left and there is nothing to do:
  // skip starting it (this is on the path of every `ctr run --rm`).
  if (fs.existsSync(path.join(root, f.id))) {
    const runtime = new OciRuntime({ binary, root, logFile: path.join(bundle, 'log.json'), timeoutMs: 10_000 });
    await runtime.delete(f.id, true).catch(() => undefined); // "does not exist" is the clean case
  }
  unmountRootfs(bundle);
  // A shim that was killed left its socket: remove it when nothing listens there any more (a
  // grouped shim that is still alive keeps serving the other containers).
  const address = read('address')?.trim();
  if (address?.startsWith('unix://') && !(await canConnect(socketPath(address)))) fs.rmSync(socketPath(address), { force: true });
  const pid = Number(read('init.pid')?.trim() || 0);
  const out = encode(schema.message('containerd.task.v2.DeleteResponse'), { pid, exitStatus: 128 + 9, exitedAt: toTimestamp(new Date()) });
  process.stdout.write(out);
  return 0;
}
