// strata-ctr's image archive and push commands (ctr images import / export / push). The work is
// the manager's own code, images/layout.ts and distribution/push.ts, run in the client over
// client/remoteStores.ts: the blobs travel through the Content API, so these commands work the
// same against strata-manager and real containerd.
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ManagerClient } from '../../client/client';
import { RemoteContentStore, RemoteImageStore } from '../../client/remoteStores';
import { getImage } from '../../client/run';
import { unpackImage } from '../../client/unpack';
import { pushImage } from '../../distribution';
import { isManagerError } from '../../errors';
import { exportImageArchive, importImageArchive } from '../../images/layout';
import type { Descriptor } from '../../types';
import { UsageError } from './args';
import type { Command } from './commands';
import { progressRenderer } from './progress';
import { registryClient } from './registry';

const out = (s: string) => process.stdout.write(s);


/** Unpack one image's layers for a platform, as ctr import does; an image without one is left packed. */
async function unpackImported(c: ManagerClient, target: Descriptor, platform: string | undefined, snapshotter: string): Promise<'unpacked' | 'no-platform'> {
  try {
    await unpackImage(c, target, platform, snapshotter);
    return 'unpacked';
  } catch (e) {
    if (isManagerError(e, 'NOT_FOUND')) return 'no-platform'; // e.g. an arm64-only image here
    throw e;
  }
}

/** Write to FILE through a temporary name renamed at the end (no half archive under FILE), or to stdout for "-". */
async function withOutput(file: string, fn: (w: Writable) => Promise<void>): Promise<void> {
  if (file === '-') {
    const pass = new PassThrough();
    pass.pipe(process.stdout, { end: false });
    const drained = new Promise<void>((resolve) => pass.once('end', resolve));
    await fn(pass);
    await drained;
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    return;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const ws = fs.createWriteStream(tmp, { mode: 0o644 });
  const closed = new Promise<void>((resolve, reject) => {
    ws.once('close', resolve);
    ws.once('error', reject);
  });
  closed.catch(() => {}); // awaited below on success; on failure fn's error is the one reported
  try {
    await fn(ws);
    await closed;
    fs.renameSync(tmp, file);
  } catch (e) {
    ws.destroy();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

export const IMAGE_COMMANDS: Record<string, Command> = {
  push: {
    summary: 'push an image to a registry',
    usage: '[--user U:P] [--platform P] [--plain-http] IMAGE [REF]',
    flags: [
      { name: 'user', alias: 'u', value: true, help: 'registry credentials USER[:PASSWORD]' },
      { name: 'platform', value: true, help: 'push only this platform\'s manifest (default: the whole image)' },
      { name: 'plain-http', help: 'talk plain HTTP to the registry (always for localhost and 127.x)' },
      { name: 'json', help: 'progress as JSON lines' },
    ],
    async run(c, p) {
      const [name, ref] = p.args;
      if (!name || p.args.length > 2) throw new UsageError('push needs IMAGE and optionally the REF to push it as');
      const image = await getImage(c, name);
      const target = ref ?? image.name;
      const r = progressRenderer(process.stdout, p.flags.json ? true : undefined);
      const deps = { store: new RemoteContentStore(c), images: new RemoteImageStore(c), client: registryClient(p, target) };
      const pushed = await pushImage(deps, c.namespace, image.name, target, { platform: p.flags.platform as string | undefined, onProgress: r.onProgress });
      r.finish();
      out(`${pushed.name}: pushed ${pushed.desc.digest}\n`);
      return 0;
    },
  },
  import: {
    summary: 'import images from an OCI layout or docker save tar (gzip too) and unpack them',
    usage: '[--base-name NAME] [--no-unpack] [--snapshotter S] FILE|-',
    flags: [
      { name: 'base-name', value: true, help: 'name for entries that carry only a tag: NAME:TAG' },
      { name: 'digests', help: 'also name unnamed manifests import@<digest>' },
      { name: 'label', value: true, repeat: true, help: 'label K=V for each image' },
      { name: 'no-unpack', help: 'only import the content' },
      { name: 'snapshotter', value: true, help: 'unpack into this snapshotter (default overlayfs)' },
      { name: 'platform', value: true, help: 'unpack this platform (default: this machine\'s)' },
    ],
    async run(c, p) {
      const [file] = p.args;
      if (!file || p.args.length > 1) throw new UsageError('import needs one FILE (or - for stdin)');
      const labels = Object.fromEntries(((p.flags.label as string[] | undefined) ?? []).map((l) => [l.split('=')[0], l.split('=').slice(1).join('=')]));
      const snapshotter = (p.flags.snapshotter as string) || 'overlayfs';
      const source: Readable = file === '-' ? process.stdin : fs.createReadStream(file);
      // Under a lease: nothing imported is garbage before its image names it and it is unpacked.
      await c.withLease(async () => {
        const imported = await importImageArchive(new RemoteContentStore(c), new RemoteImageStore(c), c.namespace, source, {
          baseName: p.flags['base-name'] as string | undefined,
          digests: !!p.flags.digests,
          labels: Object.keys(labels).length ? labels : undefined,
        });
        if (imported.length === 0) out('(the archive names no images)\n');
        const unpacked = new Set<string>();
        for (const img of imported) {
          const label = img.name ?? '(unnamed)';
          if (p.flags['no-unpack'] || !img.name || unpacked.has(img.target.digest)) {
            out(`${label} ${img.target.digest}\n`);
            continue;
          }
          unpacked.add(img.target.digest);
          out(`unpacking ${label} (${img.target.digest})...`);
          const r = await unpackImported(c, img.target, p.flags.platform as string | undefined, snapshotter);
          out(r === 'unpacked' ? 'done\n' : 'skipped: no manifest for this platform\n');
        }
      });
      return 0;
    },
  },
  export: {
    summary: 'write images to an OCI layout tar (default) or a docker save tar',
    usage: '[--format oci|docker] [--platform P] FILE|- IMAGE...',
    flags: [
      { name: 'format', value: true, help: 'oci (default; includes a manifest.json for docker load) or docker' },
      { name: 'platform', value: true, help: 'only this platform\'s manifest (default: every platform the store has; docker: this machine\'s)' },
      { name: 'skip-manifest-json', help: 'oci format: leave out the docker-compatible manifest.json' },
    ],
    async run(c, p) {
      const [file, ...names] = p.args;
      if (!file || names.length === 0) throw new UsageError('export needs FILE (or - for stdout) and at least one IMAGE');
      const format = (p.flags.format as string | undefined) ?? 'oci';
      if (format !== 'oci' && format !== 'docker') throw new UsageError(`--format ${format}: expected oci or docker`);
      if (file === '-' && process.stdout.isTTY) throw new UsageError('refusing to write a tar archive to a terminal (redirect stdout, or give a FILE)');
      const stored: string[] = [];
      for (const n of names) stored.push((await getImage(c, n)).name);
      await withOutput(file, (w) =>
        exportImageArchive(new RemoteContentStore(c), new RemoteImageStore(c), c.namespace, stored, w, {
          format,
          platform: p.flags.platform as string | undefined,
          skipDockerManifest: !!p.flags['skip-manifest-json'],
        }),
      );
      if (file !== '-') out(`${stored.join(', ')}: exported to ${file}\n`);
      return 0;
    },
  },
};
