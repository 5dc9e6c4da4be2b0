// The content and image stores seen through containerd's API: the interfaces of
// content/access.ts and images/access.ts implemented with Content and Images calls, so code
// written against the local stores (image import/export in images/layout.ts, push in
// distribution/push.ts) runs unchanged in a client, against strata-manager or real containerd.
//
//   interface call                  API call(s)
//   has / info                      Content.Info (NOT_FOUND -> false)
//   update                          Content.Update with the fieldpaths as the update mask
//   read(offset, size)              Content.Read (a server stream of chunks)
//   reader / readBlob               Content.Read from 0, hashed here: DATA_LOSS on a mismatch
//   put                             Content.Write: STAT, WRITE chunks of 1 MiB, COMMIT
//   images get / upsert             Images.Get; Images.Create, else Images.Update
//
// The namespace is the client's (it travels in the gRPC metadata); a call naming another one is
// refused rather than silently going to the wrong namespace.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import * as api from '../api/protos';
import type { BlobRef, ContentAccess } from '../content/access';
import { Digester, sha256 } from '../content/digest';
import { dataLoss, type ContentInfo } from '../content/store';
import { ManagerError, invalid, isManagerError, precondition } from '../errors';
import type { ImageAccess } from '../images/access';
import type { Image, ImageInput } from '../images/store';
import type { Descriptor, Labels } from '../types';
import { fromTimestamp } from '@strata/shim/proto';
import type { ManagerClient, RemoteWriter } from './client';

/** Bytes per WRITE message (the gRPC message limit is far above; containerd's ctr uses 1 MiB too). */
const CHUNK = 1 << 20;
/** How long put waits for another writer holding the same ref ("ref ... locked"). */
const LOCK_WAIT_MS = 30_000;

function checkNamespace(client: ManagerClient, ns: string): void {
  if (ns !== client.namespace) throw invalid('namespace', `this store talks to namespace ${JSON.stringify(client.namespace)}, not ${JSON.stringify(ns)}`);
}

const toDate = (t: api.Timestamp | undefined): Date => fromTimestamp(t) ?? new Date(0);

function toContentInfo(i: api.ContentInfo): ContentInfo {
  return { digest: i.digest, size: Number(i.size), createdAt: toDate(i.createdAt), updatedAt: toDate(i.updatedAt), labels: i.labels ?? {} };
}

function toDescriptor(d: api.Descriptor | undefined, name: string): Descriptor {
  if (!d) throw new ManagerError('INTERNAL', `image ${JSON.stringify(name)}: the server sent no target`);
  const out: Descriptor = { mediaType: d.mediaType, digest: d.digest, size: Number(d.size) };
  if (d.annotations && Object.keys(d.annotations).length) out.annotations = d.annotations;
  return out;
}

function toImage(i: api.Image): Image {
  return { name: i.name, labels: i.labels ?? {}, target: toDescriptor(i.target, i.name), createdAt: toDate(i.createdAt), updatedAt: toDate(i.updatedAt) };
}

/** Any put() source as an async iterable of Buffers. */
async function* chunksOf(data: Buffer | string | Readable | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    yield Buffer.from(data);
    return;
  }
  for await (const c of data as AsyncIterable<Buffer | Uint8Array | string>) yield Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
}

export class RemoteContentStore implements ContentAccess {
  constructor(readonly client: ManagerClient) {}

  async has(ns: string, digest: string): Promise<boolean> {
    checkNamespace(this.client, ns);
    return this.client.content.has(digest);
  }

  async info(ns: string, digest: string): Promise<ContentInfo> {
    checkNamespace(this.client, ns);
    return toContentInfo(await this.client.content.info(digest));
  }

  async update(ns: string, info: { digest: string; labels?: Labels }, fieldpaths: readonly string[] = []): Promise<ContentInfo> {
    checkNamespace(this.client, ns);
    const r = (await this.client.content.update(info.digest, info.labels ?? {}, [...fieldpaths])) as { info?: api.ContentInfo };
    return r.info ? toContentInfo(r.info) : this.info(ns, info.digest);
  }

  async read(ns: string, digest: string, offset = 0, size = 0): Promise<Buffer> {
    checkNamespace(this.client, ns);
    const parts: Buffer[] = [];
    for await (const m of this.readMessages(digest, offset, size)) parts.push(m);
    return Buffer.concat(parts);
  }

  reader(ns: string, blob: BlobRef, opts: { offset?: number; length?: number } = {}): Readable {
    checkNamespace(this.client, ns);
    const digest = typeof blob === 'string' ? blob : blob.digest;
    const expectedSize = typeof blob !== 'string' && blob.size > 0 ? blob.size : undefined;
    const offset = opts.offset ?? 0;
    if (opts.length === 0) return Readable.from([]);
    // Only a whole blob can be checked against its digest (a part cannot, as in the local store).
    const whole = offset === 0 && opts.length === undefined;
    const messages = this.readMessages(digest, offset, opts.length ?? 0);
    return Readable.from(
      (async function* () {
        const digester = new Digester();
        let seen = 0;
        for await (const chunk of messages) {
          if (whole) {
            digester.update(chunk);
            seen += chunk.length;
            if (expectedSize !== undefined && seen > expectedSize) throw dataLoss(digest, `the server sent more than the ${expectedSize} bytes of the descriptor`);
          }
          yield chunk;
        }
        if (!whole) return;
        if (expectedSize !== undefined && seen !== expectedSize) throw dataLoss(digest, `the server sent ${seen} bytes, the descriptor says ${expectedSize}`);
        const got = digester.digest();
        if (got !== digest) throw dataLoss(digest, `the bytes received hash to ${got}`);
      })(),
      { objectMode: false },
    );
  }

  async readBlob(ns: string, blob: BlobRef): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.reader(ns, blob)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /**
   * content.WriteBlob over the Write stream. The write is named `put-<digest>` when the digest is
   * known (given, or computed here for in-memory data), so a put that was cut off (the client
   * killed, the connection dropped) is resumed: STAT says how many bytes the ingest holds, and
   * that many bytes of the source are skipped, not sent again (containerd's content.Copy does the
   * same). The server checks size and digest at COMMIT. ALREADY_EXISTS, at STAT (the digest is
   * known) or at COMMIT (someone else committed it meanwhile), means the blob is there: `existed`.
   */
  async put(
    ns: string,
    desc: { digest?: string; size?: number },
    data: Buffer | string | Readable | AsyncIterable<Buffer>,
    labels?: Labels,
  ): Promise<{ digest: string; size: number; existed: boolean }> {
    checkNamespace(this.client, ns);
    const c = this.client;
    const inMemory = typeof data === 'string' || Buffer.isBuffer(data);
    const knownDigest = desc.digest ?? (inMemory ? sha256(data) : undefined);
    const ref = knownDigest ? `put-${knownDigest}` : `put-${crypto.randomUUID()}`;
    const existing = async (digest: string) => {
      const keys = Object.keys(labels ?? {});
      if (keys.length) await this.update(ns, { digest, labels }, keys.map((k) => `labels.${k}`));
      return { digest, size: (await this.info(ns, digest)).size, existed: true };
    };

    let w: RemoteWriter | undefined;
    for (const deadline = Date.now() + LOCK_WAIT_MS; !w; ) {
      try {
        w = await c.content.writer(ref, desc.size ?? 0, knownDigest ?? '');
      } catch (e) {
        if (isManagerError(e, 'ALREADY_EXISTS') && knownDigest) return existing(knownDigest);
        // Another put of the same blob holds the ref: wait for it, then find the blob there.
        if (!(isManagerError(e, 'UNAVAILABLE') && /locked/.test(e.message)) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    const digester = new Digester();
    let size = 0;
    try {
      // Bytes a previous, interrupted put of this ref left in the ingest. Without a known digest
      // (a random ref) there are none; more than the expected size cannot be right: start over.
      let skip = w.offset;
      if (skip > 0 && desc.size !== undefined && skip > desc.size) {
        await w.truncate();
        skip = 0;
      }
      // Gather the source's chunks (64 KiB from a file) into whole 1 MiB WRITE messages.
      let pending: Buffer[] = [];
      let pendingLen = 0;
      const flush = async (all: boolean) => {
        const buf = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingLen);
        const n = all ? buf.length : buf.length - (buf.length % CHUNK);
        if (n > 0) await w!.write(buf.subarray(0, n));
        pending = n < buf.length ? [buf.subarray(n)] : [];
        pendingLen = buf.length - n;
      };
      for await (const chunk of chunksOf(data)) {
        digester.update(chunk);
        size += chunk.length;
        let rest = chunk;
        if (skip > 0) {
          const k = Math.min(skip, rest.length);
          skip -= k;
          rest = rest.subarray(k);
          if (rest.length === 0) continue;
        }
        pending.push(rest);
        pendingLen += rest.length;
        if (pendingLen >= CHUNK) await flush(false);
      }
      await flush(true);
      if (skip > 0) throw precondition(`put ${ref}: the ingest already holds ${w.offset} bytes, more than the ${size} bytes given`);
      const digest = knownDigest ?? digester.digest();
      await w.commit(desc.size ?? size, digest, labels ?? {});
      return { digest, size, existed: false };
    } catch (e) {
      w.close();
      if (isManagerError(e, 'ALREADY_EXISTS')) return existing(knownDigest ?? digester.digest());
      // A failed put starts over next time (the local store does the same); a lost connection
      // cannot abort, and leaves the ingest for the next put to resume.
      if (!isManagerError(e, 'UNAVAILABLE')) await c.content.abort(ref).catch(() => {});
      throw e;
    }
  }

  /** Content.Read as Buffers (size 0: to the end). */
  private async *readMessages(digest: string, offset: number, size: number): AsyncGenerator<Buffer> {
    for await (const m of this.client.grpc.stream<{ offset: number; data: Uint8Array }>(api.CONTENT_SERVICE, 'Read', { digest, offset, size })) {
      if (m.data?.length) yield Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    }
  }
}

export class RemoteImageStore implements ImageAccess {
  constructor(readonly client: ManagerClient) {}

  async get(ns: string, name: string): Promise<Image> {
    checkNamespace(this.client, ns);
    return toImage(await this.client.images.get(name));
  }

  /** Create; if the name exists, replace its target and merge the labels (as ImageStore.upsert). */
  async upsert(ns: string, image: ImageInput): Promise<Image> {
    checkNamespace(this.client, ns);
    const labels = image.labels ?? {};
    try {
      return toImage(await this.client.images.create({ name: image.name, labels, target: image.target }));
    } catch (e) {
      if (!isManagerError(e, 'ALREADY_EXISTS')) throw e;
      const paths = ['target', ...Object.keys(labels).map((k) => `labels.${k}`)];
      return toImage(await this.client.images.update({ name: image.name, labels, target: image.target }, paths));
    }
  }
}
