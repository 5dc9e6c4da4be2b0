// Runtime labs work on an OCI bundle: a copy of the default busybox root file system and a
// config.json from `strata-runtime spec`, changed by the lab to contain the problem to fix.
// Checks run a *copy* of the student's bundle with the lab's own test command, so what is
// checked is the student's config, not their luck with a command line.
import fs from 'node:fs';
import path from 'node:path';
import { run, type RunResult } from './lab';

export const DEFAULT_ROOTFS = '/var/lib/strata/bundles/busybox/rootfs';

/** Make <dir>/bundle: rootfs copied (cp -a keeps the hard links and modes), config from `spec`, then `edit`. */
export function makeBundle(dir: string, tag: string, edit: (config: any) => void): string {
  const bundle = path.join(dir, 'bundle');
  fs.mkdirSync(bundle, { recursive: true });
  const cp = run('cp', ['-a', DEFAULT_ROOTFS, path.join(bundle, 'rootfs')]);
  if (cp.status !== 0) throw new Error(`cannot copy ${DEFAULT_ROOTFS} (run npm run setup first): ${cp.stderr}`);
  const spec = run('strata-runtime', ['spec'], { cwd: bundle });
  if (spec.status !== 0) throw new Error(`strata-runtime spec failed: ${spec.stderr}`);
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  config.process.terminal = false;
  config.hostname = tag;
  config.linux.cgroupsPath = `/${tag}`;
  edit(config);
  fs.writeFileSync(path.join(bundle, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return bundle;
}

/**
 * Run the student's bundle with another command: the config is copied to a private bundle
 * directory (same rootfs, by absolute path) with process.args replaced. Returns the output and the
 * exit status (128+N for a signal, as a shell reports it).
 */
export function runWithArgs(dir: string, tag: string, args: string[], timeoutMs = 20_000): RunResult & { error?: string } {
  const bundle = path.join(dir, 'bundle');
  let config: any;
  try {
    config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  } catch (e) {
    return { status: null, stdout: '', stderr: '', error: `bundle/config.json: ${(e as Error).message}` };
  }
  const probe = fs.mkdtempSync(path.join(dir, '.check-'));
  try {
    config.process = { ...config.process, args, terminal: false };
    config.root = { ...config.root, path: path.resolve(bundle, config.root?.path ?? 'rootfs') };
    fs.writeFileSync(path.join(probe, 'config.json'), JSON.stringify(config));
    const id = `${tag}-check`;
    run('strata-runtime', ['delete', '--force', id]);
    const r = run('strata-runtime', ['run', '--bundle', probe, id], { timeoutMs });
    run('strata-runtime', ['delete', '--force', id]);
    return r;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Remove a container (if any) and the lab's cgroup in every hierarchy. */
export function cleanupRuntime(tag: string, ids: string[]): void {
  for (const id of [...ids, `${tag}-check`]) run('strata-runtime', ['delete', '--force', id]);
  for (const root of ['/sys/fs/cgroup', ...listDirs('/sys/fs/cgroup')]) {
    try {
      fs.rmdirSync(path.join(root, tag));
    } catch {
      /* not there */
    }
  }
}

function listDirs(d: string): string[] {
  try {
    return fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(d, e.name));
  } catch {
    return [];
  }
}
