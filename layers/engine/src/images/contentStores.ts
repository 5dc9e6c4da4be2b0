// The manager's content and image stores seen through its API, in the shapes the manager's
// archive and push code take (ContentAccess / ImageAccess in @strata/manager's content/access.ts
// and images/access.ts). strata-ctr has the same adapters (client/remoteStores.ts) but
// @strata/manager does not export them; this is the small part the engine needs: verified
// reads, label updates, and whole-blob writes through Content.Write.
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { ManagerError, isManagerError, managerApi, type Descriptor, type ManagerClient } from '@strata/manager';

type Labels = Record<string, string>;
type BlobRef = string | Pick<Descriptor, 'digest' | 'size'>;

export interface BlobInfo {
  digest: string;
  size: number;
  createdAt: Date;
  updatedAt: Date;
  labels: Labels;
}

const sha256 = (b: Buffer) => `sha256:${crypto.createHash('sha256').update(b).digest('hex')}`;

function sameNs(c: ManagerClient, ns: string): void {
  if (ns !== c.namespace) throw new ManagerError('INVALID_ARGUMENT', `namespace: this store talks to ${c.namespace}, not ${ns}`);
}

export class ApiContentStore {
  constructor(readonly client: ManagerClient) {}

  has(ns: string, digest: string): Promise<boolean> {
    sameNs(this.client, ns);
    return this.client.content.has(digest);
  }

  async info(ns: string, digest: string): Promise<BlobInfo> {
    sameNs(this.client, ns);
    const i = await this.client.content.info(digest);
    return { digest: i.digest, size: Number(i.size), createdAt: new Date(0), updatedAt: new Date(0), labels: i.labels ?? {} };
  }

  async update(ns: string, info: { digest: string; labels?: Labels }, fieldpaths: readonly string[] = []): Promise<BlobInfo> {
    sameNs(this.client, ns);
    await this.client.content.update(info.digest, info.labels ?? {}, [...fieldpaths]);
    return this.info(ns, info.digest);
  }

  async read(ns: string, digest: string, offset = 0, size = 0): Promise<Buffer> {
    sameNs(this.client, ns);
    const parts: Buffer[] = [];
    for await (const m of this.client.grpc.stream<{ data: Uint8Array }>(READ_SPEC(), 'Read', { digest, offset, size })) if (m.data?.length) parts.push(Buffer.from(m.data));
    return Buffer.concat(parts);
  }

  /** A stream of the blob; read whole, it is checked against the digest (and size) at the end. */
  reader(ns: string, blob: BlobRef, opts: { offset?: number; length?: number } = {}): Readable {
    sameNs(this.client, ns);
    const digest = typeof blob === 'string' ? blob : blob.digest;
    const want = typeof blob === 'string' ? undefined : blob.size;
    const whole = !opts.offset && opts.length === undefined;
    const messages = this.client.grpc.stream<{ data: Uint8Array }>(READ_SPEC(), 'Read', { digest, offset: opts.offset ?? 0, size: opts.length ?? 0 });
    return Readable.from(
      (async function* () {
        const h = crypto.createHash('sha256');
        let n = 0;
        for await (const m of messages) {
          if (!m.data?.length) continue;
          const b = Buffer.from(m.data);
          h.update(b);
          n += b.length;
          yield b;
        }
        if (!whole) return;
        if (want !== undefined && want > 0 && n !== want) throw new ManagerError('DATA_LOSS', `content ${digest}: read ${n} bytes, the descriptor says ${want}`);
        const got = `sha256:${h.digest('hex')}`;
        if (got !== digest) throw new ManagerError('DATA_LOSS', `content ${digest}: the bytes read hash to ${got}`);
      })(),
      { objectMode: false },
    );
  }

  async readBlob(ns: string, blob: BlobRef): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const c of this.reader(ns, blob)) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /** A whole blob through Content.Write (the manager verifies size and digest at COMMIT). */
  async put(ns: string, desc: { digest?: string; size?: number }, data: Buffer | string | Readable | AsyncIterable<Buffer>, labels?: Labels): Promise<{ digest: string; size: number; existed: boolean }> {
    sameNs(this.client, ns);
    const c = this.client;
    const inMemory = typeof data === 'string' || Buffer.isBuffer(data);
    const known = desc.digest ?? (inMemory ? sha256(Buffer.from(data as Buffer | string)) : undefined);
    const existing = async (digest: string) => {
      const keys = Object.keys(labels ?? {});
      if (keys.length) await c.content.update(digest, labels!, keys.map((k) => `labels.${k}`));
      return { digest, size: Number((await c.content.info(digest)).size), existed: true };
    };
    if (known && (await c.content.has(known))) return existing(known);
    const ref = `engine-put-${crypto.randomUUID()}`;
    let w;
    try {
      w = await c.content.writer(ref, desc.size ?? 0, known ?? '');
    } catch (e) {
      if (known && isManagerError(e, 'ALREADY_EXISTS')) return existing(known);
      throw e;
    }
    const h = crypto.createHash('sha256');
    let size = 0;
    let computed: string | undefined;
    const digestSoFar = () => (computed ??= `sha256:${h.digest('hex')}`);
    try {
      let pending: Buffer[] = [];
      let len = 0;
      const source = inMemory ? [Buffer.from(data as Buffer | string)] : (data as AsyncIterable<Buffer>);
      for await (const chunk of source) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        h.update(b);
        size += b.length;
        pending.push(b);
        len += b.length;
        if (len >= 1 << 20) {
          await w.write(Buffer.concat(pending));
          pending = [];
          len = 0;
        }
      }
      if (len) await w.write(Buffer.concat(pending));
      const digest = known ?? digestSoFar();
      await w.commit(desc.size ?? size, digest, labels ?? {});
      return { digest, size, existed: false };
    } catch (e) {
      w.close();
      await c.content.abort(ref).catch(() => {});
      if (isManagerError(e, 'ALREADY_EXISTS')) return existing(known ?? digestSoFar());
      throw e;
    }
  }
}

export class ApiImageStore {
  constructor(readonly client: ManagerClient) {}

  async get(ns: string, name: string) {
    sameNs(this.client, ns);
    return toImage(await this.client.images.get(name));
  }

  async upsert(ns: string, image: { name: string; target: Descriptor; labels?: Labels }) {
    sameNs(this.client, ns);
    return toImage(await this.client.images.put({ name: image.name, target: image.target, labels: image.labels ?? {} }));
  }
}

function toImage(i: { name: string; labels?: Labels; target?: { mediaType: string; digest: string; size: number | string; annotations?: Labels } }) {
  if (!i.target) throw new ManagerError('INTERNAL', `image ${i.name}: the manager sent no target`);
  const target: Descriptor = { mediaType: i.target.mediaType, digest: i.target.digest, size: Number(i.target.size) };
  return { name: i.name, labels: i.labels ?? {}, target, createdAt: new Date(0), updatedAt: new Date(0) };
}

const READ_SPEC = () => managerApi.CONTENT_SERVICE;
