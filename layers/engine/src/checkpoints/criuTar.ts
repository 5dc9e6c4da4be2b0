// The CRIU image directory as containerd carries it: an uncompressed tar in the content store with
// the media type below. Tasks.Checkpoint answers with such a blob (next to the spec's); a
// Tasks.Create whose `checkpoint` descriptor names one restores the task from it. The engine keeps
// checkpoints as plain directories (docker checkpoint ls/rm work on files), so it converts both ways:
//   extractCriuTar  blob -> directory, through @strata/manager's extractor (entries that are
//                   absolute, climb out with "..", or write through a symlink are refused)
//   storeCriuTar    directory -> blob, streamed into a content writer while its digest is computed
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { archive, LEASE_HEADER, ManagerError, managerApi, withCallMetadata, type Descriptor, type ManagerClient } from '@strata/manager';
import { EngineError } from '../errors';

/** containerd's images.MediaTypeContainerd1Checkpoint: the CRIU images as a tar. */
export const CRIU_TAR_MEDIA_TYPE = 'application/vnd.containerd.container.criu.checkpoint.criu.tar';

/** The CRIU tar among a checkpoint's descriptors (the spec blob is not needed: the container keeps its own). */
export function criuTarOf(descriptors: Descriptor[]): Descriptor {
  const d = descriptors.find((x) => x.mediaType === CRIU_TAR_MEDIA_TYPE);
  if (!d) throw new EngineError('system', `the manager's checkpoint has no ${CRIU_TAR_MEDIA_TYPE} blob (got ${descriptors.map((x) => x.mediaType).join(', ') || 'none'})`);
  return d;
}

/** Extract the blob into `dir` (an empty directory). */
export async function extractCriuTar(client: ManagerClient, desc: Descriptor, dir: string): Promise<void> {
  async function* bytes(): AsyncIterable<Buffer> {
    for await (const r of client.content.readStream(desc.digest)) yield Buffer.from(r.data);
  }
  const r = await archive.applyLayer(dir, bytes(), { whiteouts: 'delete', name: `checkpoint ${desc.digest}` });
  // the blob as read must be the one described (a short or altered read would extract silently)
  if (r.compressedSize !== desc.size || r.compressedDigest !== desc.digest) throw new EngineError('system', `checkpoint ${desc.digest}: read ${r.compressedSize} bytes with digest ${r.compressedDigest}, expected ${desc.size}`);
}

/**
 * Write `dir` as a tar blob into the content store under `lease` (which holds it until the task
 * is created from it). Regular files and directories only: that is all a CRIU image directory holds.
 */
export async function storeCriuTar(client: ManagerClient, dir: string, lease: string): Promise<Descriptor> {
  return withCallMetadata({ [LEASE_HEADER]: lease }, async () => {
    const ref = `strata-engine-restore-${crypto.randomBytes(8).toString('hex')}`;
    const writer = await client.content.writer(ref);
    const hash = crypto.createHash('sha256');
    let size = 0;
    // a Writable in front of the content writer: the tar writer waits on it, it waits on the manager
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        writer.write(chunk).then(() => done(), done);
      },
    });
    try {
      if (writer.offset !== 0) await writer.truncate();
      const tar = new archive.TarWriter(sink);
      await addTree(tar, dir, '');
      await tar.finish();
      await new Promise<void>((resolve, reject) => sink.end((e?: Error | null) => (e ? reject(e) : resolve())));
      const digest = `sha256:${hash.digest('hex')}`;
      const desc = { mediaType: CRIU_TAR_MEDIA_TYPE, digest, size };
      // The same checkpoint restored again soon has the same bytes: its blob may still be in the
      // store, waiting for the collector. Naming it in the lease first keeps it either way.
      await client.grpc.call(managerApi.LEASES_SERVICE, 'AddResource', { id: lease, resource: { id: digest, type: 'content' } });
      try {
        await writer.commit(size, digest);
      } catch (e) {
        if (!(e instanceof ManagerError && e.code === 'ALREADY_EXISTS')) throw e;
        writer.close();
        await client.content.abort(ref).catch(() => {});
      }
      return desc;
    } catch (e) {
      writer.close();
      await client.content.abort(ref).catch(() => {});
      throw e;
    }
  });
}

async function addTree(tar: InstanceType<typeof archive.TarWriter>, abs: string, rel: string): Promise<void> {
  for (const name of fs.readdirSync(abs).sort()) {
    const a = path.join(abs, name);
    const n = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(a);
    const base = { name: n, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      await tar.add({ ...base, type: 'dir' });
      await addTree(tar, a, n);
    } else if (st.isFile()) {
      await tar.add({ ...base, type: 'file', size: st.size }, fs.createReadStream(a) as AsyncIterable<Buffer>);
    } else {
      throw new EngineError('invalid', `checkpoint directory ${abs}: ${name} is neither a file nor a directory (a CRIU image directory holds only those)`);
    }
  }
}
